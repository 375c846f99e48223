/**
 * Applies a NodePodNetwork to one node: read the kernel, plan, execute. The kernel is reached
 * through a NodeKernelPort, so the same applier runs against a real namespace (IpNodeKernel,
 * below: `ip -j`, `bridge -j` and `sysctl` to read; `sysctl -w`, `ip -batch`, `bridge -batch`
 * to write, at most four processes per apply and none when nothing changed) or against the
 * in-memory FakeNodeKernel (podnet-fake.ts) in unit tests.
 *
 * One apply at a time per node: the caller (a node agent's sync loop) serialises them. An
 * apply that fails part way leaves the node partly reconciled; the next apply plans again
 * from what the kernel then holds and finishes the job.
 */
import type { NodePodNetwork } from "../model/podnet.js";
import { CommandError, run } from "./exec.js";
import { isOwnedLink, type PodNetOp, planPodNetwork } from "./podnet-plan.js";
import { describeOps, renderPodNetOps } from "./podnet-render.js";
import {
  type KernelSnapshot,
  parseAddresses,
  parseFdb,
  parseLinks,
  parseNeighbours,
  parseRoutes,
  parseSysctls,
  splitJsonLines,
} from "./podnet-snapshot.js";

export interface NodeKernelPort {
  /** Where this port acts, for error messages (a namespace name). */
  readonly where: string;
  /**
   * Read the kernel. FDB entries are read for the links named in `fdbLinks` that exist;
   * sysctls for `sysctlKeys`.
   */
  snapshot(fdbLinks: string[], sysctlKeys: string[]): Promise<KernelSnapshot>;
  /** Carry out planned operations in order; stops at the first failure and throws. */
  execute(ops: PodNetOp[]): Promise<void>;
}

export interface ApplyReport {
  changed: boolean;
  ops: PodNetOp[];
  /** The operations as command lines, for logs. */
  commands: string[];
}

export class PodNetApplier {
  constructor(readonly kernel: NodeKernelPort) {}

  /** The plan that apply(want) would carry out now, without changing anything. */
  async plan(want: NodePodNetwork): Promise<PodNetOp[]> {
    const have = await this.read(want);
    return planPodNetwork(have, want);
  }

  /** Make the node match `want`; applying the same state again changes nothing. */
  async apply(want: NodePodNetwork): Promise<ApplyReport> {
    const ops = await this.plan(want);
    if (ops.length > 0) await this.kernel.execute(ops);
    return { changed: ops.length > 0, ops, commands: describeOps(ops) };
  }

  private async read(want: NodePodNetwork): Promise<KernelSnapshot> {
    // FDB entries live on VXLAN links: those wanted, and flatnet-owned ones that may be stale.
    const fdbLinks = want.links.filter((l) => l.kind === "vxlan").map((l) => l.name);
    return this.kernel.snapshot(
      fdbLinks,
      want.sysctls.map((s) => s.key),
    );
  }
}

/** The real kernel of one node namespace. */
export class IpNodeKernel implements NodeKernelPort {
  constructor(readonly netns: string) {}

  get where(): string {
    return `network namespace ${this.netns}`;
  }

  async snapshot(fdbLinks: string[], sysctlKeys: string[]): Promise<KernelSnapshot> {
    const out = await run(["ip", "-j", "-d", "-N", "-batch", "-"], {
      netns: this.netns,
      input: "link show\naddress show\nroute show table main\nneigh show nud permanent\n",
    });
    const [links, addresses, routes, neighbours] = splitJsonLines(out);
    const parsedLinks = parseLinks(links);
    // Read the FDB of wanted VXLAN links and of every flatnet-owned VXLAN link.
    const fdbDevs = parsedLinks
      .filter((l) => l.kind === "vxlan" && (fdbLinks.includes(l.name) || isOwnedLink(l)))
      .map((l) => l.name);
    const [fdbOut, sysctlOut] = await Promise.all([
      fdbDevs.length
        ? run(["bridge", "-n", this.netns, "-j", "-batch", "-"], {
            input: fdbDevs.map((d) => `fdb show dev ${d}\n`).join(""),
          })
        : Promise.resolve(""),
      // -e: a key of a device that does not exist yet is left out instead of failing the read.
      sysctlKeys.length ? run(["sysctl", "-e", ...sysctlKeys], { netns: this.netns }) : Promise.resolve(""),
    ]);
    const fdbJson = splitJsonLines(fdbOut);
    return {
      links: parsedLinks,
      addresses: parseAddresses(addresses),
      routes: parseRoutes(routes),
      neighbours: parseNeighbours(neighbours),
      fdb: fdbDevs.flatMap((dev, i) => parseFdb(dev, fdbJson[i] ?? [])),
      sysctls: parseSysctls(sysctlKeys, sysctlOut),
    };
  }

  async execute(ops: PodNetOp[]): Promise<void> {
    const s = renderPodNetOps(ops);
    if (s.ip.length) await this.step(["ip", "-batch", "-"], s.ip);
    if (s.sysctl.length) await this.step(["sysctl", "-q", "-w", ...s.sysctl]);
    if (s.bridge.length) await this.step(["bridge", "-n", this.netns, "-batch", "-"], s.bridge);
    if (s.routes.length) await this.step(["ip", "-batch", "-"], s.routes);
  }

  /** Run one script; a failure names the namespace and the exact line the tool refused. */
  private async step(argv: string[], lines?: string[]): Promise<void> {
    // `bridge` is given the namespace with -n; ip and sysctl get it from run().
    const netns = argv[0] === "bridge" ? undefined : this.netns;
    try {
      await run(argv, { netns, input: lines ? `${lines.join("\n")}\n` : undefined });
    } catch (err) {
      if (!(err instanceof CommandError)) throw err;
      const at = /Command failed -:(\d+)/.exec(err.stderr);
      const line = at && lines ? lines[Number(at[1]) - 1] : undefined;
      const what = line ? `"${argv[0]} ${line}"` : `"${argv.join(" ")}"`;
      const why = err.stderr
        .split("\n")
        .filter((l) => l.trim() && !l.startsWith("Command failed"))
        .join("; ");
      throw new Error(`pod network of ${this.where}: ${what} failed: ${why || `exit code ${err.code}`}`);
    }
  }
}
