/**
 * desired(model, node) -> every element of the node's policy table: the whole per-pod and
 * per-policy state of the enforcer (the chains never change). Read straight off the compiled
 * IR the analyzer uses (PolicyModel: which policies isolate a pod, their rules' peer pod sets,
 * ipBlocks and port entries), so enforcement and prediction cannot disagree on what a policy
 * means, only on whether the kernel does what the elements say (which the e2e tests check).
 *
 * Per local pod isolated in a direction: its address in <dir>-isolated, and for each rule of
 * each policy isolating it, one element per (peer identity, port entry) in the allow set of
 * that shape (ruleset.ts). Port entries: no `ports` -> every protocol and port; a protocol
 * without a port -> that protocol; a port -> that port; port..endPort -> a range; a named
 * port -> the number it resolves to on the destination (the pod itself for ingress, each peer
 * identity for egress; nothing where it does not resolve). Elements are text as nft reads
 * them: the same strings drive the renderer, the fake and the diff. Pure.
 */
import type { PolicyModel } from "../model.js";
import type { CompiledRule, PortMatch, Protocol } from "../types.js";
import {
  atomKey,
  formatV4,
  localRules,
  namedPortKey,
  type PeerIdentities,
  peerIdentities,
  podV4,
  type RuleUse,
} from "./identities.js";
import {
  type AllowKind,
  allowSet,
  DECLARATIONS,
  type Dir,
  isolatedSet,
  PEER_CIDR_IDS,
  PEER_POD_IDS,
  SELF,
  SYNCED,
} from "./ruleset.js";

/** set -> key -> value ("" for set elements). */
export type Elements = Map<string, Map<string, string>>;

export function emptyElements(): Elements {
  return new Map([...DECLARATIONS.keys()].map((name) => [name, new Map<string, string>()]));
}

type PortSpec =
  | { kind: "any" }
  | { kind: "proto"; proto: string }
  | { kind: "port"; proto: string; port: number }
  | { kind: "range"; proto: string; from: number; to: number };

const protoText = (p: Protocol) => p.toLowerCase();

/** A port entry that does not depend on the destination (named ports are resolved apart). */
function fixedSpec(pm: PortMatch): PortSpec | undefined {
  const proto = protoText(pm.protocol);
  if (pm.kind === "all") return { kind: "proto", proto };
  if (pm.kind === "range")
    return pm.from === pm.to
      ? { kind: "port", proto, port: pm.from }
      : { kind: "range", proto, from: pm.from, to: pm.to };
  return undefined;
}

/** The allow set and the key after the subject address, for an identity (or every peer) and a port spec. */
function allowPart(dir: Dir, id: number | undefined, spec: PortSpec): [string, string] {
  const prefix = id === undefined ? "any" : "peer";
  const fields = id === undefined ? [] : [String(id)];
  let kind: AllowKind;
  switch (spec.kind) {
    case "any":
      kind = prefix;
      break;
    case "proto":
      kind = `${prefix}-proto`;
      fields.push(spec.proto);
      break;
    case "port":
      kind = `${prefix}-port`;
      fields.push(spec.proto, String(spec.port));
      break;
    case "range":
      kind = `${prefix}-range`;
      fields.push(spec.proto, `${spec.from}-${spec.to}`);
      break;
  }
  return [allowSet(dir, kind), fields.join(" . ")];
}

/** A rule's elements, minus the subject address: computed once per rule, shared by its pods. */
interface PreparedRule {
  /** [set, key suffix] for everything that does not depend on the subject pod. */
  fixed: Array<[string, string]>;
  /** Ingress named ports: resolved on each subject pod, then one element per identity. */
  named: Array<{ name: string; protocol: Protocol }>;
  ids: Array<number | undefined>;
}

function prepareRule(use: RuleUse, ident: PeerIdentities): PreparedRule {
  const { rule, direction: dir } = use;
  let ids: Array<number | undefined> = [undefined];
  if (rule.peers !== null) {
    const set = new Set<number>();
    for (const peer of rule.peers)
      for (const id of ident.withAtom.get(atomKey(use, peer.index)) ?? []) set.add(id);
    ids = [...set].sort((a, b) => a - b);
  }
  const out: PreparedRule = { fixed: [], named: [], ids };
  const entries: Array<PortMatch | { kind: "any" }> = rule.ports ?? [{ kind: "any" }];
  for (const pm of entries) {
    if (pm.kind === "named") {
      if (dir === "ingress") {
        out.named.push({ name: pm.name, protocol: pm.protocol });
        continue;
      }
      // Egress named ports resolve on the destination: per identity.
      const targets = rule.peers === null ? (ident.withAtom.get(atomKey(use, "*")) ?? []) : (ids as number[]);
      for (const id of targets) {
        const port = ident.namedPorts.get(id)?.get(namedPortKey(pm.name, pm.protocol));
        if (port !== undefined)
          out.fixed.push(allowPart(dir, id, { kind: "port", proto: protoText(pm.protocol), port }));
      }
      continue;
    }
    const spec: PortSpec = pm.kind === "any" ? { kind: "any" } : fixedSpec(pm)!;
    for (const id of ids) out.fixed.push(allowPart(dir, id, spec));
  }
  return out;
}

export interface DesiredTable {
  elements: Elements;
  identities: PeerIdentities;
}

/**
 * The elements of `node`'s table. `previous` is the last allocation of identities, so
 * unchanged classes keep their numbers; `version` goes into the `synced` set.
 */
export function desiredElements(
  model: PolicyModel,
  node: string,
  previous?: PeerIdentities,
  version?: number,
): DesiredTable {
  const u = model.universe;
  const out = emptyElements();
  const add = (set: string, key: string, value = "") => out.get(set)!.set(key, value);
  const { local, rules } = localRules(model, node);
  const identities = peerIdentities(model, rules, previous);
  const prepared = new Map<CompiledRule, PreparedRule>(
    rules.map((r) => [r.rule, prepareRule(r, identities)]),
  );

  for (const r of identities.regions)
    add(
      PEER_CIDR_IDS,
      r.from === r.to ? formatV4(r.from) : `${formatV4(r.from)}-${formatV4(r.to)}`,
      String(r.id),
    );
  for (const [ip, id] of identities.podIds) add(PEER_POD_IDS, ip, String(id));
  if (version !== undefined) add(SYNCED, String(version));

  for (const i of local) {
    const ip = formatV4(podV4(u.pods[i]!.ips)!);
    let isolated = false;
    for (const dir of ["ingress", "egress"] as const) {
      const policies = model.policiesFor(i, dir);
      if (policies.length === 0) continue;
      isolated = true;
      add(isolatedSet(dir), ip);
      for (const policy of policies) {
        for (const rule of policy[dir] ?? []) {
          const p = prepared.get(rule)!;
          for (const [set, suffix] of p.fixed) add(set, suffix === "" ? ip : `${ip} . ${suffix}`);
          for (const { name, protocol } of p.named) {
            const port = u.resolveNamedPort(i, name, protocol);
            if (port === undefined) continue;
            for (const id of p.ids) {
              const [set, suffix] = allowPart(dir, id, { kind: "port", proto: protoText(protocol), port });
              add(set, `${ip} . ${suffix}`);
            }
          }
        }
      }
    }
    if (isolated) add(SELF, `${ip} . ${ip}`);
  }
  return { elements: out, identities };
}
