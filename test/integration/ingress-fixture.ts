/**
 * A local stand-in for a cluster behind the ingress proxy, all on 127.0.0.0/8: backend
 * servers on 127.0.0.x (one address per "pod", one shared port), an in-process Store holding
 * the IngressClass, Services, hand-written EndpointSlices, Ingresses and Secrets, and the real
 * controller + proxy + listeners on 127.0.0.1. Backends answer JSON naming themselves and
 * what they received, and echo WebSocket messages.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { Store } from "../../src/cluster/store.js";
import type { KObject } from "../../src/cluster/types.js";
import { type PemPair, selfSignedCert } from "../../src/ingress/certs.js";
import { IngressController } from "../../src/ingress/controller.js";
import { IngressProxy, type ProxyOptions } from "../../src/ingress/proxy.js";
import { type IngressServers, type ServerLimits, startIngressServers } from "../../src/ingress/server.js";
import { serveWebSocketEcho } from "../helpers/websocket.js";

export interface Echo {
  pod: string;
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  bodyBytes: number;
}

export class Backends {
  readonly servers: http.Server[] = [];
  port = 0;
  /** Requests that hang forever (timeout tests) are answered only on close. */
  private readonly hanging = new Set<http.ServerResponse>();
  private readonly silent: ChildProcess[] = [];

  /** A backend "pod" at 127.0.0.<n> on the shared port. */
  async start(n: number): Promise<string> {
    const ip = `127.0.0.${n}`;
    const pod = `pod-${n}`;
    const server = http.createServer((req, res) => {
      let bodyBytes = 0;
      req.on("data", (c: Buffer) => {
        bodyBytes += c.length;
      });
      req.on("end", () => {
        if (req.url?.startsWith("/big")) {
          res
            .writeHead(200, { "content-type": "application/octet-stream" })
            .end(Buffer.alloc(64 * 1024 * 1024, 120));
          return;
        }
        if (req.url?.startsWith("/hang")) {
          this.hanging.add(res);
          return;
        }
        const delay = Number(/[?&]delay=(\d+)/.exec(req.url ?? "")?.[1] ?? 0);
        const body = JSON.stringify({
          pod,
          method: req.method,
          url: req.url,
          headers: req.headers,
          bodyBytes,
        });
        setTimeout(() => res.writeHead(200, { "content-type": "application/json" }).end(body), delay);
      });
    });
    serveWebSocketEcho(server, pod);
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, ip, () => resolve());
    });
    if (!this.port) this.port = (server.address() as AddressInfo).port;
    this.servers.push(server);
    return ip;
  }

  /**
   * A "pod" that never completes a TCP handshake: a listener on 127.0.0.<n> whose accept
   * queue is full (python3: listen(0), never accept, queue filled by itself), so SYNs are
   * dropped as by a dead host. Returns its address.
   */
  async startSilent(n: number): Promise<string> {
    const ip = `127.0.0.${n}`;
    const script = [
      "import socket, sys, time",
      "s = socket.socket(); s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(0)",
      "cs = []",
      "for i in range(4):",
      "    c = socket.socket(); c.setblocking(False)",
      "    try: c.connect((sys.argv[1], int(sys.argv[2])))",
      "    except BlockingIOError: pass",
      "    cs.append(c)",
      "time.sleep(0.3); print('ready', flush=True); time.sleep(3600)",
    ].join("\n");
    const child = spawn("python3", ["-c", script, ip, String(this.port)], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    this.silent.push(child);
    await new Promise<void>((resolve, reject) => {
      child.once("error", reject);
      child.stdout.once("data", () => resolve());
    });
    return ip;
  }

  async stop(): Promise<void> {
    for (const c of this.silent) c.kill("SIGKILL");
    for (const r of this.hanging) r.destroy();
    await Promise.all(
      this.servers.map((s) => {
        s.closeAllConnections();
        return new Promise<void>((resolve) => s.close(() => resolve()));
      }),
    );
  }
}

