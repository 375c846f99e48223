/**
 * Every command flatnet runs (ip, nft, conntrack, CNI plugins) goes through a few long-lived
 * netns_spawn helpers (src/kernel/spawner.ts) instead of Node's child_process: Node forks
 * its whole address space per child, which costs tens of milliseconds once a lab daemon
 * holds a few hundred MB, and a 1,000-pod lab runs ~10 commands per pod. Each helper runs
 * its requests one after another, so a pool keeps independent work in parallel; a request
 * goes to the helper with the least outstanding work.
 *
 * Programs that may call back into this process (a CNI plugin whose shim hands the request
 * to this node agent, which then runs `ip`) must use a different pool from the commands the
 * callback runs, or a full pool waits on itself.
 */
import { existsSync } from "node:fs";
import { Spawner, type SpawnRequest, type SpawnResult, spawnerPath } from "./spawner.js";

interface Slot {
  spawner: Spawner;
  outstanding: number;
}

export class SpawnPool {
  private slots: Slot[] | undefined;

  constructor(private readonly size: number) {}

  private ensureSlots(): Slot[] {
    this.slots ??= Array.from({ length: this.size }, () => ({ spawner: new Spawner(), outstanding: 0 }));
    return this.slots;
  }

  /** Start every helper now (they otherwise start on first use), e.g. before counting fds. */
  async startAll(): Promise<void> {
    await Promise.all(this.ensureSlots().map((slot) => slot.spawner.run({ argv: ["true"] })));
  }

  async run(req: SpawnRequest): Promise<SpawnResult> {
    this.ensureSlots();
    const slot = this.slots!.reduce((a, b) => (b.outstanding < a.outstanding ? b : a));
    slot.outstanding++;
    try {
      return await slot.spawner.run(req);
    } finally {
      slot.outstanding--;
    }
  }

  close(): void {
    for (const slot of this.slots ?? []) slot.spawner.close();
    this.slots = undefined;
  }
}

let available: boolean | undefined;

/** False when build/netns_spawn is missing (then callers use child_process). */
export function spawnPoolAvailable(): boolean {
  if (available === undefined) {
    try {
      available = existsSync(spawnerPath());
    } catch {
      available = false;
    }
  }
  return available;
}

/** The pool for kernel tools (ip, nft, conntrack, sysctl): short, never calling back. */
export const kernelTools = new SpawnPool(4);
/** The pool for CNI plugins, which may call back into a resident agent in this process. */
export const pluginRuns = new SpawnPool(8);
