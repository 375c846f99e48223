/**
 * A small lab built with plain `ip` commands, for tests and benchmarks of the pod-network
 * backends without depending on flatnet's CNI plugin or lab daemon: an underlay namespace
 * with bridge br0 (the switch); node namespaces with eth0 on it (172.18.0.<i+1>/16); on each
 * node a bridge cni0 holding the gateway 10.244.<i>.1/24 and pods as namespaces with eth0
 * (veth to cni0), an address from the node's podCIDR and a default route via the gateway.
 *
 * Every namespace is named `flatnet-t<hex>-...` with a random hex per lab, links are created
 * directly inside their namespaces (nothing ever exists in the root namespace), and
 * destroy() deletes every namespace with the lab's prefix, which takes every link with it.
 *
 * With `strictRpFilter`, nodes start with rp_filter=1 and forwarding off, as on a host whose
 * distribution sets strict reverse-path filtering: the backend's sysctls must fix that.
 */
import { randomBytes } from "node:crypto";
import { getBackend } from "../../src/backends/index.js";
import { formatCidr, parseIpWithPrefix } from "../../src/ipam/cidr.js";
import { run } from "../../src/kernel/exec.js";
import { createNetns, deleteNetns, listNetns } from "../../src/kernel/netns.js";
import { type ApplyReport, IpNodeKernel, PodNetApplier } from "../../src/kernel/podnet-applier.js";
import type { NodeNetInfo } from "../../src/model/podnet.js";

export interface MiniPod {
  name: string;
  ns: string;
  ip: string;
  node: string;
}

export interface MiniNode {
  name: string;
  ns: string;
  index: number;
  nodeIP: string;
  /** Prefix length of eth0's address (its on-link subnet). */
  prefixLen: number;
  podCIDR: string;
  gateway: string;
  pods: MiniPod[];
}

export interface MiniLabOptions {
  nodes?: number;
  podsPerNode?: number;
  /** MTU of pods' veths and cni0 (podMTU(backend, underlayMTU) in the real lab). */
  podMTU?: number;
  underlayMTU?: number;
  strictRpFilter?: boolean;
}

export interface AddNodeOptions {
  /** Defaults to 172.18.0.<index+1>. */
  nodeIP?: string;
  prefixLen?: number;
  pods?: number;
}

export const UNDERLAY_BRIDGE = "br0";

export class MiniLab {
  readonly prefix = `flatnet-t${randomBytes(3).toString("hex")}-`;
  readonly underlayNs = `${this.prefix}ul`;
  readonly nodes: MiniNode[] = [];
  private readonly opts: Required<MiniLabOptions>;

  private constructor(opts: MiniLabOptions) {
    this.opts = {
      nodes: 3,
      podsPerNode: 2,
      podMTU: 1500,
      underlayMTU: 1500,
      strictRpFilter: true,
      ...opts,
    };
  }

