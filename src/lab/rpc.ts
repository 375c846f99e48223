/**
 * The lab daemon's API: newline-delimited JSON over a unix socket under the lab's state dir
 * (root-only, like the lab itself). One request per line `{id, method, params}`, one answer
 * per line `{id, result}` or `{id, error: {message, fix?}}`. Small on purpose: the CLI does
 * the heavy lifting of loading and validating manifests before anything reaches the daemon.
 * A method may instead answer with a stream (`streamResult`): then every value it emits goes
 * out as `{id, event}` on the same connection until the client hangs up (the cluster DNS
 * pods watch cluster state this way).
 */
import { chmodSync, rmSync } from "node:fs";
import net from "node:net";
import { errorMessage, UserError } from "../util/errors.js";

export type Handler = (params: any) => Promise<unknown> | unknown;

const STREAM = Symbol("rpc stream");

/** Subscribe with `emit`; return the unsubscribe function, called when the client leaves. */
export type StreamSubscribe = (emit: (event: unknown) => void) => () => void;

/** A method's answer that streams events instead of one result. */
export function streamResult(subscribe: StreamSubscribe): unknown {
  return { [STREAM]: subscribe };
}

/** A client that reads this far behind is cut off (it reconnects and resyncs). */
const MAX_STREAM_BACKLOG = 256 * 1024 * 1024;

export interface RpcServer {
  close(): Promise<void>;
}

export async function serveRpc(socketPath: string, methods: Record<string, Handler>): Promise<RpcServer> {
  rmSync(socketPath, { force: true });
  const server = net.createServer((conn) => {
    let buf = "";
    conn.setEncoding("utf8");
    conn.on("data", (chunk) => {
      buf += chunk;
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
        void answer(line);
      }
    });
    conn.on("error", () => undefined);
    const answer = async (line: string) => {
      let id: unknown = null;
      try {
        const req = JSON.parse(line) as { id: unknown; method: string; params?: unknown };
        id = req.id;
        const fn = methods[req.method];
        if (!fn) throw new UserError(`unknown lab API method "${req.method}"`);
        const result = await fn(req.params ?? {});
        const subscribe = (result as { [STREAM]?: StreamSubscribe } | null)?.[STREAM];
        if (subscribe) {
          if (conn.destroyed) return;
          const unsubscribe = subscribe((event) => {
            if (conn.destroyed) return;
            conn.write(`${JSON.stringify({ id, event })}\n`);
            if (conn.writableLength > MAX_STREAM_BACKLOG) conn.destroy();
          });
          conn.once("close", unsubscribe);
          return;
        }
        if (!conn.destroyed) conn.write(`${JSON.stringify({ id, result: result ?? null })}\n`);
      } catch (err) {
        const error =
          err instanceof UserError ? { message: err.message, fix: err.fix } : { message: errorMessage(err) };
        if (!conn.destroyed) conn.write(`${JSON.stringify({ id, error })}\n`);
      }
    };
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  chmodSync(socketPath, 0o600);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}

/** One call to the daemon. Errors it reports come back as UserError. */
export function callRpc<T = unknown>(
  socketPath: string,
  method: string,
  params: unknown = {},
  timeoutMs = 600_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const conn = net.createConnection(socketPath);
    let buf = "";
    const timer = setTimeout(() => {
      conn.destroy();
      reject(new UserError(`the lab daemon did not answer "${method}" within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    conn.setEncoding("utf8");
    conn.on("connect", () => conn.write(`${JSON.stringify({ id: 1, method, params })}\n`));
    conn.on("data", (chunk) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      conn.end();
      const res = JSON.parse(buf.slice(0, nl)) as { result?: T; error?: { message: string; fix?: string } };
      if (res.error) reject(new UserError(res.error.message, res.error.fix));
      else resolve(res.result as T);
    });
    conn.on("error", (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        err.code === "ENOENT" || err.code === "ECONNREFUSED"
          ? new UserError(
              `the lab daemon is not running (${socketPath})`,
              "run `flatnet down` to clean up, then `flatnet up`",
            )
          : err,
      );
    });
  });
}
