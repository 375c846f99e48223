/** Pure lifecycle rules: restart decisions, probe timing defaults, pod phase. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { shouldRestart } from "./command-container.js";
import { ContainerRunner } from "./container-state.js";
import { podPhase } from "./pod.js";
import { probeTiming } from "./readiness.js";
import type { ContainerStateJson } from "./types.js";

class FakeRunner extends ContainerRunner {
  constructor(state: ContainerStateJson, restartCount = 0, lastState: ContainerStateJson = {}) {
    super("fake");
    this.state = state;
    this.restartCount = restartCount;
    this.lastState = lastState;
  }
  get pid() {
    return undefined;
  }
  async start() {}
  async stop() {}
}

const running = () => new FakeRunner({ running: { startedAt: "2024-01-01T00:00:00Z" } });
const exited = (exitCode: number) =>
  new FakeRunner({
    terminated: { exitCode, reason: exitCode ? "Error" : "Completed", finishedAt: "2024-01-01T00:00:01Z" },
  });

describe("lifecycle rules", () => {
  it("restarts per policy", () => {
    assert.equal(shouldRestart("Always", 0), true);
    assert.equal(shouldRestart("OnFailure", 0), false);
    assert.equal(shouldRestart("OnFailure", 1), true);
    assert.equal(shouldRestart("Never", 1), false);
  });

  it("fills probe timing with Kubernetes' defaults and minimums", () => {
    assert.deepEqual(probeTiming({}), {
      initialDelayMs: 0,
      periodMs: 10_000,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.deepEqual(
      probeTiming({ initialDelaySeconds: 2, periodSeconds: 0, successThreshold: 0, failureThreshold: 5 }),
      {
        initialDelayMs: 2000,
        periodMs: 1000,
        successThreshold: 1,
        failureThreshold: 5,
      },
    );
  });

  it("derives the pod phase from container states", () => {
    assert.equal(
      podPhase([new FakeRunner({ waiting: { reason: "ContainerCreating" } })], "Always"),
      "Pending",
    );
    assert.equal(podPhase([running(), exited(0)], "Never"), "Running");
    assert.equal(podPhase([exited(0), exited(0)], "Never"), "Succeeded");
    assert.equal(podPhase([exited(0), exited(2)], "Never"), "Failed");
    assert.equal(podPhase([exited(2)], "Always"), "Running");
    const backingOff = new FakeRunner({ waiting: { reason: "CrashLoopBackOff" } }, 1, exited(1).state);
    assert.equal(podPhase([backingOff], "Always"), "Running");
  });
});
