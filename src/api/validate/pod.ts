/**
 * Pod specs (also the pod template of a Deployment): containers, their ports and probes,
 * restart and DNS policy, dnsConfig, host networking and the names the pod takes on.
 */
import {
  at,
  boolField,
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
import { checkIp } from "./ip.js";
import { validateLabels } from "./labels.js";
import { checkName, validateObjectMeta } from "./metadata.js";
import { dns1123Label, dns1123Subdomain } from "./names.js";
import { validatePortName, validatePortNumber, validateProtocol } from "./ports.js";
import { type ProbeKind, validateProbe } from "./probe.js";

export const DNS_POLICIES = ["ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"] as const;
export const RESTART_POLICIES = ["Always", "OnFailure", "Never"] as const;
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;
const PROBES: ProbeKind[] = ["readinessProbe", "livenessProbe", "startupProbe"];

export function validatePod(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "Pod");
  if (obj.spec === undefined || obj.spec === null) errs.required("spec");
  else validatePodSpec(errs, "spec", obj.spec);
}

/** Shared state while walking one pod's containers: names and ports must be unique pod-wide. */
interface PodScope {
  containerNames: Set<string>;
  portNames: Set<string>;
  hostPorts: Set<string>;
  hostNetwork: boolean;
}

export function validatePodSpec(errs: FieldErrors, path: string, v: unknown): void {
  const spec = objectField(errs, path, v);
  if (!spec) return;
  const hostNetwork = boolField(errs, at(path, "hostNetwork"), spec.hostNetwork) ?? false;
  const scope: PodScope = {
    containerNames: new Set(),
    portNames: new Set(),
    hostPorts: new Set(),
    hostNetwork,
  };
  const containers = listField(errs, at(path, "containers"), spec.containers);
  if (containers.length === 0) errs.required(at(path, "containers"), "a pod needs at least one container");
  for (const field of ["initContainers", "containers"] as const) {
    const listPath = at(path, field);
    const list = field === "containers" ? containers : listField(errs, listPath, spec.initContainers);
    list.forEach((c, i) => {
      validateContainer(errs, idx(listPath, i), c, scope);
    });
  }
  const restart = stringField(errs, at(path, "restartPolicy"), spec.restartPolicy);
  checkEnum(errs, at(path, "restartPolicy"), restart, RESTART_POLICIES);
  validateDns(errs, path, spec);
  for (const field of ["hostname", "subdomain"] as const) {
    const value = stringField(errs, at(path, field), spec[field]);
    if (value) checkName(errs, at(path, field), value, dns1123Label);
  }
  const nodeName = stringField(errs, at(path, "nodeName"), spec.nodeName);
  if (nodeName) checkName(errs, at(path, "nodeName"), nodeName, dns1123Subdomain);
  validateLabels(errs, at(path, "nodeSelector"), spec.nodeSelector);
  const grace = intField(errs, at(path, "terminationGracePeriodSeconds"), spec.terminationGracePeriodSeconds);
  if (grace !== undefined && grace < 0) {
    errs.invalid(at(path, "terminationGracePeriodSeconds"), grace, "must be greater than or equal to 0");
  }
}

function validateContainer(errs: FieldErrors, path: string, v: unknown, scope: PodScope): void {
  const c = objectField(errs, path, v);
  if (!c) return;
  const name = stringField(errs, at(path, "name"), c.name);
  if (!name) errs.required(at(path, "name"));
  else if (checkName(errs, at(path, "name"), name, dns1123Label)) {
    if (scope.containerNames.has(name)) errs.duplicate(at(path, "name"), name);
    scope.containerNames.add(name);
  }
  const image = stringField(errs, at(path, "image"), c.image);
  if (!image || image.trim() === "") errs.required(at(path, "image"));
  stringListField(errs, at(path, "command"), c.command);
  stringListField(errs, at(path, "args"), c.args);
  listField(errs, at(path, "env"), c.env).forEach((e, i) => {
    const envPath = idx(at(path, "env"), i);
    const env = objectField(errs, envPath, e);
    if (env && !stringField(errs, at(envPath, "name"), env.name)) errs.required(at(envPath, "name"));
  });
  const portsPath = at(path, "ports");
  listField(errs, portsPath, c.ports).forEach((p, i) => {
    validateContainerPort(errs, idx(portsPath, i), p, scope);
  });
  for (const probe of PROBES) validateProbe(errs, at(path, probe), c[probe], probe);
}

