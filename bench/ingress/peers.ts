/**
 * The benchmark's processes: nginx as the upstream (one worker answering a small fixed body,
 * so the proxies, not the backend, are measured), nginx configured by hand as a reverse proxy
 * with the same route as the Ingress (`bench.example` `/api` Prefix -> upstream, keep-alive
 * upstream connections, one worker), and the two Node.js proxies as child processes. All
 * on 127.0.91.0/24; every process is ended by its PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { PemPair } from "../../src/ingress/certs.js";

export const ADDR = {
  backend: { host: "127.0.91.2", port: 18080 },
  nginx: { host: "127.0.91.1", port: 18081, tlsPort: 18441 },
  minimal: { host: "127.0.91.1", port: 18082 },
  flatnet: { host: "127.0.91.1", port: 18083, tlsPort: 18443, mixedPort: 18084 },
};

/** 3 bytes of body, as small as a health answer: per-request overhead dominates. */
export const BODY = "ok\n";

function nginxConf(dir: string, server: string): string {
  return `worker_processes 1;
pid ${dir}/nginx-PID.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
${server}
}
`;
}

export function writeNginxConfigs(dir: string, cert: PemPair): { backend: string; proxy: string } {
  writeFileSync(join(dir, "tls.crt"), cert.cert);
  writeFileSync(join(dir, "tls.key"), cert.key);
  const b = ADDR.backend;
  const n = ADDR.nginx;
  const backend = nginxConf(
    dir,
    `  server {
    listen ${b.host}:${b.port};
    location / { default_type text/plain; return 200 "${BODY.trim()}\\n"; }
  }`,
  ).replace("nginx-PID", "backend");
  // The same route as the Ingress: bench.example, Prefix /api (location /api/ and = /api,
  // nginx's spelling of an element-wise prefix), anything else 404.
  const proxy = nginxConf(
    dir,
    `  upstream api { server ${b.host}:${b.port}; keepalive 256; }
  server {
    listen ${n.host}:${n.port};
    listen ${n.host}:${n.tlsPort} ssl;
    ssl_certificate ${dir}/tls.crt;
    ssl_certificate_key ${dir}/tls.key;
    server_name bench.example;
    location = /api { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection ""; }
    location /api/ {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
    }
    location / { return 404; }
  }`,
  ).replace("nginx-PID", "proxy");
  writeFileSync(join(dir, "backend.conf"), backend);
  writeFileSync(join(dir, "proxy.conf"), proxy);
  return { backend: join(dir, "backend.conf"), proxy: join(dir, "proxy.conf") };
}

export interface Proc {
  name: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Start a process; resolves once `ready()` says so (a line on stdout, or a port answering). */
export function startProc(name: string, cmd: string, args: string[], readyLine?: string): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr?.on("data", (d) => {
      err += d;
    });
    const proc: Proc = {
      name,
      child,
      stop: () =>
        new Promise<void>((res) => {
          if (child.exitCode !== null || child.signalCode !== null) return res();
          child.once("exit", () => res());
          child.kill("SIGTERM");
          setTimeout(() => child.kill("SIGKILL"), 3000).unref();
        }),
    };
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${name} exited ${code}: ${err}`)));
    if (!readyLine) {
      setTimeout(() => resolve(proc), 500);
      return;
    }
    let out = "";
    child.stdout?.on("data", (d) => {
      out += d;
      if (out.includes(readyLine)) resolve(proc);
    });
  });
}
