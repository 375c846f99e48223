/**
 * A node agent: everything one node runs, parameterised by the node and bound to its network
 * namespace. Composition root for the node's loops: the pod-network backend (routes, VXLAN,
 * FDB to peers), the service proxy, the NetworkPolicy enforcer, the CNI configuration and fast
 * path, and kubelet-lite.
 * On a real cluster the same pieces would run as a DaemonSet; the lab hosts one agent per node
 * in its daemon.
 */
import type { Store } from "../cluster/store.js";
import type { KObject } from "../cluster/types.js";
import { nodeConfList, readNodeConfList, writeNodeConfList } from "../lab/cni-config.js";
import type { LabNames, LabPaths } from "../lab/names.js";
import type { PolicyEnforcer } from "../policy/nft/enforcer.js";
import { startNodePolicy } from "../policy/nft/node-policy.js";
import { startNodeProxy } from "../proxy/node-proxy.js";
import type { ServiceProxy } from "../proxy/proxier.js";
import { errorMessage } from "../util/errors.js";
import { Kubelet, type WorkloadRuntime } from "./kubelet.js";
import type { DnsSettings } from "./pod-files.js";
import { PodNetworkSync } from "./podnet-sync.js";

export interface NodeAgentOptions {
  store: Store;
  node: string;
  nodeIP: string;
  podCIDR: string;
  backend: string;
  underlayMTU: number;
  underlaySubnet: string;
  names: LabNames;
  paths: LabPaths;
  cniPath: string[];
  workloads: WorkloadRuntime;
  dns: DnsSettings;
  /** Run the service proxy (ClusterIP/NodePort) with these ranges. */
  services?: { clusterCIDR: string; serviceCIDR: string };
  startCniServer?: (socketPath: string, hostNetns: string) => Promise<{ close(): Promise<void> }>;
  log: (msg: string) => void;
}

export class NodeAgent {
  readonly netns: string;
  private kubelet?: Kubelet;
  private podnet?: PodNetworkSync;
  private proxy?: ServiceProxy;
  private policy?: PolicyEnforcer;
  private cniServer?: { close(): Promise<void> };

  constructor(private readonly o: NodeAgentOptions) {
    this.netns = o.names.nodeNetns(o.node);
  }

  async start(): Promise<void> {
    const { o } = this;
    // Register the node's address first (as a kubelet does): peers' backends need it.
    this.markReady(false);
    this.podnet = new PodNetworkSync({
      store: o.store,
      node: o.node,
      netns: this.netns,
      backend: o.backend,
      underlayMTU: o.underlayMTU,
      underlaySubnet: o.underlaySubnet,
      log: (m) => o.log(`node ${o.node}: ${m}`),
    });
    await this.podnet.start();
    if (o.services) {
      this.proxy = await startNodeProxy({
        source: o.store,
        node: o.node,
        netns: this.netns,
        clusterCIDR: o.services.clusterCIDR,
        serviceCIDR: o.services.serviceCIDR,
        uplink: "eth0",
        log: (m) => o.log(`node ${o.node}: ${m}`),
      });
    }
    // NetworkPolicy after the proxy: it judges connections on the backend the proxy chose.
    this.policy = await startNodePolicy({
      source: o.store,
      node: o.node,
      netns: this.netns,
      log: (m) => o.log(`node ${o.node}: ${m}`),
    });
    const confDir = o.paths.cniConfDir(o.node);
    let agentSocket: string | undefined;
    if (o.startCniServer) {
      agentSocket = o.paths.cniSocket(o.node);
      this.cniServer = await o.startCniServer(agentSocket, this.netns);
    }
    writeNodeConfList(
      confDir,
      nodeConfList({
        podCIDR: o.podCIDR,
        podMTU: this.podnet.podMTU(),
        ipamDataDir: o.paths.ipamDir(o.node),
        agentSocket,
      }),
    );
    this.kubelet = new Kubelet({
      store: o.store,
      nodeName: o.node,
      nodeIP: o.nodeIP,
      nodeNetns: this.netns,
      names: o.names,
      cniList: () => readNodeConfList(confDir),
      cniContext: { cniPath: o.cniPath, hostNetns: this.netns },
      workloads: o.workloads,
      dns: o.dns,
      logsDir: (ns, pod) => o.paths.podLogs(ns, pod),
      log: (m) => o.log(`node ${o.node}: ${m}`),
    });
    this.kubelet.start();
    this.markReady(true);
  }

  private markReady(ready: boolean): void {
    const node = this.o.store.get("Node", undefined, this.o.node);
    if (!node) return;
    this.o.store.updateStatus("Node", undefined, this.o.node, {
      ...node.status,
      addresses: [
        { type: "InternalIP", address: this.o.nodeIP },
        { type: "Hostname", address: this.o.node },
      ],
      conditions: [
        {
          type: "Ready",
          status: ready ? "True" : "False",
          reason: ready ? "KubeletReady" : "KubeletNotReady",
          lastTransitionTime: new Date().toISOString(),
        },
      ],
    } satisfies KObject["status"]);
  }

  async stop(): Promise<void> {
    await this.kubelet?.stop().catch((e) => this.o.log(`node ${this.o.node}: ${errorMessage(e)}`));
    this.podnet?.stop();
    this.policy?.stop();
    this.proxy?.stop();
    await this.cniServer?.close();
  }
}
