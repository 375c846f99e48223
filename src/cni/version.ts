/**
 * CNI spec versions: which ones flatnet speaks, how they compare, and what each one allows.
 * The result format changed between 0.4.0 (ips carry "version") and 1.0.0; STATUS and GC exist
 * from 1.1.0; CHECK from 0.4.0. Everything version-dependent asks this file.
 */
import { CniCode, CniError } from "./errors.js";

/** Versions accepted in a network config (and listed by VERSION). */
export const SUPPORTED_VERSIONS = ["0.4.0", "1.0.0", "1.1.0"] as const;
export const LATEST_VERSION = "1.1.0";

/** Compare dotted versions numerically ("0.4.0" < "1.0.0" < "1.1.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function isVersionString(v: unknown): v is string {
  return typeof v === "string" && /^[0-9]+\.[0-9]+\.[0-9]+$/.test(v);
}

/** Throws the spec's code 1 when a config's cniVersion is not one flatnet speaks. */
export function requireSupported(version: string): void {
  if (!(SUPPORTED_VERSIONS as readonly string[]).includes(version)) {
    throw new CniError(
      CniCode.IncompatibleVersion,
      `incompatible CNI version: config is "${version}", flatnet supports ${SUPPORTED_VERSIONS.join(", ")}`,
    );
  }
}

/** True for the 1.x result format (no per-IP "version" field). */
export function usesV1Results(version: string): boolean {
  return compareVersions(version, "1.0.0") >= 0;
}

/** The highest version in both lists, or undefined when they share none. */
export function highestCommon(ours: readonly string[], theirs: readonly string[]): string | undefined {
  return ours
    .filter((v) => theirs.includes(v))
    .sort(compareVersions)
    .at(-1);
}

/** Commands and the first spec version that defines them. */
const COMMAND_SINCE: Record<string, string> = {
  ADD: "0.1.0",
  DEL: "0.1.0",
  VERSION: "0.1.0",
  CHECK: "0.4.0",
  STATUS: "1.1.0",
  GC: "1.1.0",
};

/** Throws code 1 when the command does not exist at the config's version (e.g. GC at 0.4.0). */
export function requireCommandAtVersion(command: string, version: string): void {
  const since = COMMAND_SINCE[command];
  if (since && compareVersions(version, since) < 0) {
    throw new CniError(
      CniCode.IncompatibleVersion,
      `${command} is defined from CNI spec ${since}; the config's cniVersion is "${version}"`,
    );
  }
}

/** The answer to VERSION. */
export function versionInfo(): { cniVersion: string; supportedVersions: string[] } {
  return { cniVersion: LATEST_VERSION, supportedVersions: [...SUPPORTED_VERSIONS] };
}
