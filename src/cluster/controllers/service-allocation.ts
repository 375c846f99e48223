/**
 * ClusterIP and NodePort allocation for Services, as the API server's service REST storage does
 * it at admission time (not as a controller afterwards, so `apply` answers with the address):
 *  - ExternalName Services get no ClusterIP; headless ones (`clusterIP: None`) keep "None";
 *  - a requested clusterIP is honoured when in range and free, else rejected naming why;
 *    `default/kubernetes` owns the first address, `kube-system/kube-dns` the tenth;
 *  - clusterIP is immutable: re-applying without one keeps it, asking for another is refused
 *    (only a change to or from ExternalName releases or allocates it);
 *  - NodePort/LoadBalancer ports get a nodePort: the requested one, else the one the same port
 *    already had, else a fresh one; ports no longer used are released.
 *
 * Callers admit against a clone() (a trial) and keep it only when the whole apply passed, so a
 * rejected apply changes nothing. Pure and synchronous.
 */

import { ClusterIpAllocator, type ClusterIpState } from "../../ipam/cluster-ips.js";
import { DEFAULT_NODE_PORT_RANGE, NodePortAllocator, type NodePortState } from "../../ipam/node-ports.js";
import type { RandomSource } from "../../ipam/random.js";
import { UserError } from "../../util/errors.js";
import type { KObject } from "../types.js";

export interface ServiceAllocationState {
  clusterIPs: ClusterIpState;
  nodePorts: NodePortState;
}

interface PortSpec {
  name?: string;
  port: number;
  protocol?: string;
  nodePort?: number;
  [k: string]: unknown;
}

const hasNodePorts = (type: unknown) => type === "NodePort" || type === "LoadBalancer";

function ownerOf(svc: KObject): string {
  return `${svc.metadata.namespace ?? "default"}/${svc.metadata.name}`;
}

/** The ClusterIP a stored Service holds (undefined for headless and ExternalName). */
function heldClusterIP(svc: KObject | undefined): string | undefined {
  const ip = svc?.spec?.clusterIP;
  return typeof ip === "string" && ip !== "" && ip !== "None" ? ip : undefined;
}

function heldNodePorts(svc: KObject | undefined): number[] {
  if (!svc || !hasNodePorts(svc.spec?.type)) return [];
  return ((svc.spec?.ports ?? []) as PortSpec[])
    .map((p) => p.nodePort)
    .filter((n): n is number => typeof n === "number" && n > 0);
}

export class ServiceAllocations {
  private constructor(
    private readonly ips: ClusterIpAllocator,
    private readonly ports: NodePortAllocator,
    private readonly random?: RandomSource,
  ) {}

  static create(
    serviceCidr: string,
    nodePortRange: string = DEFAULT_NODE_PORT_RANGE,
    random?: RandomSource,
  ): ServiceAllocations {
    const opts = random ? { random } : {};
    return new ServiceAllocations(
      new ClusterIpAllocator(serviceCidr, opts),
      new NodePortAllocator(nodePortRange, opts),
      random,
    );
  }

  /** An independent copy to admit against; adopt it only if the whole apply passes. */
  clone(): ServiceAllocations {
    const opts = this.random ? { random: this.random } : {};
    return new ServiceAllocations(
      ClusterIpAllocator.fromJSON(this.ips.toJSON(), opts),
      NodePortAllocator.fromJSON(this.ports.toJSON(), opts),
      this.random,
    );
  }

  toJSON(): ServiceAllocationState {
    return { clusterIPs: this.ips.toJSON(), nodePorts: this.ports.toJSON() };
  }

  ownerOfClusterIP(ip: string): string | undefined {
    return this.ips.ownerOf(ip);
  }

  ownerOfNodePort(port: number): string | undefined {
    return this.ports.ownerOf(port);
  }

