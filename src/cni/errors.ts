/**
 * CNI errors as the spec defines them: a numeric code, a one-line `msg` naming the cause and
 * an optional `details`. Codes 1-99 are the spec's own; 100+ are flatnet's, listed here so the
 * README and runtimes' logs can be matched against one table. Anything thrown inside the
 * plugin is turned into one of these before it reaches stdout, so a runtime never sees a
 * stack trace or a non-JSON answer.
 */

export const CniCode = {
  /** The config's cniVersion is not one this plugin speaks. */
  IncompatibleVersion: 1,
  /** A config field is set to a value this plugin does not implement (e.g. ipMasq). */
  UnsupportedField: 2,
  /** The container (its network namespace) does not exist; nothing to clean up. */
  UnknownContainer: 3,
  /** A CNI_* environment variable is missing or malformed. */
  InvalidEnv: 4,
  /** Reading stdin, files or the IPAM store failed. */
  IoFailure: 5,
  /** The config on stdin is not JSON (or not an object). */
  DecodingFailure: 6,
  /** The config is JSON but wrong: missing field, bad CIDR, unknown IPAM plugin. */
  InvalidConfig: 7,
  /** A transient condition (e.g. the resident agent went away mid-request): retry. */
  TryAgainLater: 11,
  /** STATUS: the plugin cannot serve ADDs (e.g. no free addresses). */
  PluginNotAvailable: 50,
  /** STATUS: not available, and existing pods have limited connectivity. */
  PluginNotAvailableLimited: 51,
  // flatnet's own codes
  /** The kernel refused a change (the failing `ip` line and its error are in msg/details). */
  KernelFailure: 100,
  /** ADD: the interface already exists in the container (or its host-side veth does). */
  InterfaceExists: 101,
  /** ADD: every address of the range is taken. */
  IpamExhausted: 102,
  /** CHECK: the container's network differs from what ADD made. */
  CheckFailed: 103,
} as const;

export type CniCodeValue = (typeof CniCode)[keyof typeof CniCode];

export class CniError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly details?: string,
  ) {
    super(message);
    this.name = "CniError";
  }
}

/** The spec's error object, printed on stdout with a non-zero exit status. */
export interface CniErrorJson {
  cniVersion: string;
  code: number;
  msg: string;
  details?: string;
}

export function errorJson(err: CniError, cniVersion: string): CniErrorJson {
  const out: CniErrorJson = { cniVersion, code: err.code, msg: err.message };
  if (err.details) out.details = err.details;
  return out;
}
