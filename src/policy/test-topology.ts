/**
 * Test support: the topology of Kubernetes' NetworkPolicy e2e tests (namespaces x, y, z
 * labelled ns=<name>; pods a, b, c labelled pod=<name>, serving 80 and 81 over TCP and UDP
 * with named ports serve-<port>-<proto>), and a truth table to state expected reachability
 * the way those tests do: start from "everything allowed" and carve out expectations.
 */
import assert from "node:assert/strict";
import { has } from "./bitset.js";
import type { NetworkPolicyLike, NetworkPolicySpecJson } from "./compile.js";
import { connectionVerdict, egressTargets, ingressSources } from "./evaluate.js";
import { PolicyModel } from "./model.js";
import type { NamedPort, PolicyNamespace, PolicyPod, Protocol } from "./types.js";
import { PodUniverse } from "./universe.js";

export const E2E_NAMESPACES = ["x", "y", "z"] as const;
export const E2E_PODS = ["a", "b", "c"] as const;

export function e2eNamedPorts(): NamedPort[] {
  const out: NamedPort[] = [];
  for (const port of [80, 81])
    for (const protocol of ["TCP", "UDP"] as const)
      out.push({ name: `serve-${port}-${protocol.toLowerCase()}`, port, protocol });
  return out;
}

/** x/a = 10.244.1.10, x/b = .11, x/c = .12, y/a = 10.244.2.10, ... */
export function e2eTopology(): { pods: PolicyPod[]; namespaces: PolicyNamespace[] } {
  const pods: PolicyPod[] = [];
  E2E_NAMESPACES.forEach((ns, i) => {
    E2E_PODS.forEach((name, j) => {
      pods.push({
        namespace: ns,
        name,
        labels: { pod: name },
        ips: [`10.244.${i + 1}.${j + 10}`],
        namedPorts: e2eNamedPorts(),
        node: j === 2 ? "node-2" : "node-1",
      });
    });
  });
  const namespaces = E2E_NAMESPACES.map((ns) => ({ name: ns, labels: { ns } }));
  return { pods, namespaces };
}

export function policy(namespace: string, name: string, spec: NetworkPolicySpecJson): NetworkPolicyLike {
  return { metadata: { namespace, name }, spec };
}

export interface PeerFilter {
  namespace?: string;
  pod?: string;
}

/** A from x to truth table over "ns/pod" keys. */
export class Truth {
  private readonly cells = new Map<string, boolean>();

  constructor(
    readonly keys: readonly string[],
    initial = true,
  ) {
    for (const f of keys) for (const t of keys) this.cells.set(`${f}>${t}`, initial);
  }

  static fromFn(keys: readonly string[], fn: (from: string, to: string) => boolean): Truth {
    const t = new Truth(keys);
    for (const f of keys) for (const to of keys) t.cells.set(`${f}>${to}`, fn(f, to));
    return t;
  }

  private static matches(key: string, f: PeerFilter): boolean {
    const [ns, pod] = key.split("/");
    return (f.namespace === undefined || f.namespace === ns) && (f.pod === undefined || f.pod === pod);
  }

  /** Set every pair from a pod matching `from` to a pod matching `to`. */
  expect(from: PeerFilter, to: PeerFilter, value: boolean): this {
    for (const f of this.keys) {
      if (!Truth.matches(f, from)) continue;
      for (const t of this.keys) if (Truth.matches(t, to)) this.cells.set(`${f}>${t}`, value);
    }
    return this;
  }

  /** A pod always reaches itself (loopback never meets policy). */
  allowLoopback(): this {
    for (const k of this.keys) this.cells.set(`${k}>${k}`, true);
    return this;
  }

  get(from: string, to: string): boolean {
    return this.cells.get(`${from}>${to}`)!;
  }

  /** Grid text: rows are sources, columns destinations; "." allowed, "X" denied. */
  toString(): string {
    const lines = [`      ${this.keys.map((k) => k.padEnd(4)).join("")}`];
    for (const f of this.keys)
      lines.push(`${f.padEnd(6)}${this.keys.map((t) => (this.get(f, t) ? ".   " : "X   ")).join("")}`);
    return lines.join("\n");
  }
}

function keysOf(model: PolicyModel): string[] {
  return model.universe.pods.map((_, i) => model.universe.keyOf(i));
}

/** Reachability by asking connectionVerdict for every pair (the explaining path). */
export function truthByVerdicts(model: PolicyModel, port: number, protocol: Protocol): Truth {
  const keys = keysOf(model);
  return Truth.fromFn(keys, (f, t) => {
    const [fi, ti] = [keys.indexOf(f), keys.indexOf(t)];
    return connectionVerdict(model, { pod: fi }, { pod: ti }, port, protocol).allowed;
  });
}

/** Reachability from the pod-set queries (the path the matrix and the enforcer use). */
export function truthBySets(model: PolicyModel, port: number, protocol: Protocol): Truth {
  const keys = keysOf(model);
  const ins = keys.map((_, d) => ingressSources(model, d, port, protocol));
  const outs = keys.map((_, s) => egressTargets(model, s, port, protocol));
  return Truth.fromFn(keys, (f, t) => {
    const [s, d] = [keys.indexOf(f), keys.indexOf(t)];
    if (s === d) return true;
    const e = outs[s]!;
    const i = ins[d]!;
    return (e === null || has(e, d)) && (i === null || has(i, s));
  });
}

/** A model of the e2e topology (or the given pods and namespaces) with these policies. */
export function modelOf(
  policies: NetworkPolicyLike[],
  topo: { pods: PolicyPod[]; namespaces: PolicyNamespace[] } = e2eTopology(),
): PolicyModel {
  return new PolicyModel(new PodUniverse(topo.pods, topo.namespaces), policies);
}

/** An all-allowed truth table over the model's pods. */
export function allAllowed(model: PolicyModel): Truth {
  return new Truth(keysOf(model));
}

/** Both evaluation paths must give exactly the expected table. */
export function assertReachability(
  model: PolicyModel,
  port: number,
  protocol: Protocol,
  expected: Truth,
): void {
  const byVerdicts = truthByVerdicts(model, port, protocol);
  const bySets = truthBySets(model, port, protocol);
  const where = `${protocol}/${port}`;
  assert.equal(byVerdicts.toString(), expected.toString(), `${where} by verdicts`);
  assert.equal(bySets.toString(), expected.toString(), `${where} by pod sets`);
}