  /** Build the lab; on failure, whatever was made is removed before the error is thrown. */
  static async create(opts: MiniLabOptions = {}): Promise<MiniLab> {
    const lab = new MiniLab(opts);
    try {
      await createNetns(lab.underlayNs);
      await run(["ip", "-batch", "-"], {
        netns: lab.underlayNs,
        input: `link add ${UNDERLAY_BRIDGE} type bridge stp_state 0\nlink set ${UNDERLAY_BRIDGE} mtu ${lab.opts.underlayMTU} up\n`,
      });
      for (let i = 0; i < lab.opts.nodes; i++) await lab.addNode();
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  node(name: string): MiniNode {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`minilab has no node ${name}`);
    return n;
  }

  get pods(): MiniPod[] {
    return this.nodes.flatMap((n) => n.pods);
  }

  info(node: MiniNode): NodeNetInfo {
    const subnet = formatCidr(parseIpWithPrefix(`${node.nodeIP}/${node.prefixLen}`).cidr);
    return { name: node.name, nodeIP: node.nodeIP, podCIDR: node.podCIDR, underlaySubnet: subnet };
  }

  infos(): NodeNetInfo[] {
    return this.nodes.map((n) => this.info(n));
  }

  /** Add a node with its cni0 bridge and pods; the index is one more than the largest so far. */
  async addNode(opts: AddNodeOptions = {}): Promise<MiniNode> {
    const index = Math.max(0, ...this.nodes.map((n) => n.index)) + 1;
    const name = `n${index}`;
    const node: MiniNode = {
      name,
      ns: `${this.prefix}${name}`,
      index,
      nodeIP: opts.nodeIP ?? `172.18.0.${index + 1}`,
      prefixLen: opts.prefixLen ?? 16,
      podCIDR: `10.244.${index}.0/24`,
      gateway: `10.244.${index}.1`,
      pods: [],
    };
    this.nodes.push(node);
    const { underlayMTU, podMTU } = this.opts;
    await createNetns(node.ns);
    if (this.opts.strictRpFilter) {
      await run(
        [
          "sysctl",
          "-q",
          "-w",
          "net/ipv4/conf/all/rp_filter=1",
          "net/ipv4/conf/default/rp_filter=1",
          "net/ipv4/ip_forward=0",
        ],
        { netns: node.ns },
      );
    }
    const port = `u${name}`;
    await run(["ip", "-batch", "-"], {
      netns: this.underlayNs,
      input: [
        `link add ${port} mtu ${underlayMTU} type veth peer name eth0 mtu ${underlayMTU} netns ${node.ns}`,
        `link set ${port} master ${UNDERLAY_BRIDGE} up`,
      ].join("\n"),
    });
    const lines = [
      `address add ${node.nodeIP}/${node.prefixLen} dev eth0`,
      "link set eth0 up",
      "link add cni0 type bridge stp_state 0",
      `link set cni0 mtu ${podMTU} up`,
      `address add ${node.gateway}/24 dev cni0`,
    ];
    const pods = opts.pods ?? this.opts.podsPerNode;
    for (let j = 1; j <= pods; j++) {
      const pod: MiniPod = {
        name: `${name}p${j}`,
        ns: `${node.ns}p${j}`,
        ip: `10.244.${index}.${j + 1}`,
        node: name,
      };
      await createNetns(pod.ns);
      lines.push(
        `link add vp${j} mtu ${podMTU} type veth peer name eth0 mtu ${podMTU} netns ${pod.ns}`,
        `link set vp${j} master cni0 up`,
      );
      node.pods.push(pod);
    }
    await run(["ip", "-batch", "-"], { netns: node.ns, input: `${lines.join("\n")}\n` });
    for (const pod of node.pods) {
      await run(["ip", "-batch", "-"], {
        netns: pod.ns,
        input: `address add ${pod.ip}/24 dev eth0\nlink set eth0 up\nroute add default via ${node.gateway}\n`,
      });
    }
    return node;
  }

  /** Remove a node with its pods (deleting its namespaces removes its links). */
  async removeNode(name: string): Promise<void> {
    const node = this.node(name);
    for (const pod of node.pods) await deleteNetns(pod.ns);
    await deleteNetns(node.ns);
    this.nodes.splice(this.nodes.indexOf(node), 1);
  }

  applier(node: MiniNode): PodNetApplier {
    return new PodNetApplier(new IpNodeKernel(node.ns));
  }

  /** Reconcile every node to `backend` with the current node list. */
  async applyBackend(backend: string): Promise<Map<string, ApplyReport>> {
    const be = getBackend(backend);
    const infos = this.infos();
    const reports = new Map<string, ApplyReport>();
    for (const node of this.nodes) {
      const want = be.desired(this.info(node), infos, {
        underlayMTU: this.opts.underlayMTU,
        underlayDev: "eth0",
      });
      reports.set(node.name, await this.applier(node).apply(want));
    }
    return reports;
  }

  /** Delete every namespace of this lab (pods, nodes, underlay). Safe to call twice. */
  async destroy(): Promise<void> {
    const all = listNetns(this.prefix).sort((a, b) => b.length - a.length);
    for (const ns of all) await deleteNetns(ns);
  }
}
