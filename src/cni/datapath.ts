/**
 * Applying a PodAttachment to the kernel and taking it away again. ADD costs two `ip`
 * invocations (one batch in the host netns, one in the pod's) plus one more the first time a
 * bridge is created; DEL costs one (deleting the host-side veth takes its pod end with it, so
 * DEL works without the pod's netns). Failures roll back what this ADD made: the veth, and the
 * bridge if this ADD created it and no other port joined it meanwhile.
 */
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { run } from "../kernel/exec.js";
import type { Observed } from "./desired.js";
import { CniCode, CniError } from "./errors.js";
import { BatchError, describeNs, type IpRunner, type NsRef, nsFromPath, sameNs } from "./ip-batch.js";
import { bridgeCreateLines, hostAttachLines, type PodAttachment, podLines, VETH_ADD_LINE } from "./plan.js";

interface LinkJson {
  ifname: string;
  address?: string;
  master?: string;
  linkinfo?: { info_kind?: string; info_slave_kind?: string; info_slave_data?: { hairpin?: boolean } };
}

function kernelFailure(e: unknown): CniError {
  if (e instanceof CniError) return e;
  return new CniError(CniCode.KernelFailure, e instanceof Error ? e.message : String(e));
}

const exists = (e: unknown) => e instanceof BatchError && /File exists/.test(e.kernelSays);
const missing = (e: unknown) =>
  e instanceof BatchError &&
  /(Cannot find device|does not exist|Cannot open network namespace)/.test(e.kernelSays);

/** Which end of the veth already exists, as the spec's "interface exists" error. */
async function interfaceExistsError(ip: IpRunner, host: NsRef, a: PodAttachment): Promise<CniError> {
  const pod = nsFromPath(a.podNetns);
  const inPod = await ip.batch(pod, [`link show dev ${a.ifname}`]).then(
    () => true,
    () => false,
  );
  if (inPod) {
    return new CniError(
      CniCode.InterfaceExists,
      `interface ${a.ifname} already exists in the container's netns ${a.podNetns}`,
    );
  }
  return new CniError(
    CniCode.InterfaceExists,
    `host-side veth ${a.hostVeth} already exists in ${describeNs(host)}: an earlier ADD of this container and ifname was not deleted (run DEL first)`,
  );
}

/** Create the bridge; false when a concurrent ADD created it first. */
async function createBridge(ip: IpRunner, host: NsRef, a: PodAttachment): Promise<boolean> {
  try {
    await ip.batch(host, bridgeCreateLines(a));
    return true;
  } catch (e) {
    if (e instanceof BatchError && e.line === 1 && exists(e)) return false;
    if (e instanceof BatchError && e.line > 1)
      await ip.batch(host, [`link del dev ${a.bridge}`]).catch(() => {});
    throw e;
  }
}

/** Wire the pod. Throws CniError (101 interface exists, 100 anything the kernel refused). */
export async function applyAdd(ip: IpRunner, host: NsRef, a: PodAttachment): Promise<Observed> {
  const lines = hostAttachLines(a);
  let createdBridge = false;
  let outputs: unknown[];
  try {
    try {
      outputs = await ip.batch(host, lines, { json: true });
    } catch (e) {
      // Line 1 (`link show dev BR`) failed: the bridge is missing; make it and go again.
      if (!(e instanceof BatchError && e.line === 1)) throw e;
      createdBridge = await createBridge(ip, host, a);
      outputs = await ip.batch(host, lines, { json: true });
    }
    await ip.batch(nsFromPath(a.podNetns), podLines(a));
  } catch (e) {
    const vethMadeHere = !(e instanceof BatchError && sameNs(e.ns, host) && e.line <= VETH_ADD_LINE);
    if (vethMadeHere) await deleteHostVeth(ip, host, a.hostVeth).catch(() => {});
    if (createdBridge) await removeBridgeIfUnused(ip, host, a.bridge);
    if (e instanceof BatchError && sameNs(e.ns, host) && e.line === VETH_ADD_LINE && exists(e)) {
      throw await interfaceExistsError(ip, host, a);
    }
    throw kernelFailure(e);
  }
  const [bridge] = (outputs[0] ?? []) as LinkJson[];
  const [veth] = (outputs.at(-1) ?? []) as LinkJson[];
  return { bridgeMac: bridge?.address ?? a.bridgeMac, hostVethMac: veth?.address ?? "" };
}

/** Remove the host-side veth (and with it the pod end). False when it was already gone. */
export async function deleteHostVeth(ip: IpRunner, host: NsRef, hostVeth: string): Promise<boolean> {
  try {
    await ip.batch(host, [`link del dev ${hostVeth}`]);
    return true;
  } catch (e) {
    if (missing(e)) return false;
    throw kernelFailure(e);
  }
}

async function removeBridgeIfUnused(ip: IpRunner, host: NsRef, bridge: string): Promise<void> {
  try {
    const [ports] = (await ip.batch(host, [`link show master ${bridge}`], { json: true })) as LinkJson[][];
    if (!ports || ports.length === 0) await ip.batch(host, [`link del dev ${bridge}`]);
  } catch {
    /* best effort: rollback must not hide the original error */
  }
}

const forwardingOn = new Set<string>();

/**
 * net.ipv4.ip_forward (and IPv6 forwarding) on in the host netns, as a gateway bridge needs
 * for pod traffic leaving the node. The process's own netns is checked through /proc on every
 * ADD (a file read); a named netns costs one exec the first time per namespace instance.
 */
export async function ensureForwarding(host: NsRef, families: Array<4 | 6>): Promise<void> {
  const files = families.map((f) =>
    f === 4 ? "/proc/sys/net/ipv4/ip_forward" : "/proc/sys/net/ipv6/conf/all/forwarding",
  );
  if (host.kind === "own") {
    for (const f of files) if (readFileSync(f, "utf8").trim() !== "1") writeFileSync(f, "1");
    return;
  }
  const nsPath = host.kind === "named" ? `/run/netns/${host.name}` : host.path;
  const key = `${statSync(nsPath).ino}:${families.join(",")}`;
  if (forwardingOn.has(key)) return;
  const keys = families.map((f) => (f === 4 ? "net.ipv4.ip_forward=1" : "net.ipv6.conf.all.forwarding=1"));
  await run(["nsenter", `--net=${nsPath}`, "sysctl", "-qw", ...keys]).catch((e) => {
    throw kernelFailure(e);
  });
  forwardingOn.add(key);
}
