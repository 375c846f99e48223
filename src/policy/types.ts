/**
 * The compiled policy IR: what NetworkPolicies mean for a given set of pods and namespaces,
 * in a form both consumers read — the analyzer/tracer (which pairs may talk, and why) and the
 * nft enforcer (which elements go into which sets).
 *
 * Input is deliberately small and plain (PolicyPod, PolicyNamespace) so the lab's store, a
 * real cluster's API objects and loaded manifests all feed it the same way.
 *
 * The IR keeps the shape of the API objects — policy, rule index, peer index, port index —
 * so every answer can cite "policy x/allow-a, ingress rule 0, peer 1", and resolves what
 * depends on the cluster (selectors and ipBlocks to pod sets, named ports to numbers per pod)
 * once, at compile time.
 */
import type { V1LabelSelector } from "@kubernetes/client-node";
import type { Cidr } from "../ipam/cidr.js";
import type { Bitset } from "./bitset.js";

export type Protocol = "TCP" | "UDP" | "SCTP";
export const PROTOCOLS: readonly Protocol[] = ["TCP", "UDP", "SCTP"];

export type Direction = "ingress" | "egress";

export interface NamedPort {
  name: string;
  port: number;
  protocol: Protocol;
}

/** A pod as policy sees it. */
export interface PolicyPod {
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  /** Pod IPs (status.podIPs); empty while the pod has none. */
  ips: readonly string[];
  /** Its containers' named ports, which policies' named ports resolve against. */
  namedPorts: readonly NamedPort[];
  /** Node the pod runs on, when bound. */
  node?: string;
}

export interface PolicyNamespace {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * One entry of a rule's `ports`, compiled. `port` absent means every port of the protocol;
 * `named` ports resolve per destination pod (and match nothing on a pod without that name).
 */
export type PortMatch =
  | { index: number; protocol: Protocol; kind: "all" }
  | { index: number; protocol: Protocol; kind: "range"; from: number; to: number }
  | { index: number; protocol: Protocol; kind: "named"; name: string };

/** One entry of a rule's `from`/`to`, compiled to the pods it stands for. */
export type CompiledPeer =
  | {
      index: number;
      kind: "selector";
      /** Absent: the policy's own namespace. */
      namespaceSelector?: V1LabelSelector;
      /** Absent (with a namespaceSelector): every pod of the selected namespaces. */
      podSelector?: V1LabelSelector;
      pods: Bitset;
    }
  | {
      index: number;
      kind: "ipBlock";
      cidr: Cidr;
      except: Cidr[];
      /** Text as written, for messages: "10.0.0.0/8 except 10.1.0.0/16". */
      text: string;
      /** Pods with an IP inside the block (and outside every except). */
      pods: Bitset;
    };

export interface CompiledRule {
  direction: Direction;
  /** Position in spec.ingress / spec.egress. */
  index: number;
  /** null: `from`/`to` empty or absent, so every peer (any pod, any address). */
  peers: CompiledPeer[] | null;
  /** Union of the peers' pod sets (every pod when peers is null). */
  peerPods: Bitset;
  /** null: `ports` empty or absent, so every port of every protocol. */
  ports: PortMatch[] | null;
}

export interface CompiledPolicy {
  /** "namespace/name". */
  key: string;
  namespace: string;
  name: string;
  /** Pods of the policy's namespace its podSelector selects. */
  selected: Bitset;
  /** null when policyTypes lacks Ingress (the policy says nothing about ingress). */
  ingress: CompiledRule[] | null;
  /** null when policyTypes lacks Egress. */
  egress: CompiledRule[] | null;
}

/** Why a direction of a connection is allowed, or what isolates it. */
export interface RuleRef {
  policy: string;
  direction: Direction;
  rule: number;
  /** Peer index that matched; undefined when the rule has no peers (all peers). */
  peer?: number;
  /** Port index that matched; undefined when the rule has no ports (all ports). */
  port?: number;
}

export interface DirectionVerdict {
  direction: Direction;
  /** Whether any policy selects the pod for this direction. */
  isolated: boolean;
  allowed: boolean;
  /** Every rule that allows it (empty when not isolated or denied). */
  allowedBy: RuleRef[];
  /** Policies isolating the pod in this direction, sorted. */
  isolatedBy: string[];
  /**
   * Ingress from the pod's own node, which Kubernetes always allows (kubelet probes): set when
   * that is why it is allowed.
   */
  fromOwnNode?: boolean;
}

/** One end of a connection: a pod of the universe, or an address (a node's, or outside). */
export type Endpoint = { pod: number } | { ip: string; node?: string };
