// The host-local store under real multi-process contention: 200 separate OS processes
// allocate from one on-disk store at once (in batches released together), a lock holder
// killed with SIGKILL does not block the others, and allocations whose network namespace
// path is gone are reclaimed, with GC releasing the rest. No namespaces are needed: the
// "netns paths" are plain temporary files.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { parseIp } from "../../src/ipam/cidr.js";
import { gc, type HostLocalConfig, lookup, reclaimOrphans } from "../../src/ipam/host-local/index.js";

const PROCESSES = 200;
const BATCH = 50;

/** The worker's argv: its compiled sibling when running from dist/, else the source via tsx. */
function workerArgv(): string[] {
  const js = fileURLToPath(new URL("../../src/ipam/host-local/alloc-worker.js", import.meta.url));
  if (existsSync(js)) return [js];
  const ts = fileURLToPath(new URL("../../src/ipam/host-local/alloc-worker.ts", import.meta.url));
  return ["--import", "tsx", ts];
}

interface Worker {
  child: ChildProcess;
  /** Resolves with the next line the worker prints. */
  nextLine(): Promise<string>;
  exited: Promise<number | null>;
}

const running = new Set<ChildProcess>();

function startWorker(mode: "allocate" | "hold-lock", request: object): Worker {
  const child = spawn(process.execPath, [...workerArgv(), mode, JSON.stringify(request)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  running.add(child);
  const lines: string[] = [];
  const waiting: Array<(line: string) => void> = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("close", (code) => {
      running.delete(child);
      resolve(code);
    }),
  );
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const l = lines.shift();
      if (l !== undefined) return resolve(l);
      waiting.push(resolve);
      void exited.then((code) =>
        reject(new Error(`worker ${child.pid} exited (${code}) before printing a line`)),
      );
    });
  return { child, nextLine, exited };
}

let root: string;
let cfg: HostLocalConfig;
let nsDir: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), "flatnet-t-ipam-conc-"));
  nsDir = join(root, "netns");
  await mkdir(nsDir);
  cfg = { dataDir: join(root, "data"), network: "pods", ranges: [[{ subnet: "10.244.0.0/23" }]] };
});

after(async () => {
  for (const child of running) if (child.pid) process.kill(child.pid, "SIGKILL");
  await rm(root, { recursive: true, force: true });
});

describe("host-local store across processes", () => {
  const results = new Map<number, string>();

  it(`${PROCESSES} processes allocating at once never share an address`, async () => {
    const started = Date.now();
    for (let first = 0; first < PROCESSES; first += BATCH) {
      const batch: Array<{ i: number; w: Worker }> = [];
      for (let i = first; i < Math.min(first + BATCH, PROCESSES); i++) {
        const netns = join(nsDir, `pod${i}`);
        await writeFile(netns, "");
        const owner = { containerId: `container-${i}`, ifname: "eth0", netns };
        batch.push({ i, w: startWorker("allocate", { cfg, owner, waitForGo: true }) });
      }
      for (const { w } of batch) assert.equal(await w.nextLine(), "ready");
      for (const { w } of batch) w.child.stdin!.end("go\n");
      for (const { i, w } of batch) {
        const out = JSON.parse(await w.nextLine()) as {
          ok: boolean;
          error?: string;
          allocated?: Array<{ address: string }>;
        };
        assert.ok(out.ok, `worker ${i}: ${out.error}`);
        assert.equal(await w.exited, 0);
        assert.equal(out.allocated!.length, 1);
        results.set(i, out.allocated![0]!.address);
      }
    }
    const seconds = (Date.now() - started) / 1000;
    console.log(`${PROCESSES} allocating processes (batches of ${BATCH}) in ${seconds.toFixed(1)} s`);
    const addresses = [...results.values()];
    assert.equal(addresses.length, PROCESSES);
    assert.equal(new Set(addresses).size, PROCESSES, "every address is unique");
    for (const a of addresses) {
      assert.match(a, /\/23$/);
      const v = parseIp(a.slice(0, -3)).value;
      assert.ok(v >= parseIp("10.244.0.2").value && v <= parseIp("10.244.1.254").value, `${a} is in range`);
    }
    const files = (await readdir(join(cfg.dataDir, cfg.network))).filter((f) => f.startsWith("10.244."));
    assert.equal(files.length, PROCESSES, "one file per address on disk");
    for (let i = 0; i < PROCESSES; i += 37) {
      const own = await lookup(cfg, { containerId: `container-${i}`, ifname: "eth0" });
      assert.deepEqual(
        own.map((x) => x.address),
        [results.get(i)],
      );
    }
  });

  it("a lock holder killed with SIGKILL does not block the others", async () => {
    const holder = startWorker("hold-lock", { cfg });
    assert.equal(await holder.nextLine(), "locked");
    const owner = { containerId: "after-kill", ifname: "eth0" };
    const waiter = startWorker("allocate", { cfg, owner });
    const early = await Promise.race([waiter.exited.then(() => "exited"), sleep(700).then(() => "waiting")]);
    assert.equal(early, "waiting", "the allocation waits while the lock is held");
    const killedAt = Date.now();
    holder.child.kill("SIGKILL");
    const out = JSON.parse(await waiter.nextLine()) as { ok: boolean; error?: string };
    assert.ok(out.ok, out.error);
    assert.equal(await waiter.exited, 0);
    const ms = Date.now() - killedAt;
    console.log(`allocation completed ${ms} ms after the lock holder was killed`);
    assert.ok(ms < 5000);
  });

  it("reclaims allocations whose netns is gone, and GC releases all but the valid ones", async () => {
    const gone: string[] = [];
    for (let i = 0; i < PROCESSES; i += 2) {
      await rm(join(nsDir, `pod${i}`));
      gone.push(results.get(i)!.replace(/\/23$/, ""));
    }
    const reclaimed = await reclaimOrphans(cfg);
    assert.deepEqual(reclaimed.sort(), gone.sort());
    assert.deepEqual(await reclaimOrphans(cfg), [], "nothing left to reclaim");
    const valid = [1, 3, 5].map((i) => ({ containerId: `container-${i}`, ifname: "eth0" }));
    const released = await gc(cfg, valid);
    assert.equal(released.length, PROCESSES / 2 - 3 + 1, "the other live pods and after-kill");
    const files = (await readdir(join(cfg.dataDir, cfg.network))).filter((f) => f.startsWith("10.244."));
    assert.deepEqual(files.sort(), [1, 3, 5].map((i) => results.get(i)!.replace(/\/23$/, "")).sort());
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