export function service(ns: string, name: string, port = 80, portName = "http"): KObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { ports: [{ name: portName, port, targetPort: "web", protocol: "TCP" }] },
  };
}

export function slice(
  ns: string,
  svc: string,
  port: number,
  ips: string[],
  notReady: string[] = [],
): KObject {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${svc}-abc`, namespace: ns, labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    ports: [{ name: "http", port, protocol: "TCP" }],
    endpoints: [
      ...ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ...notReady.map((ip) => ({ addresses: [ip], conditions: { ready: false } })),
    ],
  };
}

export function tlsSecret(ns: string, name: string, pem: PemPair): KObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: ns },
    type: "kubernetes.io/tls",
    data: {
      "tls.crt": Buffer.from(pem.cert).toString("base64"),
      "tls.key": Buffer.from(pem.key).toString("base64"),
    },
  };
}

export const FLATNET_CLASS: KObject = {
  apiVersion: "networking.k8s.io/v1",
  kind: "IngressClass",
  metadata: { name: "flatnet" },
  spec: { controller: "flatnet.dev/ingress" },
};

export class IngressRig {
  readonly store = new Store();
  readonly proxy: IngressProxy;
  readonly controller: IngressController;
  readonly logs: string[] = [];
  servers!: IngressServers;
  defaultCert!: PemPair;

  constructor(proxyOpts: Partial<ProxyOptions> = {}) {
    this.proxy = new IngressProxy(proxyOpts);
    this.controller = new IngressController(this.store, this.proxy, { log: (m) => this.logs.push(m) });
  }

  async start(limits: Partial<ServerLimits> = {}): Promise<void> {
    this.defaultCert = await selfSignedCert("flatnet-ingress-default");
    this.store.apply(FLATNET_CLASS);
    this.controller.start();
    this.servers = await startIngressServers(this.proxy, {
      address: "127.0.0.1",
      httpPort: 0,
      httpsPort: 0,
      defaultCert: this.defaultCert,
      limits,
    });
  }

  /** Apply objects and wait until the proxy runs with them. */
  async apply(...objects: KObject[]): Promise<void> {
    for (const o of objects) this.store.apply(o);
    await this.controller.settled();
  }

  async stop(): Promise<void> {
    this.controller.stop();
    await this.servers?.close();
    this.proxy.pool.destroy();
  }
}

export interface CurlResult {
  code: number;
  status: number;
  body: string;
}

/** curl against the rig: `host` resolves to 127.0.0.1 with --resolve (so SNI and Host are `host`). */
export async function curl(
  rig: IngressRig,
  scheme: "http" | "https",
  host: string,
  path: string,
  extra: string[] = [],
): Promise<CurlResult> {
  const port = scheme === "http" ? rig.servers.httpPort : rig.servers.httpsPort;
  const args = [
    "-sS",
    "--max-time",
    "10",
    "--resolve",
    `${host}:${port}:127.0.0.1`,
    "-o",
    "-",
    "-w",
    "\n%{http_code}",
    ...extra,
    `${scheme}://${host}:${port}${path}`,
  ];
  try {
    const { stdout } = await promisify(execFile)("curl", args, { timeout: 15_000 });
    const nl = stdout.lastIndexOf("\n");
    return { code: 0, status: Number(stdout.slice(nl + 1)), body: stdout.slice(0, nl) };
  } catch (err) {
    const e = err as { code?: number; stderr?: string; stdout?: string };
    return {
      code: typeof e.code === "number" ? e.code : -1,
      status: 0,
      body: `${e.stderr ?? ""}${e.stdout ?? ""}`,
    };
  }
}

/** The pod that answered a curl through the proxy (or "<status>" when it was an error). */
export function podOf(r: CurlResult): string {
  if (r.status !== 200) return String(r.status || `curl exit ${r.code}: ${r.body.trim()}`);
  return (JSON.parse(r.body) as Echo).pod;
}
