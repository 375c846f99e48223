/**
 * The fast path's resident side: a unix-socket server, hosted by a node agent, that runs CNI
 * requests relayed by the shim through the same handler the standalone plugin uses, with the
 * node's netns as the host namespace. No process starts for the request itself; the kernel
 * work is the plugin's two `ip` batches and the IPAM store is a locked file update.
 *
 * A request from a shim exec'd in a different netns than the one served is answered FALLBACK,
 * and the shim runs the plugin itself: a config pointing at the wrong agent costs time, never
 * a pod wired into the wrong node.
 */
import { statSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { createServer, type Server, type Socket } from "node:net";
import { dirname } from "node:path";
import { Spawner, type SpawnRequest } from "../kernel/spawner.js";
import { decodeRequest, encodeExit, encodeFallback, ProtocolError } from "./agent-protocol.js";
import { handleCni, isPluginName } from "./handler.js";
import { hostNs } from "./ip-batch.js";
import { SessionRunner } from "./ip-session.js";
import type { HostLocalStore } from "./ipam-store.js";

export interface CniServerOptions {
  socketPath: string;
  /** Named netns (under /run/netns) of the node served; undefined = the agent's own netns. */
  hostNetns?: string;
  /** Injected flatnet-ipam store (tests). */
  store?: HostLocalStore;
  /** Called with each request's outcome (logging, metrics). */
  onRequest?: (info: { plugin: string; command: string; status: number | "fallback"; ms: number }) => void;
}

export interface CniServer {
  socketPath: string;
  close(): Promise<void>;
}

/** One spawner helper per process, shared by every node served (a lab hosts many). */
let shared: { spawner: Spawner; users: number } | undefined;

function acquireSpawner(): Spawner {
  shared ??= { spawner: new Spawner(), users: 0 };
  shared.users++;
  return shared.spawner;
}

function releaseSpawner(): void {
  if (shared && --shared.users === 0) {
    shared.spawner.close();
    shared = undefined;
  }
}

function netnsIdOf(path: string): string {
  const st = statSync(path);
  return `${st.dev}:${st.ino}`;
}

export async function startCniServer(opts: CniServerOptions): Promise<CniServer> {
  const servedNs = opts.hostNetns ? `/run/netns/${opts.hostNetns}` : "/proc/self/ns/net";
  netnsIdOf(servedNs); // fail now, not per request, when the namespace does not exist
  await mkdir(dirname(opts.socketPath), { recursive: true });
  await rm(opts.socketPath, { force: true });
  const inFlight = new Set<Promise<void>>();
  const spawner = acquireSpawner();
  const ip = new SessionRunner(hostNs(opts.hostNetns), spawner);
  const spawn = (req: SpawnRequest) => spawner.run(req);

  const serve = async (socket: Socket, data: Buffer): Promise<void> => {
    const started = performance.now();
    let command = "?";
    let plugin = "?";
    try {
      const req = decodeRequest(data);
      plugin = req.plugin;
      command = req.env.CNI_COMMAND ?? "?";
      const served = netnsIdOf(servedNs);
      if (!isPluginName(req.plugin)) {
        socket.end(encodeFallback(`unknown plugin ${req.plugin}`));
        opts.onRequest?.({ plugin, command, status: "fallback", ms: performance.now() - started });
        return;
      }
      if (req.netnsId !== served) {
        socket.end(
          encodeFallback(
            `this agent serves netns ${servedNs} (${served}), the shim runs in ${req.netnsId ?? "an unknown one"}`,
          ),
        );
        opts.onRequest?.({ plugin, command, status: "fallback", ms: performance.now() - started });
        return;
      }
      const ctx = { hostNetns: opts.hostNetns, ip, spawn, ...(opts.store ? { store: opts.store } : {}) };
      const res = await handleCni(req.plugin, { env: req.env, stdin: req.stdin }, ctx);
      socket.end(encodeExit(res.exitCode, res.stdout));
      opts.onRequest?.({ plugin, command, status: res.exitCode, ms: performance.now() - started });
    } catch (e) {
      // Nothing ran: let the shim do the request itself.
      const why = e instanceof ProtocolError ? e.message : `agent error: ${(e as Error).message}`;
      socket.end(encodeFallback(why));
    }
  };

  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => socket.destroy());
    socket.on("end", () => {
      const p = serve(socket, Buffer.concat(chunks)).finally(() => inFlight.delete(p));
      inFlight.add(p);
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (e) {
    ip.close();
    releaseSpawner();
    throw e;
  }

  return {
    socketPath: opts.socketPath,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all(inFlight);
      ip.close();
      releaseSpawner();
      await rm(opts.socketPath, { force: true });
    },
  };
}
