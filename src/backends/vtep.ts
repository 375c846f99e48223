/**
 * VTEP MAC addresses and how nodes publish them.
 *
 * Flannel gives flannel.1 a random MAC and publishes it in the Node annotation
 * `flannel.alpha.coreos.com/backend-data` ({"VNI":1,"VtepMAC":"..."}), because peers need it
 * for their ARP and FDB entries. flatnet derives the MAC from the node name instead (a hash,
 * with the locally-administered bit set and the multicast bit clear), so a node recreated
 * with the same name keeps its MAC and peers' entries stay valid, and a peer that has not yet
 * seen the annotation computes the same value. The annotation is still written, in Flannel's
 * format, so tools that read Flannel's annotations understand flatnet nodes.
 */
import { createHash } from "node:crypto";
import { UserError } from "../util/errors.js";

export const FLANNEL_BACKEND_DATA = "flannel.alpha.coreos.com/backend-data";
export const FLANNEL_BACKEND_TYPE = "flannel.alpha.coreos.com/backend-type";
export const FLANNEL_PUBLIC_IP = "flannel.alpha.coreos.com/public-ip";

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

/** The deterministic VTEP MAC of a node: locally administered, unicast, from the node name. */
export function vtepMACFor(nodeName: string): string {
  const bytes = createHash("sha256").update(`flatnet-vtep:${nodeName}`).digest().subarray(0, 6);
  bytes[0] = (bytes[0]! & 0xfc) | 0x02;
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/** Lowercase a MAC and check it is a unicast address usable by a VTEP. */
export function checkVtepMAC(nodeName: string, mac: string): string {
  const m = mac.toLowerCase();
  if (!MAC.test(m)) {
    throw new UserError(
      `node "${nodeName}" has VTEP MAC "${mac}", which is not a MAC address`,
      `write six hex bytes like 02:5a:00:00:00:01, or leave it out to use ${vtepMACFor(nodeName)}`,
    );
  }
  if ((Number.parseInt(m.slice(0, 2), 16) & 0x01) !== 0 || m === "00:00:00:00:00:00") {
    throw new UserError(
      `node "${nodeName}" has VTEP MAC ${m}, which is multicast or all zeros`,
      "a VTEP needs a unicast MAC (lowest bit of the first byte clear)",
    );
  }
  return m;
}

/** A node's VTEP MAC: the published one when present, else the derived one. */
export function vtepMACOf(node: { name: string; vtepMAC?: string }): string {
  return node.vtepMAC ? checkVtepMAC(node.name, node.vtepMAC) : vtepMACFor(node.name);
}

/** The Node annotations a vxlan node publishes, in Flannel's format. */
export function vxlanNodeAnnotations(
  node: { name: string; nodeIP: string; vtepMAC?: string },
  vni: number,
): Record<string, string> {
  return {
    [FLANNEL_BACKEND_TYPE]: "vxlan",
    [FLANNEL_BACKEND_DATA]: JSON.stringify({ VNI: vni, VtepMAC: vtepMACOf(node) }),
    [FLANNEL_PUBLIC_IP]: node.nodeIP,
  };
}

/** The VTEP MAC published in a Node's annotations, or undefined when there is none. */
export function vtepMACFromAnnotations(
  nodeName: string,
  annotations: Record<string, string> | undefined,
): string | undefined {
  const raw = annotations?.[FLANNEL_BACKEND_DATA];
  if (raw === undefined) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    throw new UserError(
      `node "${nodeName}": annotation ${FLANNEL_BACKEND_DATA} is not JSON: ${raw}`,
      'it must look like {"VNI":1,"VtepMAC":"02:..."}; remove it to let flatnet derive the MAC',
    );
  }
  const mac = (data as { VtepMAC?: unknown } | null)?.VtepMAC;
  if (typeof mac !== "string") {
    throw new UserError(
      `node "${nodeName}": annotation ${FLANNEL_BACKEND_DATA} has no string VtepMAC: ${raw}`,
      'it must look like {"VNI":1,"VtepMAC":"02:..."}',
    );
  }
  return checkVtepMAC(nodeName, mac);
}
