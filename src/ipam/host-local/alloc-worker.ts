/**
 * Runs one host-local store operation in a process of its own, so tests and benchmarks can
 * make many separate OS processes contend for one on-disk store, as concurrent CNI ADDs do.
 *
 *   node alloc-worker.js allocate '{"cfg":{...},"owner":{...},"requestedIps":[...],"waitForGo":true}'
 *     prints {"ok":true,"allocated":[...]} or {"ok":false,"error":"..."}; with waitForGo it
 *     prints "ready" first and starts only after reading a line from stdin, so a batch of
 *     workers can be released at once.
 *   node alloc-worker.js hold-lock '{"cfg":{...}}'
 *     takes the network's lock, prints "locked" and keeps it until killed.
 */
import { once } from "node:events";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { errorMessage } from "../../util/errors.js";
import type { HostLocalConfig, Owner } from "./config.js";
import { withLock } from "./lock.js";
import { allocate } from "./store.js";

interface Request {
  cfg: HostLocalConfig;
  owner?: Owner;
  requestedIps?: string[];
  waitForGo?: boolean;
}

async function waitForLine(): Promise<void> {
  const rl = createInterface({ input: process.stdin });
  await once(rl, "line");
  rl.close();
}

async function main(): Promise<number> {
  const [mode, json] = process.argv.slice(2);
  const req = JSON.parse(json ?? "{}") as Request;
  if (mode === "hold-lock") {
    const dir = join(req.cfg.dataDir, req.cfg.network);
    await mkdir(dir, { recursive: true });
    await withLock(dir, async () => {
      process.stdout.write("locked\n");
      await new Promise(() => setInterval(() => {}, 1 << 30));
    });
    return 0;
  }
  if (mode !== "allocate" || !req.owner) {
    process.stderr.write("usage: alloc-worker allocate|hold-lock JSON\n");
    return 2;
  }
  if (req.waitForGo) {
    process.stdout.write("ready\n");
    await waitForLine();
  }
  try {
    const allocated = await allocate(req.cfg, req.owner, { requestedIps: req.requestedIps ?? [] });
    process.stdout.write(`${JSON.stringify({ ok: true, allocated })}\n`);
    return 0;
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: errorMessage(err) })}\n`);
    return 1;
  }
}

process.exitCode = await main();
