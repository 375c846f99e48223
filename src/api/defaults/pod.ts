/**
 * Pod spec defaults as the API server applies them (also to Deployment pod templates): restart
 * and DNS policy, scheduler, grace period, per-container pull policy and termination message,
 * port protocol (and hostPort = containerPort on the host network), and probe timings.
 * Functions mutate the fresh copy they are given; shapes that are wrong are left for validation.
 */
import { isRecord, type Json } from "../validate/field.js";

const PROBE_DEFAULTS = { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 };

function setDefault(obj: Json, key: string, value: unknown): void {
  if (obj[key] === undefined || obj[key] === null || obj[key] === "") obj[key] = value;
}

export function defaultPodSpec(spec: Json): void {
  setDefault(spec, "restartPolicy", "Always");
  setDefault(spec, "dnsPolicy", "ClusterFirst");
  setDefault(spec, "schedulerName", "default-scheduler");
  setDefault(spec, "terminationGracePeriodSeconds", 30);
  setDefault(spec, "enableServiceLinks", true);
  setDefault(spec, "securityContext", {});
  const hostNetwork = spec.hostNetwork === true;
  for (const field of ["initContainers", "containers"]) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    for (const c of list) if (isRecord(c)) defaultContainer(c, hostNetwork);
  }
}

function defaultContainer(c: Json, hostNetwork: boolean): void {
  if (typeof c.image === "string") setDefault(c, "imagePullPolicy", pullPolicyFor(c.image));
  setDefault(c, "terminationMessagePath", "/dev/termination-log");
  setDefault(c, "terminationMessagePolicy", "File");
  if (Array.isArray(c.ports)) {
    for (const p of c.ports) {
      if (!isRecord(p)) continue;
      setDefault(p, "protocol", "TCP");
      if (hostNetwork && (p.hostPort === undefined || p.hostPort === 0)) p.hostPort = p.containerPort;
    }
  }
  for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
    if (isRecord(c[probe])) defaultProbe(c[probe]);
  }
}

/** `Always` for `:latest` or untagged images, `IfNotPresent` otherwise (digests included). */
export function pullPolicyFor(image: string): string {
  if (image.includes("@")) return "IfNotPresent";
  const lastSegment = image.slice(image.lastIndexOf("/") + 1);
  const colon = lastSegment.lastIndexOf(":");
  const tag = colon >= 0 ? lastSegment.slice(colon + 1) : "";
  return tag === "" || tag === "latest" ? "Always" : "IfNotPresent";
}

function defaultProbe(probe: Json): void {
  for (const [key, value] of Object.entries(PROBE_DEFAULTS)) setDefault(probe, key, value);
  if (isRecord(probe.httpGet)) {
    setDefault(probe.httpGet, "path", "/");
    setDefault(probe.httpGet, "scheme", "HTTP");
  }
}
