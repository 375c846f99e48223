/**
 * An in-memory node kernel for unit tests of the pod-network applier and of anything built on
 * it (the lab's node agents). It implements NodeKernelPort and follows the kernel's rules
 * that the applier depends on, and fails where the kernel fails:
 * - deleting a link takes its addresses, neighbours, FDB entries and routes with it;
 * - `add` of something that exists fails (File exists); `del` of something absent fails;
 * - a VXLAN device needs its underlay device, its MTU fits under the underlay's minus 50, and
 *   no two VXLAN devices share a VNI and port;
 * - a route needs its device up and, without `onlink`, a gateway inside a subnet on that device;
 * - `route replace` overwrites the route with the same destination and metric, whoever made it;
 * - FDB entries exist only on VXLAN devices; `replace` changes the remote of a MAC;
 * - a device's sysctls exist while it does and start from the namespace's defaults.
 * Like `ip -batch`, execution stops at the first failing operation, keeping earlier ones.
 */
import { cidrContains, formatCidr, parseIp, parseIpWithPrefix } from "../ipam/cidr.js";
import type { AddressSpec, FdbSpec, NeighbourSpec } from "../model/podnet.js";
import type { NodeKernelPort } from "./podnet-applier.js";
import { OWNED_PROTOCOL, type PodNetOp, sysctlDevice } from "./podnet-plan.js";
import type { KernelSnapshot, ObservedLink, ObservedRoute } from "./podnet-snapshot.js";

const IFNAMSIZ = 15;
const VXLAN_HEADROOM = 50;
const KERNEL_PROTOCOL = "2";

export class FakeKernelError extends Error {}

export class FakeNodeKernel implements NodeKernelPort {
  links = new Map<string, ObservedLink>();
  addresses: AddressSpec[] = [];
  routes: ObservedRoute[] = [];
  neighbours: NeighbourSpec[] = [];
  fdb: FdbSpec[] = [];
  /** Starts like a host with strict reverse-path filtering and forwarding off. */
  sysctls = new Map<string, string>([
    ["net/ipv4/ip_forward", "0"],
    ["net/ipv4/conf/all/rp_filter", "1"],
    ["net/ipv4/conf/default/rp_filter", "1"],
  ]);
  /** Every operation executed successfully, in order. */
  readonly executed: PodNetOp[] = [];

  constructor(readonly where = "fake node") {
    this.newLink({ name: "lo", up: true, mtu: 65536, mac: "00:00:00:00:00:00" });
  }

  /** Add a link; like the kernel, its per-device sysctls start from the namespace's defaults. */
  private newLink(link: ObservedLink): void {
    this.links.set(link.name, link);
    this.sysctls.set(
      `net/ipv4/conf/${link.name}/rp_filter`,
      this.sysctls.get("net/ipv4/conf/default/rp_filter")!,
    );
  }

  /** Test setup: a veth `dev` with `address` (e.g. 172.18.0.2/16) and its connected route. */
  addUnderlay(dev: string, address: string, mtu = 1500): this {
    this.newLink({ name: dev, kind: "veth", up: true, mtu, mac: "02:00:00:00:00:01" });
    this.addAddress({ dev, address });
    return this;
  }

  /** Test setup: a route someone else made (protocol "4" = static unless given). */
  addForeignRoute(route: Partial<ObservedRoute> & { dst: string }): this {
    this.routes.push({ onlink: false, protocol: "4", metric: 0, ...route });
    return this;
  }

  async snapshot(fdbLinks: string[], sysctlKeys: string[]): Promise<KernelSnapshot> {
    const clone = <T>(x: T): T => structuredClone(x);
    const fdbDevs = [...this.links.values()]
      .filter((l) => l.kind === "vxlan" && (fdbLinks.includes(l.name) || l.alias?.startsWith("flatnet:")))
      .map((l) => l.name);
    return {
      links: clone([...this.links.values()]),
      addresses: clone(this.addresses),
      routes: clone(this.routes),
      neighbours: clone(this.neighbours),
      fdb: clone(this.fdb.filter((f) => fdbDevs.includes(f.dev))),
      sysctls: sysctlKeys.map((key) => ({ key, value: this.sysctls.get(key) ?? "" })),
    };
  }

  async execute(ops: PodNetOp[]): Promise<void> {
    for (const op of ops) {
      this.one(op);
      this.executed.push(op);
    }
  }

  private fail(what: string): never {
    throw new FakeKernelError(`${this.where}: ${what}`);
  }

  private link(name: string): ObservedLink {
    return this.links.get(name) ?? this.fail(`Cannot find device "${name}"`);
  }

  private addAddress(a: AddressSpec): void {
    this.link(a.dev);
    if (this.addresses.some((x) => x.dev === a.dev && x.address === a.address)) this.fail("File exists");
    this.addresses.push(a);
    const ip = parseIpWithPrefix(a.address);
    // Like the kernel, an address shorter than /32 brings its connected (prefix) route.
    if (ip.prefix < 32) {
      this.routes.push({
        dst: formatCidr(ip.cidr),
        dev: a.dev,
        onlink: false,
        protocol: KERNEL_PROTOCOL,
        metric: 0,
      });
    }
  }

