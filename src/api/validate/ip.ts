/**
 * IP and CIDR checks for validation, on top of flatnet's one CIDR parser (src/ipam/cidr.ts),
 * so the API and the allocators agree on what an address is.
 */
import { type Cidr, type IpAddress, parseCidr, parseIp } from "../../ipam/cidr.js";
import type { FieldErrors } from "./field.js";

/** Parse an IP address, reporting a bad one at `path`. */
export function checkIp(errs: FieldErrors, path: string, text: string): IpAddress | undefined {
  try {
    return parseIp(text);
  } catch (err) {
    errs.invalid(path, text, `must be a valid IP address (e.g. 10.9.8.7 or 2001:db8::ffff): ${reason(err)}`);
    return undefined;
  }
}

/** Parse a CIDR, reporting a bad one at `path`. Strict mode also rejects host bits. */
export function checkCidr(
  errs: FieldErrors,
  path: string,
  text: string,
  opts: { strict?: boolean } = {},
): Cidr | undefined {
  try {
    return parseCidr(text, opts);
  } catch (err) {
    errs.invalid(path, text, `must be a valid CIDR (e.g. 10.244.0.0/16 or fd00::/64): ${reason(err)}`);
    return undefined;
  }
}

/** Whether the text parses as an IP address. */
export function looksLikeIp(text: string): boolean {
  try {
    parseIp(text);
    return true;
  } catch {
    return false;
  }
}

/** The parser's explanation without the repeated value ("octet "300" is greater than 255"). */
function reason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const cut = msg.indexOf('": ');
  return cut >= 0 ? msg.slice(cut + 3) : msg;
}
