/**
 * A minimal WebSocket (RFC 6455) client and echo server on raw sockets, for testing the
 * ingress proxy's upgrade tunnel (the `ws` package is not a dependency): the opening
 * handshake with Sec-WebSocket-Key/Accept, and single-frame text messages (client frames
 * masked, as the RFC requires). Enough to prove bytes flow both ways through a tunnel.
 */
import { createHash, randomBytes } from "node:crypto";
import type http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";

const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

export function acceptKey(key: string): string {
  return createHash("sha1")
    .update(key + GUID)
    .digest("base64");
}

/** One text frame; masked when sent by a client. */
export function encodeFrame(text: string, masked: boolean, opcode = 0x1): Buffer {
  const payload = Buffer.from(text);
  const len = payload.length;
  const head = len < 126 ? Buffer.alloc(2) : len < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  head[0] = 0x80 | opcode;
  if (len < 126) head[1] = len;
  else if (len < 65536) {
    head[1] = 126;
    head.writeUInt16BE(len, 2);
  } else {
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(len), 2);
  }
  if (!masked) return Buffer.concat([head, payload]);
  head[1]! |= 0x80;
  const mask = randomBytes(4);
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i]! ^= mask[i % 4]!;
  return Buffer.concat([head, mask, body]);
}

/** Decode one complete frame from buf, or undefined if more bytes are needed. */
export function decodeFrame(buf: Buffer): { opcode: number; text: string; size: number } | undefined {
  if (buf.length < 2) return undefined;
  const opcode = buf[0]! & 0x0f;
  const masked = (buf[1]! & 0x80) !== 0;
  let len = buf[1]! & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return undefined;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return undefined;
    len = Number(buf.readBigUInt64BE(2));
    off = 10;
  }
  const maskLen = masked ? 4 : 0;
  if (buf.length < off + maskLen + len) return undefined;
  const payload = Buffer.from(buf.subarray(off + maskLen, off + maskLen + len));
  if (masked) {
    const mask = buf.subarray(off, off + 4);
    for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
  }
  return { opcode, text: payload.toString(), size: off + maskLen + len };
}

/** Serve WebSocket echo on an http.Server's upgrades: every text message comes back as `<name>: <text>`. */
export function serveWebSocketEcho(server: http.Server, name: string): void {
  server.on("upgrade", (req: http.IncomingMessage, socket: Duplex) => {
    const key = req.headers["sec-websocket-key"];
    if (typeof key !== "string" || req.headers.upgrade?.toLowerCase() !== "websocket") {
      socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n` +
        `X-Echo-Forwarded-For: ${req.headers["x-forwarded-for"] ?? ""}\r\n\r\n`,
    );
    let buf = Buffer.alloc(0);
    socket.on("error", () => socket.destroy());
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      for (let f = decodeFrame(buf); f; f = decodeFrame(buf)) {
        buf = buf.subarray(f.size);
        if (f.opcode === 0x8) {
          socket.end(encodeFrame("", false, 0x8));
          return;
        }
        if (f.opcode === 0x1) socket.write(encodeFrame(`${name}: ${f.text}`, false));
      }
    });
  });
}

export interface WsTarget {
  host: string;
  port: number;
  /** Host header (and SNI with tls). */
  hostHeader: string;
  path: string;
  tls?: boolean;
}

export interface WsSession {
  /** The handshake response head. */
  response: string;
  send(text: string): Promise<string>;
  close(): void;
}

/** Open a WebSocket; rejects unless the answer is 101 with the right accept key. */
export function openWebSocket(t: WsTarget, timeoutMs = 5000): Promise<WsSession> {
  return new Promise((resolve, reject) => {
    const key = randomBytes(16).toString("base64");
    const socket: net.Socket = t.tls
      ? tls.connect({ host: t.host, port: t.port, servername: t.hostHeader, rejectUnauthorized: false })
      : net.connect({ host: t.host, port: t.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("WebSocket: timed out"));
    }, timeoutMs);
    let buf = Buffer.alloc(0);
    let response = "";
    let waiter: { resolve: (s: string) => void; reject: (e: Error) => void } | undefined;
    socket.on(t.tls ? "secureConnect" : "connect", () => {
      socket.write(
        `GET ${t.path} HTTP/1.1\r\nHost: ${t.hostHeader}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      waiter?.reject(err);
      reject(err);
    });
    socket.on("close", () => waiter?.reject(new Error("WebSocket: closed")));
    socket.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (!response) {
        const end = buf.indexOf("\r\n\r\n");
        if (end < 0) return;
        response = buf.subarray(0, end).toString();
        buf = buf.subarray(end + 4);
        clearTimeout(timer);
        const accept = /sec-websocket-accept:\s*(\S+)/i.exec(response)?.[1];
        if (!response.startsWith("HTTP/1.1 101") || accept !== acceptKey(key)) {
          socket.destroy();
          reject(new Error(`WebSocket: handshake refused: ${response.split("\r\n")[0]}`));
          return;
        }
        resolve({
          response,
          send: (text) =>
            new Promise((res, rej) => {
              waiter = { resolve: res, reject: rej };
              socket.write(encodeFrame(text, true));
            }),
          close: () => {
            socket.end(encodeFrame("", true, 0x8));
            setTimeout(() => socket.destroy(), 1000).unref();
          },
        });
      }
      const f = decodeFrame(buf);
      if (f && waiter) {
        buf = buf.subarray(f.size);
        const w = waiter;
        waiter = undefined;
        w.resolve(f.text);
      }
    });
  });
}
