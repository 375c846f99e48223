/**
 * flatnet's Cluster config (kind-like): lab name, nodes, and the networking block. Fields are
 * checked one by one, then the effective values (the file's or the defaults) are checked
 * together: subnets of one family that do not overlap, a node mask that fits in the pod subnet
 * and leaves room for pods, enough node CIDRs for the nodes, a sane NodePort range. Unknown
 * fields are reported (a typo such as `podSubnets` would otherwise be silently ignored).
 */
import { type Cidr, cidrsOverlap, subnetCount } from "../../ipam/cidr.js";
import {
  BACKENDS,
  CLUSTER_DEFAULTS,
  CLUSTER_FIELDS,
  CLUSTER_NETWORKING_FIELDS,
  CLUSTER_NODE_FIELDS,
  MTU_RANGE,
  NODE_ROLES,
  parsePortRange,
} from "../cluster-defaults.js";
import {
  at,
  checkEnum,
  checkRange,
  type FieldErrors,
  idx,
  intField,
  type Json,
  listField,
  objectField,
  stringField,
  stringListField,
} from "./field.js";
import { checkCidr, checkIp } from "./ip.js";
import { validateLabels } from "./labels.js";
import { checkName } from "./metadata.js";
import { dns1123Label, dns1123Subdomain } from "./names.js";

function unknownFields(errs: FieldErrors, path: string, obj: Json, known: readonly string[]): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) errs.unsupported(at(path, key), key, known);
  }
}

export function validateClusterConfigObject(errs: FieldErrors, obj: Json): void {
  unknownFields(errs, "", obj, CLUSTER_FIELDS);
  const name = stringField(errs, "name", obj.name);
  if (name !== undefined) checkName(errs, "name", name, dns1123Label);

  const nodes = listField(errs, "nodes", obj.nodes);
  if (Array.isArray(obj.nodes) && nodes.length === 0)
    errs.required("nodes", "list at least one node, or omit `nodes`");
  const names = new Set<string>();
  nodes.forEach((n, i) => {
    const path = idx("nodes", i);
    const node = objectField(errs, path, n);
    if (!node) return;
    unknownFields(errs, path, node, CLUSTER_NODE_FIELDS);
    const nodeName = stringField(errs, at(path, "name"), node.name);
    if (nodeName !== undefined && checkName(errs, at(path, "name"), nodeName, dns1123Label)) {
      if (names.has(nodeName)) errs.duplicate(at(path, "name"), nodeName);
      names.add(nodeName);
    }
    checkEnum(errs, at(path, "role"), stringField(errs, at(path, "role"), node.role), NODE_ROLES);
    validateLabels(errs, at(path, "labels"), node.labels);
  });

  const net = objectField(errs, "networking", obj.networking) ?? {};
  unknownFields(errs, "networking", net, CLUSTER_NETWORKING_FIELDS);
  const subnet = (field: "podSubnet" | "serviceSubnet"): Cidr | undefined => {
    const path = at("networking", field);
    const text = stringField(errs, path, net[field]) ?? CLUSTER_DEFAULTS[field];
    return checkCidr(errs, path, text, { strict: true });
  };
  const pods = subnet("podSubnet");
  const services = subnet("serviceSubnet");
  const maskPath = "networking.nodeCIDRMaskSize";
  const mask = intField(errs, maskPath, net.nodeCIDRMaskSize);
  checkEnum(errs, "networking.backend", stringField(errs, "networking.backend", net.backend), BACKENDS);
  checkRange(errs, "networking.mtu", intField(errs, "networking.mtu", net.mtu), MTU_RANGE.min, MTU_RANGE.max);
  const rangeText = stringField(errs, "networking.nodePortRange", net.nodePortRange);
  if (rangeText !== undefined) {
    const range = parsePortRange(rangeText);
    if (!range || range.min < 1 || range.max > 65535 || range.min > range.max) {
      errs.invalid(
        "networking.nodePortRange",
        rangeText,
        "must be 'FIRST-LAST' with 1 <= FIRST <= LAST <= 65535 (e.g. '30000-32767')",
      );
    }
  }
  const domain = stringField(errs, "networking.dnsDomain", net.dnsDomain);
  if (domain !== undefined) checkName(errs, "networking.dnsDomain", domain, dns1123Subdomain);
  const upstream = stringListField(errs, "networking.upstreamDNS", net.upstreamDNS);
  if (upstream.length > 3) errs.tooMany("networking.upstreamDNS", upstream.length, 3);
  upstream.forEach((ip, i) => {
    checkIp(errs, idx("networking.upstreamDNS", i), ip);
  });

  if (pods && services) {
    if (pods.family !== services.family) {
      errs.invalid(
        "networking.serviceSubnet",
        net.serviceSubnet ?? CLUSTER_DEFAULTS.serviceSubnet,
        `must be of the same IP family as podSubnet (IPv${pods.family})`,
      );
    } else if (cidrsOverlap(pods, services)) {
      errs.invalid(
        "networking.serviceSubnet",
        net.serviceSubnet ?? CLUSTER_DEFAULTS.serviceSubnet,
        `must not overlap podSubnet ${net.podSubnet ?? CLUSTER_DEFAULTS.podSubnet}`,
      );
    }
  }
  if (services) checkServiceSubnetSize(errs, services, net.serviceSubnet ?? CLUSTER_DEFAULTS.serviceSubnet);
  if (pods) {
    const effectiveMask =
      mask ?? (pods.family === 4 ? CLUSTER_DEFAULTS.nodeCIDRMaskSize : CLUSTER_DEFAULTS.nodeCIDRMaskSizeV6);
    if (checkNodeMask(errs, maskPath, effectiveMask, pods)) {
      const count = Array.isArray(obj.nodes) ? nodes.length : CLUSTER_DEFAULTS.nodeCount;
      const room = subnetCount(pods, effectiveMask);
      if (BigInt(count) > room) {
        errs.invalid(
          "nodes",
          `${count} nodes`,
          `podSubnet has room for only ${room} node CIDRs of /${effectiveMask}`,
        );
      }
    }
  }
}

/** The node mask must be longer than the pod subnet's, leave >= 2 pod addresses, and give <= 65536 nodes. */
function checkNodeMask(errs: FieldErrors, path: string, mask: number, pods: Cidr): boolean {
  const max = pods.family === 4 ? 30 : 126;
  if (mask <= pods.prefix || mask > max) {
    errs.invalid(
      path,
      mask,
      `must be greater than the podSubnet prefix (/${pods.prefix}) and at most ${max}`,
    );
    return false;
  }
  if (mask - pods.prefix > 16) {
    errs.invalid(path, mask, `must be at most 16 bits longer than the podSubnet prefix (/${pods.prefix})`);
    return false;
  }
  return true;
}

/** Like the API server: at most 2^20 service addresses, and room for `kubernetes` (1st) and DNS (10th). */
function checkServiceSubnetSize(errs: FieldErrors, services: Cidr, text: unknown): void {
  const bits = services.family === 4 ? 32 : 128;
  const hostBits = bits - services.prefix;
  if (hostBits > 20) {
    errs.invalid("networking.serviceSubnet", text, `is too large: the prefix must be at least /${bits - 20}`);
  } else if (hostBits < 4) {
    errs.invalid(
      "networking.serviceSubnet",
      text,
      `is too small: the prefix must be at most /${bits - 4} (cluster DNS takes the 10th address)`,
    );
  }
}