  /**
   * Fill in spec.clusterIP(s) and ports[].nodePort of `svc` (a new or re-applied Service; `old`
   * is the stored one). Returns the admitted object; throws UserError naming the field.
   */
  admit(svc: KObject, old: KObject | undefined): KObject {
    const where = `Service ${ownerOf(svc)}`;
    const spec = { ...(svc.spec ?? {}) };
    const owner = ownerOf(svc);
    const wasHeld = heldClusterIP(old);
    const requested = typeof spec.clusterIP === "string" ? spec.clusterIP : "";
    if (spec.type === "ExternalName") {
      if (wasHeld) this.ips.release(wasHeld);
      delete spec.clusterIP;
      delete spec.clusterIPs;
    } else if (requested === "None") {
      if (wasHeld) this.immutable(where, wasHeld, requested);
      spec.clusterIP = "None";
      spec.clusterIPs = ["None"];
    } else {
      const oldWasHeadless = old?.spec?.clusterIP === "None" && old.spec?.type !== "ExternalName";
      if (oldWasHeadless) this.immutable(where, "None", requested || "(allocated)");
      if (wasHeld && requested && requested !== wasHeld) this.immutable(where, wasHeld, requested);
      const ip = wasHeld ?? this.take(where, owner, requested);
      spec.clusterIP = ip;
      spec.clusterIPs = [ip];
    }
    spec.ports = this.admitNodePorts(where, owner, spec, old);
    return { ...svc, spec };
  }

  /** Give back what a deleted Service held. */
  release(svc: KObject): void {
    const ip = heldClusterIP(svc);
    if (ip && this.ips.ownerOf(ip) === ownerOf(svc)) this.ips.release(ip);
    for (const port of heldNodePorts(svc))
      if (this.ports.ownerOf(port) === ownerOf(svc)) this.ports.release(port);
  }

  private take(where: string, owner: string, requested: string): string {
    try {
      return requested ? this.ips.reserve(requested, owner) : this.ips.allocate(owner);
    } catch (err) {
      throw fieldError(where, "spec.clusterIP", err);
    }
  }

  private immutable(where: string, held: string, requested: string): never {
    throw new UserError(
      `${where}: spec.clusterIP: Invalid value: "${requested}": field is immutable (it is ${held})`,
      "delete the Service and apply it again to change its ClusterIP",
    );
  }

  private admitNodePorts(
    where: string,
    owner: string,
    spec: { type?: string; ports?: PortSpec[] },
    old: KObject | undefined,
  ): PortSpec[] {
    const ports = ((spec.ports ?? []) as PortSpec[]).map((p) => ({ ...p }));
    const before = new Set(heldNodePorts(old));
    const kept = new Set<number>();
    if (hasNodePorts(spec.type)) {
      const oldPorts = (old && hasNodePorts(old.spec?.type) ? (old.spec?.ports ?? []) : []) as PortSpec[];
      // Requested ports first, so a dynamic pick never takes a port asked for later in the list.
      ports.forEach((p, i) => {
        if (!p.nodePort) return;
        try {
          kept.add(this.ports.reserve(p.nodePort, owner));
        } catch (err) {
          throw fieldError(where, `spec.ports[${i}].nodePort`, err);
        }
      });
      ports.forEach((p, i) => {
        if (p.nodePort) return;
        const same = oldPorts.find(
          (o) => o.nodePort && (o.name ?? "") === (p.name ?? "") && o.port === p.port,
        );
        const reuse = same?.nodePort && !kept.has(same.nodePort) ? same.nodePort : undefined;
        try {
          p.nodePort = reuse ? this.ports.reserve(reuse, owner) : this.ports.allocate(owner);
        } catch (err) {
          throw fieldError(where, `spec.ports[${i}].nodePort`, err);
        }
        kept.add(p.nodePort);
      });
    } else {
      for (const p of ports) delete p.nodePort;
    }
    for (const port of before) if (!kept.has(port)) this.ports.release(port);
    return ports;
  }
}

function fieldError(where: string, field: string, err: unknown): UserError {
  if (err instanceof UserError) return new UserError(`${where}: ${field}: ${err.message}`, err.fix);
  return new UserError(`${where}: ${field}: ${String(err)}`);
}
