/**
 * Services: type, ports (required unless headless or ExternalName; names required and unique
 * when there are several; port+protocol and nodePort+protocol unique), targetPort, nodePort
 * only where a node port exists, clusterIP(s), session affinity, traffic policies, ExternalName.
 * The check of nodePort against the cluster's range belongs to the allocator.
 */
import {
  at,
  checkEnum,
  type FieldErrors,
  idx,
  intField,
  type Json,
  listField,
  objectField,
  stringField,
  stringListField,
} from "./field.js";
import { checkIp } from "./ip.js";
import { validateLabels } from "./labels.js";
import { checkName, validateObjectMeta } from "./metadata.js";
import { dns1123Label, dns1123Subdomain } from "./names.js";
import { validatePortNumber, validatePortNumOrName, validateProtocol } from "./ports.js";

export const SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"] as const;
const TRAFFIC_POLICIES = ["Cluster", "Local"] as const;
const MAX_AFFINITY_TIMEOUT = 86400;

export function validateService(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "Service");
  const spec = objectField(errs, "spec", obj.spec);
  if (!spec) {
    errs.required("spec");
    return;
  }
  const type = stringField(errs, "spec.type", spec.type) ?? "ClusterIP";
  checkEnum(errs, "spec.type", type, SERVICE_TYPES);
  const hasNodePorts = type === "NodePort" || type === "LoadBalancer";
  const clusterIP = stringField(errs, "spec.clusterIP", spec.clusterIP);
  validateClusterIPs(errs, spec, type, clusterIP);
  const headless = clusterIP === "None";

  const ports = listField(errs, "spec.ports", spec.ports);
  if (ports.length === 0 && type !== "ExternalName" && !headless) errs.required("spec.ports");
  const names = new Set<string>();
  const portKeys = new Set<string>();
  const nodePortKeys = new Set<string>();
  ports.forEach((p, i) => {
    const path = idx("spec.ports", i);
    const port = objectField(errs, path, p);
    if (!port) return;
    const name = stringField(errs, at(path, "name"), port.name);
    if (ports.length > 1 && !name)
      errs.required(at(path, "name"), "each port must be named when there is more than one");
    if (name) {
      checkName(errs, at(path, "name"), name, dns1123Label);
      if (names.has(name)) errs.duplicate(at(path, "name"), name);
      names.add(name);
    }
    if (port.port === undefined || port.port === null) errs.required(at(path, "port"));
    const number = validatePortNumber(errs, at(path, "port"), port.port);
    validateProtocol(errs, at(path, "protocol"), port.protocol);
    const protocol = typeof port.protocol === "string" ? port.protocol : "TCP";
    if (number !== undefined) {
      const key = `${number}/${protocol}`;
      if (portKeys.has(key)) errs.duplicate(path, { port: number, protocol });
      portKeys.add(key);
    }
    validatePortNumOrName(errs, at(path, "targetPort"), port.targetPort);
    const nodePort = intField(errs, at(path, "nodePort"), port.nodePort);
    if (nodePort !== undefined && nodePort !== 0) {
      if (!hasNodePorts) {
        errs.forbidden(at(path, "nodePort"), `may not be used when \`type\` is '${type}'`);
      } else if (validatePortNumber(errs, at(path, "nodePort"), nodePort) !== undefined) {
        const key = `${nodePort}/${protocol}`;
        if (nodePortKeys.has(key)) errs.duplicate(at(path, "nodePort"), nodePort);
        nodePortKeys.add(key);
      }
    }
  });

  validateLabels(errs, "spec.selector", spec.selector);
  validateAffinity(errs, spec);
  const etp = stringField(errs, "spec.externalTrafficPolicy", spec.externalTrafficPolicy);
  if (etp !== undefined && etp !== "") {
    if (!hasNodePorts) {
      errs.invalid(
        "spec.externalTrafficPolicy",
        etp,
        "may only be set when `type` is 'NodePort' or 'LoadBalancer'",
      );
    } else {
      checkEnum(errs, "spec.externalTrafficPolicy", etp, TRAFFIC_POLICIES);
    }
  }
  const itp = stringField(errs, "spec.internalTrafficPolicy", spec.internalTrafficPolicy);
  checkEnum(errs, "spec.internalTrafficPolicy", itp, TRAFFIC_POLICIES);
  stringListField(errs, "spec.externalIPs", spec.externalIPs).forEach((ip, i) => {
    checkIp(errs, idx("spec.externalIPs", i), ip);
  });

  const externalName = stringField(errs, "spec.externalName", spec.externalName);
  if (type === "ExternalName") {
    if (!externalName) errs.required("spec.externalName");
    else checkName(errs, "spec.externalName", externalName, (n) => dns1123Subdomain(n.replace(/\.$/, "")));
  }
}