  private one(op: PodNetOp): void {
    switch (op.op) {
      case "sysctl-set": {
        const dev = sysctlDevice(op.key);
        if (!op.key.startsWith("net/") || (dev !== undefined && !this.links.has(dev))) {
          this.fail(`cannot stat /proc/sys/${op.key}: No such file or directory`);
        }
        this.sysctls.set(op.key, op.value);
        return;
      }
      case "route-del": {
        const r = op.route;
        const i = this.routes.findIndex(
          (x) =>
            x.dst === r.dst &&
            x.protocol === OWNED_PROTOCOL &&
            (r.via === undefined || x.via === r.via) &&
            (r.dev === undefined || x.dev === r.dev) &&
            (r.metric === 0 || x.metric === r.metric),
        );
        if (i < 0) this.fail(`route del ${r.dst}: No such process`);
        this.routes.splice(i, 1);
        return;
      }
      case "neigh-del": {
        this.link(op.neigh.dev);
        const i = this.neighbours.findIndex((n) => n.dev === op.neigh.dev && n.ip === op.neigh.ip);
        if (i < 0) this.fail(`neigh del ${op.neigh.ip}: No such file or directory`);
        this.neighbours.splice(i, 1);
        return;
      }
      case "fdb-del": {
        this.link(op.fdb.dev);
        const f = op.fdb;
        const i = this.fdb.findIndex((x) => x.dev === f.dev && x.mac === f.mac && x.dst === f.dst);
        if (i < 0) this.fail(`fdb del ${f.mac}: No such file or directory`);
        this.fdb.splice(i, 1);
        return;
      }
      case "addr-del": {
        const i = this.addresses.findIndex((a) => a.dev === op.addr.dev && a.address === op.addr.address);
        if (i < 0) this.fail(`address del ${op.addr.address}: Cannot assign requested address`);
        this.addresses.splice(i, 1);
        const prefix = formatCidr(parseIpWithPrefix(op.addr.address).cidr);
        this.routes = this.routes.filter(
          (r) => !(r.dst === prefix && r.dev === op.addr.dev && r.protocol === KERNEL_PROTOCOL),
        );
        return;
      }
      case "link-del":
        this.link(op.name);
        this.links.delete(op.name);
        for (const key of [...this.sysctls.keys()])
          if (sysctlDevice(key) === op.name) this.sysctls.delete(key);
        this.addresses = this.addresses.filter((a) => a.dev !== op.name);
        this.routes = this.routes.filter((r) => r.dev !== op.name);
        this.neighbours = this.neighbours.filter((n) => n.dev !== op.name);
        this.fdb = this.fdb.filter((f) => f.dev !== op.name);
        return;
      case "link-add": {
        const l = op.link;
        if (l.name.length > IFNAMSIZ) this.fail(`"${l.name}" is not a valid device name`);
        if (this.links.has(l.name)) this.fail("File exists");
        const lower = this.link(l.dev);
        if (l.mtu > lower.mtu - VXLAN_HEADROOM)
          this.fail("Invalid argument (MTU larger than the lower device allows)");
        for (const other of this.links.values()) {
          if (other.vxlan && other.vxlan.vni === l.vni && other.vxlan.port === l.port) {
            this.fail(`A VXLAN device with the specified VNI already exists (${other.name})`);
          }
        }
        this.newLink({
          name: l.name,
          kind: "vxlan",
          alias: l.alias,
          up: true,
          mtu: l.mtu,
          mac: l.mac,
          vxlan: { vni: l.vni, port: l.port, local: l.local, dev: l.dev, learning: l.learning },
        });
        return;
      }
      case "link-set": {
        const l = this.link(op.name);
        if (op.mtu !== undefined) {
          const lower = l.vxlan?.dev ? this.links.get(l.vxlan.dev) : undefined;
          if (lower && op.mtu > lower.mtu - VXLAN_HEADROOM) this.fail("Invalid argument (MTU too large)");
          l.mtu = op.mtu;
        }
        if (op.mac !== undefined) l.mac = op.mac;
        if (op.alias !== undefined) l.alias = op.alias;
        l.up = true;
        return;
      }
      case "addr-add":
        this.addAddress(op.addr);
        return;
      case "neigh-replace": {
        this.link(op.neigh.dev);
        this.neighbours = this.neighbours.filter((n) => !(n.dev === op.neigh.dev && n.ip === op.neigh.ip));
        this.neighbours.push({ ...op.neigh });
        return;
      }
      case "fdb-replace": {
        if (this.link(op.fdb.dev).kind !== "vxlan") this.fail("Operation not supported");
        this.fdb = this.fdb.filter((f) => !(f.dev === op.fdb.dev && f.mac === op.fdb.mac));
        this.fdb.push({ ...op.fdb });
        return;
      }
      case "route-replace": {
        const r = op.route;
        const dev = this.link(r.dev);
        if (!dev.up) this.fail("Network is down");
        if (!r.onlink && !this.onLink(r.dev, r.via)) this.fail("Nexthop has invalid gateway");
        this.routes = this.routes.filter((x) => !(x.dst === r.dst && x.metric === 0));
        this.routes.push({
          dst: r.dst,
          via: r.via,
          dev: r.dev,
          onlink: r.onlink,
          protocol: OWNED_PROTOCOL,
          metric: 0,
        });
        return;
      }
    }
  }

  /** Whether `ip` is inside a subnet of an address on `dev` (a valid gateway without onlink). */
  private onLink(dev: string, ip: string): boolean {
    const addr = parseIp(ip);
    return this.addresses.some((a) => a.dev === dev && cidrContains(parseIpWithPrefix(a.address).cidr, addr));
  }
}
