/**
 * The pods and namespaces a policy model is compiled against, indexed for set questions.
 *
 * Pods are numbered in (namespace, name) order, so a namespace is a contiguous index range.
 * Selectors are evaluated with the one selector implementation (api/selector.ts) once per
 * distinct label set of a namespace, not once per pod (a Deployment's replicas share their
 * labels), and each distinct (namespaceSelector, podSelector, namespace) result is memoized:
 * a thousand policies that say `podSelector: {matchLabels: {app: web}}` cost one evaluation.
 * IPs are kept sorted so an ipBlock is a binary search, and named ports are indexed by
 * (name, protocol, number).
 *
 * Namespaces get the label Kubernetes puts on every namespace, kubernetes.io/metadata.name,
 * so `namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: x}}` works as in a
 * cluster; a namespace pods refer to but nobody declared exists with just that label.
 *
 * Sets returned by this class are shared: callers must copy before modifying them.
 */
import type { V1LabelSelector } from "@kubernetes/client-node";
import { selectorMatches, selectsEverything } from "../api/selector.js";
import {
  broadcast,
  type Cidr,
  canonicalIp,
  cidrContains,
  formatIp,
  type IpFamily,
  parseIp,
} from "../ipam/cidr.js";
import { UserError } from "../util/errors.js";
import { type Bitset, emptySet, fromIndices, orInto, rangeSet } from "./bitset.js";
import type { PolicyNamespace, PolicyPod, Protocol } from "./types.js";

export const NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name";

interface LabelClass {
  labels: Readonly<Record<string, string>>;
  members: number[];
}

interface IndexedIp {
  family: IpFamily;
  value: bigint;
  pod: number;
}