function validateClusterIPs(
  errs: FieldErrors,
  spec: Json,
  type: string,
  clusterIP: string | undefined,
): void {
  if (type === "ExternalName") {
    if (clusterIP) errs.forbidden("spec.clusterIP", "must be empty for ExternalName services");
    return;
  }
  if (clusterIP === "None") {
    if (type === "NodePort" || type === "LoadBalancer") {
      errs.invalid("spec.clusterIP", clusterIP, `may not be set to 'None' for ${type} services`);
    }
  } else if (clusterIP) {
    checkIp(errs, "spec.clusterIP", clusterIP);
  }
  const clusterIPs = stringListField(errs, "spec.clusterIPs", spec.clusterIPs);
  if (clusterIPs.length > 2) errs.tooMany("spec.clusterIPs", clusterIPs.length, 2);
  if (clusterIPs.length > 0 && clusterIP && clusterIPs[0] !== clusterIP) {
    errs.invalid("spec.clusterIPs[0]", clusterIPs[0], "must match `clusterIP`");
  }
  clusterIPs.forEach((ip, i) => {
    if (ip !== "None" && ip !== "") checkIp(errs, idx("spec.clusterIPs", i), ip);
  });
  const families = stringListField(errs, "spec.ipFamilies", spec.ipFamilies);
  families.forEach((f, i) => {
    checkEnum(errs, idx("spec.ipFamilies", i), f, ["IPv4", "IPv6"]);
  });
  if (families.length === 2 && families[0] === families[1]) errs.duplicate("spec.ipFamilies[1]", families[1]);
  const policy = stringField(errs, "spec.ipFamilyPolicy", spec.ipFamilyPolicy);
  checkEnum(errs, "spec.ipFamilyPolicy", policy, ["SingleStack", "PreferDualStack", "RequireDualStack"]);
  if (policy === "SingleStack" && families.length > 1) {
    errs.invalid(
      "spec.ipFamilies",
      families,
      "when `ipFamilyPolicy` is 'SingleStack' there must be exactly one family",
    );
  }
}

function validateAffinity(errs: FieldErrors, spec: Json): void {
  const affinity = stringField(errs, "spec.sessionAffinity", spec.sessionAffinity);
  checkEnum(errs, "spec.sessionAffinity", affinity, ["None", "ClientIP"]);
  const cfgPath = "spec.sessionAffinityConfig";
  const cfg = objectField(errs, cfgPath, spec.sessionAffinityConfig);
  if (affinity !== "ClientIP") {
    if (cfg) errs.forbidden(cfgPath, `may not be set when \`sessionAffinity\` is '${affinity ?? "None"}'`);
    return;
  }
  const clientIP = objectField(errs, at(cfgPath, "clientIP"), cfg?.clientIP);
  const timeoutPath = at(cfgPath, "clientIP.timeoutSeconds");
  const timeout = intField(errs, timeoutPath, clientIP?.timeoutSeconds);
  if (timeout !== undefined && (timeout < 1 || timeout > MAX_AFFINITY_TIMEOUT)) {
    errs.invalid(
      timeoutPath,
      timeout,
      `must be greater than 0 and less than or equal to ${MAX_AFFINITY_TIMEOUT}`,
    );
  }
}
