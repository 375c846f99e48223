/**
 * The lab daemon: one process hosting a whole cluster network, as Mininet hosts all of its
 * hosts. It owns the underlay, the control plane, one node agent per Node object and the
 * shared workload host, and answers the CLI on a unix socket. Nodes come and go with Node
 * objects (`flatnet apply`/`delete` of a Node), like machines joining a cluster.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { NodeAgent } from "../agent/node-agent.js";
import { ControlPlane } from "../cluster/control-plane.js";
import type { KObject } from "../cluster/types.js";
import { startCniServer } from "../cni/agent-server.js";
import { clusterDnsIp, dnsAddonObjects } from "../dns/addon.js";
import { ingressAddonObjects } from "../ingress/addon.js";
import { formatIp, nthAddress, parseCidr } from "../ipam/cidr.js";
import { kubernetesServiceIp } from "../ipam/cluster-ips.js";
import { errorMessage } from "../util/errors.js";
import { labApi } from "./daemon-api.js";
import { LabNames, labPaths } from "./names.js";
import { serveRpc } from "./rpc.js";
import { createUnderlay, plugIntoUnderlay, removeMember } from "./topology.js";
import { WorkloadHostClient } from "./workload/host-client.js";

export interface LabSpec {
  name: string;
  backend: string;
  podSubnet: string;
  serviceSubnet: string;
  /** NodePort range "FIRST-LAST" (default 30000-32767). */
  nodePortRange?: string;
  nodeCIDRMaskSize: number;
  underlaySubnet: string;
  mtu: number;
  dnsDomain: string;
  /** Upstream DNS servers for names outside the cluster (Cluster networking.upstreamDNS). */
  upstreamDNS?: string[];
  nodes: Array<{ name: string; labels?: Record<string, string> }>;
  objects: KObject[];
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

export class LabDaemon {
  readonly names: LabNames;
  readonly paths;
  readonly cp: ControlPlane;
  readonly agents = new Map<string, NodeAgent>();
  private nodeIPs = new Map<string, string>();
  private workloads!: WorkloadHostClient;
  private stopping = false;

  constructor(readonly spec: LabSpec) {
    this.names = new LabNames(spec.name);
    this.paths = labPaths(spec.name);
    this.cp = new ControlPlane({
      podSubnet: spec.podSubnet,
      nodeCIDRMaskSize: spec.nodeCIDRMaskSize,
      serviceSubnet: spec.serviceSubnet,
      nodePortRange: spec.nodePortRange,
    });
  }

  workloadHost(): WorkloadHostClient {
    return this.workloads;
  }

  log(msg: string): void {
    process.stderr.write(`${new Date().toISOString()} ${msg}\n`);
  }

  /** The external client's address: the underlay's last usable address. */
  get externalIP(): string {
    const ul = parseCidr(this.spec.underlaySubnet);
    return formatIp(ul.family, nthAddress(ul, -2));
  }

  /** Lowest free underlay address from .2 (kind gives .1 to the bridge gateway). */
  private allocateNodeIP(node: string): string {
    const existing = this.nodeIPs.get(node);
    if (existing) return existing;
    const ul = parseCidr(this.spec.underlaySubnet);
    const used = new Set(this.nodeIPs.values());
    for (let i = 2; ; i++) {
      const ip = formatIp(ul.family, nthAddress(ul, i));
      if (!used.has(ip) && ip !== this.externalIP) {
        this.nodeIPs.set(node, ip);
        return ip;
      }
    }
  }