/** A stable text for a selector, so equal selectors share one memo entry. */
export function selectorKey(sel: V1LabelSelector | undefined | null): string {
  if (sel == null) return "null";
  const labels = Object.entries(sel.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const exprs = (sel.matchExpressions ?? [])
    .map((e) => JSON.stringify([e.key, e.operator, [...(e.values ?? [])].sort()]))
    .sort();
  return JSON.stringify([labels, exprs]);
}

function byName<T extends { namespace: string; name: string }>(a: T, b: T): number {
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export class PodUniverse {
  readonly pods: readonly PolicyPod[];
  readonly size: number;
  /** Namespace name -> labels (with kubernetes.io/metadata.name), sorted by name. */
  readonly namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Pods that have at least one IP. */
  readonly withIp: Bitset;
  private readonly byKey = new Map<string, number>();
  private readonly ranges = new Map<string, { start: number; end: number }>();
  /** Namespace -> distinct label set (as JSON) -> the pods carrying exactly it. */
  private readonly classes = new Map<string, Map<string, LabelClass>>();
  private readonly ips: IndexedIp[] = [];
  private readonly byIp = new Map<string, number>();
  private readonly selectorMemo = new Map<string, Bitset>();
  private readonly namedPortMemo = new Map<string, Bitset>();
  private readonly namedPortsByName = new Map<string, number[]>();

  constructor(pods: readonly PolicyPod[], namespaces: readonly PolicyNamespace[] = []) {
    const sorted = [...pods].sort(byName);
    this.pods = sorted;
    this.size = sorted.length;
    const nsLabels = new Map<string, Record<string, string>>();
    for (const ns of namespaces) nsLabels.set(ns.name, { ...ns.labels, [NAMESPACE_NAME_LABEL]: ns.name });
    const withIp: number[] = [];
    sorted.forEach((pod, i) => {
      const key = `${pod.namespace}/${pod.name}`;
      if (this.byKey.has(key)) throw new UserError(`pod ${key} is listed twice`, "give each pod once");
      this.byKey.set(key, i);
      if (!nsLabels.has(pod.namespace))
        nsLabels.set(pod.namespace, { [NAMESPACE_NAME_LABEL]: pod.namespace });
      const range = this.ranges.get(pod.namespace);
      if (range) range.end = i + 1;
      else this.ranges.set(pod.namespace, { start: i, end: i + 1 });
      this.classify(pod, i);
      for (const text of pod.ips) {
        const ip = parseIp(text);
        this.ips.push({ family: ip.family, value: ip.value, pod: i });
        this.byIp.set(formatIp(ip.family, ip.value), i);
      }
      if (pod.ips.length) withIp.push(i);
      for (const np of pod.namedPorts) {
        const list = this.namedPortsByName.get(np.name) ?? [];
        list.push(i);
        this.namedPortsByName.set(np.name, list);
      }
    });
    this.namespaces = new Map([...nsLabels].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    this.ips.sort((a, b) => a.family - b.family || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    this.withIp = fromIndices(this.size, withIp);
  }

  private classify(pod: PolicyPod, i: number): void {
    const key = JSON.stringify(Object.entries(pod.labels).sort(([a], [b]) => (a < b ? -1 : 1)));
    let byLabels = this.classes.get(pod.namespace);
    if (!byLabels) {
      byLabels = new Map();
      this.classes.set(pod.namespace, byLabels);
    }
    const found = byLabels.get(key);
    if (found) found.members.push(i);
    else byLabels.set(key, { labels: pod.labels, members: [i] });
  }

  indexOf(namespace: string, name: string): number | undefined {
    return this.byKey.get(`${namespace}/${name}`);
  }

  /** "namespace/name" of pod i. */
  keyOf(i: number): string {
    const p = this.pods[i]!;
    return `${p.namespace}/${p.name}`;
  }

  podByIp(ip: string): number | undefined {
    return this.byIp.get(canonicalIp(ip));
  }

  namespacePods(namespace: string): Bitset {
    const r = this.ranges.get(namespace);
    return r ? rangeSet(this.size, r.start, r.end) : emptySet(this.size);
  }

  /** Names of the namespaces whose labels match, in name order. */
  matchingNamespaces(selector: V1LabelSelector): string[] {
    return [...this.namespaces].filter(([, labels]) => selectorMatches(selector, labels)).map(([n]) => n);
  }

  /**
   * The pods a NetworkPolicy peer (or podSelector) stands for: with a namespaceSelector, pods
   * of every matching namespace; without, pods of `ownNamespace`. A missing podSelector means
   * every pod of those namespaces. Shared result: do not modify.
   */
  selectPods(
    namespaceSelector: V1LabelSelector | undefined | null,
    podSelector: V1LabelSelector | undefined | null,
    ownNamespace: string,
  ): Bitset {
    const nsPart = namespaceSelector == null ? `ns:${ownNamespace}` : `sel:${selectorKey(namespaceSelector)}`;
    const key = `${nsPart}|${podSelector == null ? "all" : selectorKey(podSelector)}`;
    const memo = this.selectorMemo.get(key);
    if (memo) return memo;
    const namespaces =
      namespaceSelector == null ? [ownNamespace] : this.matchingNamespaces(namespaceSelector);
    const out = emptySet(this.size);
    const everyPod = podSelector == null || selectsEverything(podSelector);
    for (const ns of namespaces) {
      if (everyPod) {
        orInto(out, this.namespacePods(ns));
        continue;
      }
      for (const cls of this.classes.get(ns)?.values() ?? []) {
        if (!selectorMatches(podSelector, cls.labels)) continue;
        for (const i of cls.members) out[i >>> 5]! |= 1 << (i & 31);
      }
    }
    this.selectorMemo.set(key, out);
    return out;
  }

  /** Pods with an IP in `cidr` and in none of `except`. */
  podsInCidr(cidr: Cidr, except: readonly Cidr[]): Bitset {
    const out = emptySet(this.size);
    const last = broadcast(cidr);
    let lo = 0;
    let hi = this.ips.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.ips[mid]!;
      if (e.family < cidr.family || (e.family === cidr.family && e.value < cidr.network)) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.ips.length; k++) {
      const e = this.ips[k]!;
      if (e.family !== cidr.family || e.value > last) break;
      if (except.some((x) => cidrContains(x, e.value))) continue;
      out[e.pod >>> 5]! |= 1 << (e.pod & 31);
    }
    return out;
  }

  /** The number a pod's named port resolves to for a protocol, if the pod has it. */
  resolveNamedPort(pod: number, name: string, protocol: Protocol): number | undefined {
    return this.pods[pod]!.namedPorts.find((p) => p.name === name && p.protocol === protocol)?.port;
  }

  /** Pods whose named port `name` on `protocol` is `port`. Shared result: do not modify. */
  namedPortPods(name: string, protocol: Protocol, port: number): Bitset {
    const key = `${name}/${protocol}/${port}`;
    const memo = this.namedPortMemo.get(key);
    if (memo) return memo;
    const out = emptySet(this.size);
    for (const i of this.namedPortsByName.get(name) ?? []) {
      if (this.resolveNamedPort(i, name, protocol) === port) out[i >>> 5]! |= 1 << (i & 31);
    }
    this.namedPortMemo.set(key, out);
    return out;
  }
}
