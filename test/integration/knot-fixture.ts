/**
 * A real authoritative DNS server (Knot DNS, Debian package `knot`) on a loopback address,
 * serving a test zone: the upstream that cluster DNS forwards to in tests, and the reference
 * server of the DNS benchmark. Runs `knotd` in the foreground from a temporary directory and
 * stops it by PID.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { netnsPath } from "../../src/kernel/netns.js";
import { tcpConnectFrom } from "../../src/lab/workload/ns-socket.js";

export interface Knot {
  address: string;
  port: number;
  stop(): Promise<void>;
}

export function knotAvailable(): boolean {
  try {
    execFileSync("knotd", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** A port free for both UDP and TCP on `address` (probed, then released). */
export async function freePort(address: string): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const udp = dgram.createSocket("udp4");
    const port = await new Promise<number>((resolve, reject) => {
      udp.once("error", reject);
      udp.bind(0, address, () => resolve(udp.address().port));
    });
    const ok = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once("error", () => resolve(false));
      srv.listen(port, address, () => srv.close(() => resolve(true)));
    });
    udp.close();
    if (ok) return port;
  }
  throw new Error(`no port free for both UDP and TCP on ${address}`);
}

/**
 * Start knotd serving `zones` (origin -> zone file text) on address:port, inside network
 * namespace `netns` when given (then `port` is required).
 */
export async function startKnot(
  address: string,
  zones: Record<string, string>,
  port?: number,
  netns?: string,
  /** UDP/TCP worker threads; default 1 (tests); undefined-for-Knot's-own-default via 0. */
  workers = 1,
): Promise<Knot> {
  const dir = mkdtempSync(join(tmpdir(), "flatnet-knot-"));
  const p = port ?? (await freePort(address));
  const zoneConf = Object.keys(zones)
    .map((origin) => `  - domain: ${origin}\n    file: ${join(dir, `${origin}.zone`)}\n`)
    .join("");
  for (const [origin, text] of Object.entries(zones)) writeFileSync(join(dir, `${origin}.zone`), text);
  writeFileSync(
    join(dir, "knot.conf"),
    [
      "server:",
      `  rundir: ${dir}`,
      `  listen: ${address}@${p}`,
      ...(workers > 0
        ? [`  udp-workers: ${workers}`, `  tcp-workers: ${workers}`, "  background-workers: 1"]
        : []),
      "database:",
      `  storage: ${dir}`,
      "template:",
      "  - id: default",
      `    storage: ${dir}`,
      "    semantic-checks: off",
      "    zonefile-sync: -1",
      "    journal-content: none",
      "log:",
      "  - target: stderr",
      "    any: error",
      "zone:",
      zoneConf,
    ].join("\n"),
  );
  const argv = ["knotd", "-c", join(dir, "knot.conf")];
  // `ip netns exec` execs knotd, so the child's PID is knotd's.
  const child: ChildProcess = netns
    ? spawn("ip", ["netns", "exec", netns, ...argv], { stdio: ["ignore", "ignore", "pipe"] })
    : spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => {
    stderr += d;
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when it accepts TCP on the port.
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`knotd exited with ${child.exitCode}: ${stderr.trim()}`);
    }
    const up = netns
      ? await tcpConnectFrom(netnsPath(netns), address, p, 500).then(
          (s) => {
            s.destroy();
            return true;
          },
          () => false,
        )
      : await new Promise<boolean>((resolve) => {
          const s = net.connect({ host: address, port: p }, () => {
            s.destroy();
            resolve(true);
          });
          s.on("error", () => resolve(false));
        });
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`knotd did not start listening on ${address}:${p} within 10 s: ${stderr.trim()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { address, port: p, stop };
}
