/**
 * Port numbers, named ports and protocols, as used by Pods, Services, EndpointSlices,
 * NetworkPolicies, Ingresses and probes.
 */
import { checkEnum, type FieldErrors, stringField } from "./field.js";
import { ianaServiceName } from "./names.js";

export const PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;

/** A required-or-optional port number in 1..65535 (absent is fine; callers check presence). */
export function validatePortNumber(errs: FieldErrors, path: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v)) {
    errs.invalid(path, v, "must be an integer between 1 and 65535, inclusive");
    return undefined;
  }
  if (v < 1 || v > 65535) {
    errs.invalid(path, v, "must be between 1 and 65535, inclusive");
    return undefined;
  }
  return v;
}

/** An IANA_SVC_NAME port name. */
export function validatePortName(errs: FieldErrors, path: string, name: string): void {
  const problems = ianaServiceName(name);
  if (problems.length) errs.invalid(path, name, problems.join("; "));
}

/** An IntOrString port: a number 1..65535 or an IANA_SVC_NAME (digits in quotes are a name). */
export function validatePortNumOrName(errs: FieldErrors, path: string, v: unknown): void {
  if (v === undefined || v === null) return;
  if (typeof v === "string" && /^[0-9]+$/.test(v)) {
    errs.invalid(
      path,
      v,
      "must contain at least one letter (a-z): a quoted number is a port name; write it unquoted for a port number",
    );
  } else if (typeof v === "string") {
    validatePortName(errs, path, v);
  } else {
    validatePortNumber(errs, path, v);
  }
}

/** A protocol field: TCP, UDP or SCTP (absent is fine after defaulting). */
export function validateProtocol(errs: FieldErrors, path: string, v: unknown): void {
  checkEnum(errs, path, stringField(errs, path, v), PROTOCOLS);
}
