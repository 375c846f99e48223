/**
 * One serving instance of the ingress controller: its own mirror of the cluster (the lab
 * daemon's watch stream), controller loop, proxy and listeners. The add-on process runs two:
 * HTTP on the main thread and HTTPS on a worker thread (main.ts), because one V8 isolate
 * serving both kinds of socket runs the HTTP path about 10% slower (inline caches and Node's
 * stream code see TLSSocket and Socket alike; measured in bench/results/ingress.md).
 */
import { DaemonWatchSource } from "../dns/daemon-source.js";
import type { PemPair } from "./certs.js";
import { IngressController, WATCHED_KINDS } from "./controller.js";
import { IngressProxy } from "./proxy.js";
import { type IngressServers, startIngressServers } from "./server.js";

export interface InstanceOptions {
  labSocket: string;
  address: string;
  /** null: this instance does not serve the protocol. */
  httpPort: number | null;
  httpsPort: number | null;
  defaultCert: PemPair;
  maxBodyBytes: number;
  log: (msg: string) => void;
}

export interface Instance {
  source: DaemonWatchSource;
  proxy: IngressProxy;
  controller: IngressController;
  servers: IngressServers;
  close(): Promise<void>;
}

/** Listen at once (404 until synced), then resolve after the first full sync. */
export async function startInstance(o: InstanceOptions): Promise<Instance> {
  const proxy = new IngressProxy({ maxBodyBytes: o.maxBodyBytes });
  const source = new DaemonWatchSource(o.labSocket, [...WATCHED_KINDS, "Node"]);
  source.onLog = o.log;
  const controller = new IngressController(source, proxy, { log: o.log });
  const servers = await startIngressServers(proxy, {
    address: o.address,
    httpPort: o.httpPort,
    httpsPort: o.httpsPort,
    defaultCert: o.defaultCert,
  });
  await source.start();
  controller.start();
  return {
    source,
    proxy,
    controller,
    servers,
    close: async () => {
      controller.stop();
      source.close();
      await servers.close();
    },
  };
}
