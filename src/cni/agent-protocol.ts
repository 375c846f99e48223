/**
 * The shim <-> agent wire format (see native/cni_shim.c for the other side), one request per
 * unix-socket connection:
 *
 *   request  "FLATNET-CNI/1\n" <plugin> "\n" <netns st_dev>:<st_ino> "\n"
 *            "KEY=VALUE\0"... "\0"  (the CNI_* variables and PATH)
 *            <config bytes up to EOF>
 *   answer   "EXIT <status>\n" <stdout bytes>     or     "FALLBACK <reason>\n"
 *
 * The netns identity lets the agent refuse (FALLBACK) requests from a shim exec'd in another
 * namespace than the one it serves; the shim then runs the plugin itself. Pure.
 */

export const MAGIC = "FLATNET-CNI/1";

export interface AgentRequest {
  plugin: string;
  /** "dev:ino" of the shim's network namespace, undefined when it could not tell. */
  netnsId?: string;
  env: Record<string, string>;
  stdin: string;
}

export class ProtocolError extends Error {}

function takeLine(buf: Buffer, from: number): [string, number] {
  const nl = buf.indexOf(0x0a, from);
  if (nl < 0) throw new ProtocolError("truncated request header");
  return [buf.toString("utf8", from, nl), nl + 1];
}

export function decodeRequest(buf: Buffer): AgentRequest {
  const [magic, afterMagic] = takeLine(buf, 0);
  if (magic !== MAGIC) throw new ProtocolError(`unknown protocol "${magic.slice(0, 40)}"`);
  const [plugin, afterPlugin] = takeLine(buf, afterMagic);
  const [netns, afterNetns] = takeLine(buf, afterPlugin);
  let pos = afterNetns;
  const env: Record<string, string> = {};
  for (;;) {
    const nul = buf.indexOf(0, pos);
    if (nul < 0) throw new ProtocolError("environment is not terminated");
    if (nul === pos) {
      pos++;
      break;
    }
    const entry = buf.toString("utf8", pos, nul);
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
    pos = nul + 1;
  }
  const req: AgentRequest = { plugin, env, stdin: buf.toString("utf8", pos) };
  if (/^[0-9]+:[0-9]+$/.test(netns)) req.netnsId = netns;
  return req;
}

export function encodeRequest(req: AgentRequest): Buffer {
  const env = Object.entries(req.env).map(([k, v]) => `${k}=${v}\0`);
  return Buffer.from(`${MAGIC}\n${req.plugin}\n${req.netnsId ?? "-"}\n${env.join("")}\0${req.stdin}`);
}

export function encodeExit(status: number, stdout: string): Buffer {
  return Buffer.from(`EXIT ${status}\n${stdout}`);
}

export function encodeFallback(reason: string): Buffer {
  return Buffer.from(`FALLBACK ${reason.replace(/\n/g, " ")}\n`);
}

export type AgentAnswer =
  | { kind: "exit"; status: number; stdout: string }
  | { kind: "fallback"; reason: string };

export function decodeAnswer(buf: Buffer): AgentAnswer {
  const [head, pos] = takeLine(buf, 0);
  const exit = /^EXIT (-?[0-9]+)$/.exec(head);
  if (exit) return { kind: "exit", status: Number(exit[1]), stdout: buf.toString("utf8", pos) };
  if (head.startsWith("FALLBACK")) return { kind: "fallback", reason: head.slice(9) };
  throw new ProtocolError(`unknown answer "${head.slice(0, 40)}"`);
}
