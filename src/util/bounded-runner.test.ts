import assert from "node:assert/strict";
import { test } from "node:test";
import { BoundedRunner } from "./bounded-runner.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("requests coalesce and runs never overlap", async () => {
  let runs = 0;
  let active = 0;
  let maxActive = 0;
  const r = new BoundedRunner(
    async () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(20);
      active--;
    },
    10,
    50,
    () => undefined,
  );
  for (let i = 0; i < 20; i++) r.request();
  await r.settled();
  assert.equal(maxActive, 1);
  assert.ok(runs <= 2, `20 requests coalesced into ${runs} runs`);
  r.stop();
});

test("settled resolves under a steady stream of requests", async () => {
  const r = new BoundedRunner(
    async () => {
      await sleep(5);
    },
    1,
    10,
    () => undefined,
  );
  const flood = setInterval(() => r.request(), 1);
  r.request();
  const t0 = Date.now();
  await r.settled();
  clearInterval(flood);
  assert.ok(Date.now() - t0 < 1000);
  r.stop();
});

test("a failed run is retried", async () => {
  let calls = 0;
  const errors: unknown[] = [];
  const r = new BoundedRunner(
    async () => {
      calls++;
      if (calls === 1) throw new Error("boom");
    },
    1,
    5,
    (e) => errors.push(e),
  );
  r.request();
  await sleep(100);
  assert.equal(calls, 2);
  assert.equal(errors.length, 1);
  r.stop();
});

test("settled called during a run with nothing else due resolves when that run ends", async () => {
  let runs = 0;
  const r = new BoundedRunner(
    async () => {
      runs++;
      await sleep(50);
    },
    1,
    10,
    () => undefined,
  );
  r.request();
  await sleep(10);
  const t0 = Date.now();
  const done = await Promise.race([r.settled().then(() => true), sleep(1000).then(() => false)]);
  assert.ok(done, "settled() never resolved");
  assert.ok(Date.now() - t0 < 500);
  assert.equal(runs, 1);
  r.stop();
});

test("settled called during a run with a new request waits for the next run", async () => {
  const seen: number[] = [];
  let value = 0;
  const r = new BoundedRunner(
    async () => {
      const v = value;
      await sleep(30);
      seen.push(v);
    },
    1,
    10,
    () => undefined,
  );
  r.request();
  await sleep(10);
  value = 1;
  r.request();
  await r.settled();
  assert.deepEqual(seen, [0, 1]);
  r.stop();
});
