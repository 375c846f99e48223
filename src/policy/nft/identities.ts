/**
 * Peer identities of one node: the classes of addresses that no policy rule applying to the
 * node's pods can tell apart, numbered so a packet's peer is one small integer (carried in
 * the connection's ct mark) and each rule becomes a few elements per identity instead of one
 * per peer pod or address.
 *
 * Every peer of every relevant rule is an "atom" (`policy|direction|rule|peer`); an egress
 * rule without peers but with named ports gets the atom `...|*` (every pod: a named port
 * only ever matches a pod). A pod's signature is the set of atoms whose pod set (from the
 * compiled IR, selectors and ipBlocks alike) contains it, plus, for names used by egress
 * rules, the number each named port resolves to on it (egress named ports resolve on the
 * destination). Addresses that are no pod get the signature of their ipBlock atoms: the IPv4
 * space is cut at every ipBlock boundary (cidr minus excepts) into ranges. Equal signature,
 * equal identity. Identity 0 is the empty signature (a peer no rule names).
 *
 * Ids are stable: a signature seen before keeps its id (the caller passes the previous
 * allocation), new ones take the smallest free ids, so a change renumbers nothing else and the
 * nft transaction stays small. Pure.
 */
import { formatIp, parseIp } from "../../ipam/cidr.js";
import { indices } from "../bitset.js";
import type { PolicyModel } from "../model.js";
import type { CompiledPeer, CompiledPolicy, CompiledRule, Direction, Protocol } from "../types.js";

const V4_MAX = 2 ** 32 - 1;

/** A rule of a policy that isolates one of the node's pods. */
export interface RuleUse {
  policy: CompiledPolicy;
  direction: Direction;
  rule: CompiledRule;
  /** "namespace/name|direction|index". */
  key: string;
}

export interface Region {
  from: number;
  to: number;
  id: number;
}

export interface PeerIdentities {
  /** Signature text -> id: pass it to the next computation to keep ids stable. */
  ids: Map<string, number>;
  /** Address ranges covering all of IPv4, sorted, adjacent ranges of one id merged. */
  regions: Region[];
  /** Pod IPv4 address -> id, for pods whose identity is not their address range's. */
  podIds: Map<string, number>;
  /** Atom -> the ids whose signature contains it. */
  withAtom: Map<string, number[]>;
  /** Id -> "name/PROTO" -> the number that named port resolves to on its pods. */
  namedPorts: Map<number, Map<string, number>>;
}

export function atomKey(use: RuleUse, peer: number | "*"): string {
  return `${use.key}|${peer}`;
}

export const namedPortKey = (name: string, protocol: Protocol) => `${name}/${protocol}`;
const PORT_PART = "port|";

/** The first IPv4 address of a pod, as uint32, or undefined. */
export function podV4(ips: readonly string[]): number | undefined {
  for (const text of ips) {
    const ip = parseIp(text);
    if (ip.family === 4) return Number(ip.value);
  }
  return undefined;
}

export const formatV4 = (v: number) => formatIp(4, BigInt(v));

/** The IPv4 ranges an ipBlock peer stands for: its cidr minus every except. */
export function blockRanges(peer: Extract<CompiledPeer, { kind: "ipBlock" }>): Array<[number, number]> {
  if (peer.cidr.family !== 4) return [];
  const span = (c: { network: bigint; prefix: number }): [number, number] => {
    const lo = Number(c.network);
    return [lo, lo + 2 ** (32 - c.prefix) - 1];
  };
  let out: Array<[number, number]> = [span(peer.cidr)];
  for (const ex of peer.except) {
    if (ex.family !== 4) continue;
    const [xlo, xhi] = span(ex);
    out = out.flatMap(([lo, hi]): Array<[number, number]> => {
      if (xhi < lo || xlo > hi) return [[lo, hi]];
      const parts: Array<[number, number]> = [];
      if (xlo > lo) parts.push([lo, xlo - 1]);
      if (xhi < hi) parts.push([xhi + 1, hi]);
      return parts;
    });
  }
  return out;
}

/** Every rule of every policy isolating a pod of `node` (with an IPv4 address), once. */
export function localRules(model: PolicyModel, node: string): { local: number[]; rules: RuleUse[] } {
  const u = model.universe;
  const local: number[] = [];
  const seen = new Map<string, RuleUse>();
  u.pods.forEach((pod, i) => {
    if (pod.node !== node || podV4(pod.ips) === undefined) return;
    local.push(i);
    for (const direction of ["ingress", "egress"] as const) {
      for (const policy of model.policiesFor(i, direction)) {
        for (const rule of policy[direction] ?? []) {
          const key = `${policy.key}|${direction}|${rule.index}`;
          if (!seen.has(key)) seen.set(key, { policy, direction, rule, key });
        }
      }
    }
  });
  return { local, rules: [...seen.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)) };
}