  async start(): Promise<void> {
    mkdirSync(this.paths.dir, { recursive: true });
    const prefix = parseCidr(this.spec.underlaySubnet).prefix;
    await createUnderlay(this.names, { subnetPrefix: prefix, mtu: this.spec.mtu });
    await plugIntoUnderlay(
      this.names,
      "external",
      this.names.externalNetns,
      `${this.externalIP}/${prefix}`,
      this.spec.mtu,
    );
    this.workloads = await WorkloadHostClient.start();
    // Every node's kubelet listens for its pods' events on the one shared host.
    this.workloads.setMaxListeners(0);
    this.cp.store.watch((ev) => {
      if (ev.object.kind !== "Node" || this.stopping) return;
      if (ev.type === "ADDED") void this.addNode(ev.object);
      if (ev.type === "DELETED") void this.removeNode(ev.object.metadata.name);
    });
    this.cp.apply(
      this.spec.nodes.map((n) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: n.name, labels: { "kubernetes.io/hostname": n.name, ...n.labels } },
        spec: {},
      })),
    );
    // The API server's own Service, at the first address of the service CIDR (kube-apiserver
    // creates it; there is no API server in the lab, so it has no endpoints).
    this.cp.apply([
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: {
          name: "kubernetes",
          namespace: "default",
          labels: { component: "apiserver", provider: "kubernetes" },
        },
        spec: {
          type: "ClusterIP",
          clusterIP: kubernetesServiceIp(this.spec.serviceSubnet),
          ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }],
          sessionAffinity: "None",
          internalTrafficPolicy: "Cluster",
        },
      },
    ]);
    // Cluster DNS add-on pods behind kube-system/kube-dns (they watch state over the socket
    // and wait for it to listen).
    this.cp.apply(
      dnsAddonObjects({
        serviceSubnet: this.spec.serviceSubnet,
        dnsDomain: this.spec.dnsDomain,
        upstreamDNS: this.spec.upstreamDNS ?? [],
        labSocket: this.paths.socket,
      }),
    );
    // The ingress controller add-on: pods in flatnet-ingress behind the NodePort Service
    // flatnet-ingress, IngressClass flatnet (same socket pattern as DNS).
    this.cp.apply(ingressAddonObjects({ labSocket: this.paths.socket }));
    this.cp.apply(this.spec.objects);
    await serveRpc(this.paths.socket, labApi(this));
  }

  private async addNode(node: KObject): Promise<void> {
    const name = node.metadata.name;
    try {
      const nodeIP = this.allocateNodeIP(name);
      const prefix = parseCidr(this.spec.underlaySubnet).prefix;
      await plugIntoUnderlay(
        this.names,
        name,
        this.names.nodeNetns(name),
        `${nodeIP}/${prefix}`,
        this.spec.mtu,
      );
      const agent = new NodeAgent({
        store: this.cp.store,
        node: name,
        nodeIP,
        podCIDR: node.spec.podCIDR,
        backend: this.spec.backend,
        underlayMTU: this.spec.mtu,
        underlaySubnet: this.spec.underlaySubnet,
        names: this.names,
        paths: this.paths,
        // Like containerd's bin_dir: FLATNET_CNI_PATH overrides where plugins are looked up.
        cniPath: process.env.FLATNET_CNI_PATH?.split(":") ?? [join(repoRoot, "bin"), "/usr/lib/cni"],
        workloads: this.workloads,
        dns: {
          clusterDNS: clusterDnsIp(this.spec.serviceSubnet),
          clusterDomain: this.spec.dnsDomain,
          hostResolvConf: "",
        },
        services: { clusterCIDR: this.spec.podSubnet, serviceCIDR: this.spec.serviceSubnet },
        // The CNI fast path: the plugin's shim hands requests to this resident server.
        startCniServer: (socketPath, hostNetns) => startCniServer({ socketPath, hostNetns }),
        log: (m) => this.log(m),
      });
      this.agents.set(name, agent);
      await agent.start();
      this.log(`node ${name} up: ${nodeIP}, podCIDR ${node.spec.podCIDR}`);
    } catch (err) {
      this.log(`node ${name}: failed to start: ${errorMessage(err)}`);
    }
  }

  private async removeNode(name: string): Promise<void> {
    const agent = this.agents.get(name);
    this.agents.delete(name);
    await agent?.stop();
    await removeMember(this.names.nodeNetns(name));
    this.nodeIPs.delete(name);
    this.log(`node ${name} removed`);
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const agent of this.agents.values()) await agent.stop();
    await this.workloads?.shutdown();
  }
}