function validateContainerPort(errs: FieldErrors, path: string, v: unknown, scope: PodScope): void {
  const port = objectField(errs, path, v);
  if (!port) return;
  const cpPath = at(path, "containerPort");
  if (port.containerPort === undefined || port.containerPort === null) errs.required(cpPath);
  const containerPort = validatePortNumber(errs, cpPath, port.containerPort);
  const name = stringField(errs, at(path, "name"), port.name);
  if (name) {
    validatePortName(errs, at(path, "name"), name);
    if (scope.portNames.has(name)) errs.duplicate(at(path, "name"), name);
    scope.portNames.add(name);
  }
  validateProtocol(errs, at(path, "protocol"), port.protocol);
  const hostPort = intField(errs, at(path, "hostPort"), port.hostPort);
  checkRange(errs, at(path, "hostPort"), hostPort, 0, 65535);
  const hostIP = stringField(errs, at(path, "hostIP"), port.hostIP);
  if (hostIP) checkIp(errs, at(path, "hostIP"), hostIP);
  if (scope.hostNetwork && hostPort && containerPort !== undefined && hostPort !== containerPort) {
    errs.invalid(at(path, "hostPort"), hostPort, "must match containerPort when hostNetwork is true");
  }
  if (hostPort) {
    const key = `${hostIP ?? ""}/${hostPort}/${port.protocol ?? "TCP"}`;
    if (scope.hostPorts.has(key))
      errs.duplicate(at(path, "hostPort"), hostPort, "another container port uses it");
    scope.hostPorts.add(key);
  }
}

function validateDns(errs: FieldErrors, path: string, spec: Json): void {
  const policy = stringField(errs, at(path, "dnsPolicy"), spec.dnsPolicy);
  checkEnum(errs, at(path, "dnsPolicy"), policy, DNS_POLICIES);
  const cfgPath = at(path, "dnsConfig");
  const cfg = objectField(errs, cfgPath, spec.dnsConfig);
  if (policy === "None" && !cfg) errs.required(cfgPath, "must provide dnsConfig when dnsPolicy is None");
  if (!cfg) return;
  const nsPath = at(cfgPath, "nameservers");
  const nameservers = stringListField(errs, nsPath, cfg.nameservers);
  if (nameservers.length > MAX_NAMESERVERS) {
    errs.invalid(nsPath, nameservers, `must not have more than ${MAX_NAMESERVERS} nameservers`);
  }
  nameservers.forEach((ns, i) => {
    checkIp(errs, idx(nsPath, i), ns);
  });
  if (policy === "None" && nameservers.length === 0) {
    errs.required(nsPath, "must provide at least one DNS nameserver when dnsPolicy is None");
  }
  const searchPath = at(cfgPath, "searches");
  const searches = stringListField(errs, searchPath, cfg.searches);
  if (searches.length > MAX_SEARCHES) {
    errs.invalid(searchPath, searches, `must not have more than ${MAX_SEARCHES} search paths`);
  }
  const chars = searches.join(" ").length;
  if (chars > MAX_SEARCH_CHARS) {
    errs.invalid(searchPath, searches, `must not have more than ${MAX_SEARCH_CHARS} characters in total`);
  }
  const searchDomain = (s: string) => dns1123Subdomain(s.endsWith(".") ? s.slice(0, -1) : s);
  searches.forEach((s, i) => {
    checkName(errs, idx(searchPath, i), s, searchDomain);
  });
  const optsPath = at(cfgPath, "options");
  listField(errs, optsPath, cfg.options).forEach((o, i) => {
    const opt = objectField(errs, idx(optsPath, i), o);
    if (opt && !stringField(errs, at(idx(optsPath, i), "name"), opt.name))
      errs.required(at(idx(optsPath, i), "name"));
  });
}
