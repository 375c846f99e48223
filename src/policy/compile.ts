/**
 * NetworkPolicy -> CompiledPolicy against a PodUniverse, following networking.k8s.io/v1:
 *  - podSelector selects pods of the policy's namespace (`{}`: all of them);
 *  - policyTypes, when absent or empty, is Ingress plus Egress if the policy has egress
 *    rules (the API server defaults it so; done here too for objects that skipped defaulting);
 *  - a rule with `from`/`to` empty or absent matches every peer; with `ports` empty or absent,
 *    every port of every protocol; a rule list that is empty allows nothing;
 *  - a peer with only podSelector means pods of the policy's namespace; with only
 *    namespaceSelector, every pod of the matching namespaces; with both, the matching pods of
 *    the matching namespaces (one peer, both conditions); ipBlock means addresses in cidr and
 *    in no `except`, pod IPs included (the lab does no NAT between pods);
 *  - a port without protocol is TCP; `port` absent means all ports of the protocol; a numeric
 *    port with endPort is the inclusive range; a named port is kept by name and resolved per
 *    destination pod at evaluation time.
 */
import type {
  V1IPBlock,
  V1LabelSelector,
  V1NetworkPolicyPeer,
  V1NetworkPolicyPort,
} from "@kubernetes/client-node";
import { type Cidr, parseCidr } from "../ipam/cidr.js";
import { UserError } from "../util/errors.js";
import { type Bitset, emptySet, fullSet, orInto } from "./bitset.js";
import type { CompiledPeer, CompiledPolicy, CompiledRule, Direction, PortMatch, Protocol } from "./types.js";
import type { PodUniverse } from "./universe.js";

/**
 * A NetworkPolicy spec as written in YAML/JSON. (@kubernetes/client-node's model calls the
 * ingress rule's `from` field `_from`, a code generator's rename; objects as loaded carry
 * `from`, which is what this reads.)
 */
export interface PolicyRuleJson {
  ports?: V1NetworkPolicyPort[];
  from?: V1NetworkPolicyPeer[];
  to?: V1NetworkPolicyPeer[];
}

export interface NetworkPolicySpecJson {
  podSelector?: V1LabelSelector;
  policyTypes?: string[];
  ingress?: PolicyRuleJson[];
  egress?: PolicyRuleJson[];
}

/** What compile needs of a NetworkPolicy object (loaded manifests and store objects fit). */
export interface NetworkPolicyLike {
  metadata: { name: string; namespace?: string };
  spec: NetworkPolicySpecJson;
}

export function policyKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** policyTypes as the API server defaults them. */
export function effectivePolicyTypes(spec: NetworkPolicySpecJson): { ingress: boolean; egress: boolean } {
  const types = spec.policyTypes;
  if (types && types.length > 0)
    return { ingress: types.includes("Ingress"), egress: types.includes("Egress") };
  return { ingress: true, egress: (spec.egress ?? []).length > 0 };
}

function compileProtocol(p: string | undefined, where: string): Protocol {
  const proto = (p ?? "TCP").toUpperCase();
  if (proto === "TCP" || proto === "UDP" || proto === "SCTP") return proto;
  throw new UserError(`${where}: unsupported protocol "${p}"`, "use TCP, UDP or SCTP");
}

function compilePort(p: V1NetworkPolicyPort, index: number, where: string): PortMatch {
  const protocol = compileProtocol(p.protocol, where);
  const port = p.port as number | string | undefined | null;
  if (port === undefined || port === null) return { index, protocol, kind: "all" };
  if (typeof port === "string") return { index, protocol, kind: "named", name: port };
  return { index, protocol, kind: "range", from: port, to: p.endPort ?? port };
}

function describeBlock(b: V1IPBlock): string {
  return b.except?.length ? `${b.cidr} except ${b.except.join(", ")}` : b.cidr;
}

function compilePeer(peer: V1NetworkPolicyPeer, index: number, ns: string, u: PodUniverse): CompiledPeer {
  if (peer.ipBlock) {
    const cidr: Cidr = parseCidr(peer.ipBlock.cidr);
    const except = (peer.ipBlock.except ?? []).map((e) => parseCidr(e));
    return {
      index,
      kind: "ipBlock",
      cidr,
      except,
      text: describeBlock(peer.ipBlock),
      pods: u.podsInCidr(cidr, except),
    };
  }
  const out: CompiledPeer = {
    index,
    kind: "selector",
    pods: u.selectPods(peer.namespaceSelector, peer.podSelector, ns),
  };
  if (peer.namespaceSelector) out.namespaceSelector = peer.namespaceSelector;
  if (peer.podSelector) out.podSelector = peer.podSelector;
  return out;
}

function compileRules(
  direction: Direction,
  rules: ReadonlyArray<{
    ports?: V1NetworkPolicyPort[];
    from?: V1NetworkPolicyPeer[];
    to?: V1NetworkPolicyPeer[];
  }>,
  key: string,
  ns: string,
  u: PodUniverse,
): CompiledRule[] {
  return rules.map((rule, index) => {
    const where = `NetworkPolicy ${key}: spec.${direction}[${index}]`;
    const rawPeers = (direction === "ingress" ? rule.from : rule.to) ?? [];
    const rawPorts = rule.ports ?? [];
    const peers = rawPeers.length ? rawPeers.map((p, j) => compilePeer(p, j, ns, u)) : null;
    let peerPods: Bitset;
    if (peers === null) peerPods = fullSet(u.size);
    else if (peers.length === 1) peerPods = peers[0]!.pods;
    else peerPods = peers.reduce((acc, p) => orInto(acc, p.pods), emptySet(u.size));
    const ports = rawPorts.length ? rawPorts.map((p, j) => compilePort(p, j, `${where}.ports[${j}]`)) : null;
    return { direction, index, peers, peerPods, ports };
  });
}

export function compilePolicy(np: NetworkPolicyLike, u: PodUniverse): CompiledPolicy {
  const namespace = np.metadata.namespace || "default";
  const name = np.metadata.name;
  const key = policyKey(namespace, name);
  const spec = np.spec;
  const types = effectivePolicyTypes(spec);
  return {
    key,
    namespace,
    name,
    selected: u.selectPods(undefined, spec.podSelector ?? {}, namespace),
    ingress: types.ingress ? compileRules("ingress", spec.ingress ?? [], key, namespace, u) : null,
    egress: types.egress ? compileRules("egress", spec.egress ?? [], key, namespace, u) : null,
  };
}
