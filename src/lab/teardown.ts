/**
 * `flatnet down`: remove every namespace, link, process and file of a lab, whether its
 * daemon is alive or was killed with SIGKILL. Everything is found from the lab name alone:
 * the daemon's process group from its pid file, processes inside lab namespaces from the
 * kernel (`ip netns pids`), namespaces by their unique prefix, files under the lab dir.
 * Only processes that this lab started are signalled.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { runStatus } from "../kernel/exec.js";
import { deleteNetns, listNetns } from "../kernel/netns.js";
import { LabNames, labPaths, stateRoot } from "./names.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The daemon's pid if the pid file names a live flatnet daemon of this lab. */
export function daemonPid(lab: string): number | undefined {
  const { pidFile } = labPaths(lab);
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return undefined;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    // A recycled pid belongs to someone else: never signal it.
    if (!cmdline.includes("flatnet") || !cmdline.includes(lab)) return undefined;
  } catch {
    return undefined;
  }
  return pid;
}

/** Signal the daemon's whole process group (daemon, workload hosts, their children). */
async function stopDaemonGroup(pid: number): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal("SIGTERM");
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  signal("SIGKILL");
}

async function killProcessesIn(netns: string): Promise<void> {
  const res = await runStatus(["ip", "netns", "pids", netns]);
  const pids = res.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* exited meanwhile */
    }
  }
}

export interface TeardownReport {
  namespaces: number;
  daemonStopped: boolean;
}

export async function teardownLab(lab: string, opts: { graceful?: boolean } = {}): Promise<TeardownReport> {
  const names = new LabNames(lab);
  const paths = labPaths(lab);
  const pid = daemonPid(lab);
  const before = listNetns(names.netnsPrefix).length;
  if (pid !== undefined && opts.graceful !== false) await stopDaemonGroup(pid);
  const namespaces = listNetns(names.netnsPrefix);
  // Processes first: a process inside a namespace would otherwise keep it alive unnamed.
  await Promise.all(namespaces.map(killProcessesIn));
  for (const ns of namespaces) {
    await deleteNetns(ns);
    rmSync(join("/etc/netns", ns), { recursive: true, force: true });
  }
  rmSync(paths.dir, { recursive: true, force: true });
  return { namespaces: Math.max(before, namespaces.length), daemonStopped: pid !== undefined };
}

/** Labs that exist on this machine: a state dir or any namespace with a lab prefix. */
export function listLabs(): string[] {
  const labs = new Set<string>();
  for (const ns of listNetns("flatnet-")) {
    const m = /^flatnet-([a-z0-9-]+)_/.exec(ns);
    if (m?.[1]) labs.add(m[1]);
  }
  const dir = join(stateRoot(), "labs");
  if (existsSync(dir)) for (const name of readdirSync(dir)) labs.add(name);
  return [...labs].sort();
}
