/**
 * Names of everything a lab makes, derived from the lab name alone, so that `down` can find
 * and remove all of it even when the lab daemon died without a word (SIGKILL, crash).
 *
 * Namespaces: `flatnet-<lab>_<role>[-<name>]`. The underscore cannot occur in a lab name (a
 * DNS label), so lab "a" never claims the namespaces of lab "a-b".
 * Interface names must fit IFNAMSIZ (15 characters): per-node and per-pod names are hashed.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { UserError } from "../util/errors.js";

export const NETNS_PREFIX = "flatnet-";
const LAB_NAME = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;

export function validateLabName(name: string): string {
  if (!LAB_NAME.test(name)) {
    throw new UserError(
      `invalid lab name "${name}": must be 1-20 lowercase letters, digits or '-', starting and ending with a letter or digit`,
    );
  }
  return name;
}

export function shortHash(text: string, len = 8): string {
  return createHash("sha256").update(text).digest("hex").slice(0, len);
}

export class LabNames {
  constructor(readonly lab: string) {
    validateLabName(lab);
  }

  /** Prefix shared by every namespace of this lab (and of no other lab). */
  get netnsPrefix(): string {
    return `${NETNS_PREFIX}${this.lab}_`;
  }
  get underlayNetns(): string {
    return `${this.netnsPrefix}underlay`;
  }
  get externalNetns(): string {
    return `${this.netnsPrefix}external`;
  }
  nodeNetns(node: string): string {
    return `${this.netnsPrefix}node-${node}`;
  }
  podNetns(namespace: string, pod: string): string {
    const full = `${this.netnsPrefix}pod-${namespace}.${pod}`;
    // File names are limited to 255 bytes; Kubernetes names can be 253 each.
    return full.length <= 200 ? full : `${full.slice(0, 180)}-${shortHash(full, 12)}`;
  }
  /** The underlay-side end of a node's (or the external client's) eth0 veth. */
  underlayPort(member: string): string {
    return `ul${shortHash(member, 8)}`;
  }
}

/** Root of all on-disk lab state; FLATNET_STATE_DIR overrides it (tests). */
export function stateRoot(): string {
  return process.env.FLATNET_STATE_DIR ?? "/run/flatnet";
}

export function labDir(lab: string): string {
  return join(stateRoot(), "labs", lab);
}

export interface LabPaths {
  dir: string;
  socket: string;
  pidFile: string;
  log: string;
  nodeDir(node: string): string;
  cniConfDir(node: string): string;
  cniSocket(node: string): string;
  ipamDir(node: string): string;
  podLogs(namespace: string, pod: string): string;
}

export function labPaths(lab: string): LabPaths {
  const dir = labDir(lab);
  const nodeDir = (node: string) => join(dir, "nodes", node);
  return {
    dir,
    socket: join(dir, "api.sock"),
    pidFile: join(dir, "daemon.pid"),
    log: join(dir, "daemon.log"),
    nodeDir,
    cniConfDir: (node) => join(nodeDir(node), "net.d"),
    cniSocket: (node) => join(nodeDir(node), "cni.sock"),
    ipamDir: (node) => join(nodeDir(node), "ipam"),
    podLogs: (namespace, pod) => join(dir, "logs", namespace, pod),
  };
}
