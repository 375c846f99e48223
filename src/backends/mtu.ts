/**
 * MTU checks shared by the backends. The pod MTU itself is podMTU() in index.ts.
 */
import { UserError } from "../util/errors.js";

/** IPv4's minimum MTU: every link must carry 68-byte packets unfragmented (RFC 791). */
export const MIN_IPV4_MTU = 68;
/** Largest MTU a Linux veth or bridge accepts. */
export const MAX_LINK_MTU = 65535;

export function checkUnderlayMTU(backend: string, underlayMTU: number, overhead: number): void {
  const min = MIN_IPV4_MTU + overhead;
  if (!Number.isInteger(underlayMTU) || underlayMTU < min || underlayMTU > MAX_LINK_MTU) {
    throw new UserError(
      `${backend}: underlay MTU ${underlayMTU} is out of range ${min}-${MAX_LINK_MTU} (pods need at least ${MIN_IPV4_MTU} after ${overhead} bytes of encapsulation)`,
      "set the underlay MTU to a whole number like 1500",
    );
  }
}