const sigText = (parts: string[]) => [...parts].sort().join("\n");

export function peerIdentities(
  model: PolicyModel,
  rules: readonly RuleUse[],
  previous: ReadonlyMap<string, number> = new Map(),
): PeerIdentities {
  const u = model.universe;
  const podParts: string[][] = u.pods.map(() => []);
  const cuts: Array<{ at: number; atom: string; delta: 1 | -1 }> = [];
  const names = new Map<string, { name: string; protocol: Protocol }>();
  for (const use of rules) {
    const { rule } = use;
    const named = (rule.ports ?? []).filter((p) => p.kind === "named");
    if (use.direction === "egress")
      for (const p of named)
        names.set(namedPortKey(p.name, p.protocol), { name: p.name, protocol: p.protocol });
    if (rule.peers === null) {
      if (use.direction === "egress" && named.length > 0) {
        const atom = atomKey(use, "*");
        for (const i of indices(u.withIp)) podParts[i]!.push(atom);
      }
      continue;
    }
    for (const peer of rule.peers) {
      const atom = atomKey(use, peer.index);
      for (const i of indices(peer.pods)) podParts[i]!.push(atom);
      if (peer.kind === "ipBlock") {
        for (const [lo, hi] of blockRanges(peer)) {
          cuts.push({ at: lo, atom, delta: 1 });
          if (hi < V4_MAX) cuts.push({ at: hi + 1, atom, delta: -1 });
        }
      }
    }
  }
  for (const [key, { name, protocol }] of names) {
    u.pods.forEach((pod, i) => {
      const port = pod.namedPorts.find((p) => p.name === name && p.protocol === protocol)?.port;
      if (port !== undefined) podParts[i]!.push(`${PORT_PART}${key}=${port}`);
    });
  }

  // Address ranges: sweep the cuts, one range per stretch of equal active atoms.
  cuts.sort((a, b) => a.at - b.at);
  const active = new Map<string, number>();
  const raw: Array<{ from: number; to: number; sig: string }> = [];
  let start = 0;
  for (let k = 0; k <= cuts.length; k++) {
    const at = k < cuts.length ? cuts[k]!.at : V4_MAX + 1;
    if (at > start) {
      const sig = sigText([...active.keys()]);
      const last = raw[raw.length - 1];
      if (last && last.sig === sig) last.to = at - 1;
      else raw.push({ from: start, to: at - 1, sig });
      start = at;
    }
    if (k < cuts.length) {
      const c = cuts[k]!;
      const n = (active.get(c.atom) ?? 0) + c.delta;
      if (n > 0) active.set(c.atom, n);
      else active.delete(c.atom);
    }
  }

  const regionSigAt = (v: number): string => {
    let lo = 0;
    let hi = raw.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (raw[mid]!.from <= v) lo = mid;
      else hi = mid - 1;
    }
    return raw[lo]!.sig;
  };
  const podSigs: Array<{ ip: number; sig: string }> = [];
  u.pods.forEach((pod, i) => {
    const ip = podV4(pod.ips);
    if (ip === undefined) return;
    const sig = sigText(podParts[i]!);
    if (sig !== regionSigAt(ip)) podSigs.push({ ip, sig });
  });

  // Stable ids: keep the previous id of every signature still in use.
  const used = new Set<string>([...raw.map((r) => r.sig), ...podSigs.map((p) => p.sig)]);
  const ids = new Map<string, number>([["", 0]]);
  const taken = new Set<number>([0]);
  for (const sig of used) {
    const id = previous.get(sig);
    if (sig !== "" && id !== undefined && !taken.has(id)) {
      ids.set(sig, id);
      taken.add(id);
    }
  }
  let next = 1;
  for (const sig of [...used].sort()) {
    if (ids.has(sig)) continue;
    while (taken.has(next)) next++;
    ids.set(sig, next);
    taken.add(next);
  }

  const withAtom = new Map<string, number[]>();
  const namedPorts = new Map<number, Map<string, number>>();
  for (const sig of used) {
    if (sig === "") continue;
    const id = ids.get(sig)!;
    for (const part of sig.split("\n")) {
      if (part.startsWith(PORT_PART)) {
        const [key, port] = part.slice(PORT_PART.length).split("=") as [string, string];
        let m = namedPorts.get(id);
        if (!m) {
          m = new Map();
          namedPorts.set(id, m);
        }
        m.set(key, Number(port));
      } else {
        const list = withAtom.get(part);
        if (list) list.push(id);
        else withAtom.set(part, [id]);
      }
    }
  }
  for (const list of withAtom.values()) list.sort((a, b) => a - b);
  const regions = raw.map((r) => ({ from: r.from, to: r.to, id: ids.get(r.sig)! }));
  const podIds = new Map(podSigs.map((p) => [formatV4(p.ip), ids.get(p.sig)!] as const));
  return { ids, regions, podIds, withAtom, namedPorts };
}
