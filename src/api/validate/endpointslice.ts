/**
 * EndpointSlices: an addressType, endpoints whose addresses are of that type (1..100 each, at
 * most 1000 endpoints), and ports (unique names, valid numbers and protocols).
 */
import {
  at,
  boolField,
  checkEnum,
  type FieldErrors,
  idx,
  type Json,
  listField,
  objectField,
  stringField,
  stringListField,
} from "./field.js";
import { checkIp } from "./ip.js";
import { checkName, validateObjectMeta } from "./metadata.js";
import { dns1123Label, dns1123Subdomain } from "./names.js";
import { validatePortNumber, validateProtocol } from "./ports.js";

export const ADDRESS_TYPES = ["IPv4", "IPv6", "FQDN"] as const;
const MAX_ENDPOINTS = 1000;
const MAX_ADDRESSES = 100;
const MAX_PORTS = 100;

export function validateEndpointSlice(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "EndpointSlice");
  const addressType = stringField(errs, "addressType", obj.addressType);
  if (!addressType) errs.required("addressType");
  else checkEnum(errs, "addressType", addressType, ADDRESS_TYPES);

  const endpoints = listField(errs, "endpoints", obj.endpoints);
  if (endpoints.length > MAX_ENDPOINTS) errs.tooMany("endpoints", endpoints.length, MAX_ENDPOINTS);
  endpoints.forEach((e, i) => {
    const path = idx("endpoints", i);
    const ep = objectField(errs, path, e);
    if (!ep) return;
    const addrPath = at(path, "addresses");
    const addresses = stringListField(errs, addrPath, ep.addresses);
    if (addresses.length === 0) errs.required(addrPath, "must contain at least 1 address");
    if (addresses.length > MAX_ADDRESSES) errs.tooMany(addrPath, addresses.length, MAX_ADDRESSES);
    addresses.forEach((a, j) => {
      validateAddress(errs, idx(addrPath, j), a, addressType);
    });
    const conditions = objectField(errs, at(path, "conditions"), ep.conditions);
    for (const c of ["ready", "serving", "terminating"] as const) {
      boolField(errs, at(path, `conditions.${c}`), conditions?.[c]);
    }
    const hostname = stringField(errs, at(path, "hostname"), ep.hostname);
    if (hostname) checkName(errs, at(path, "hostname"), hostname, dns1123Label);
    const nodeName = stringField(errs, at(path, "nodeName"), ep.nodeName);
    if (nodeName) checkName(errs, at(path, "nodeName"), nodeName, dns1123Subdomain);
  });

  const ports = listField(errs, "ports", obj.ports);
  if (ports.length > MAX_PORTS) errs.tooMany("ports", ports.length, MAX_PORTS);
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const path = idx("ports", i);
    const port = objectField(errs, path, p);
    if (!port) return;
    const name = stringField(errs, at(path, "name"), port.name) ?? "";
    if (name !== "") checkName(errs, at(path, "name"), name, dns1123Label);
    if (names.has(name)) errs.duplicate(at(path, "name"), name);
    names.add(name);
    validatePortNumber(errs, at(path, "port"), port.port);
    validateProtocol(errs, at(path, "protocol"), port.protocol);
    stringField(errs, at(path, "appProtocol"), port.appProtocol);
  });
}

function validateAddress(errs: FieldErrors, path: string, address: string, type: string | undefined): void {
  if (type === "FQDN") {
    checkName(errs, path, address, dns1123Subdomain);
    return;
  }
  if (type !== "IPv4" && type !== "IPv6") return;
  const ip = checkIp(errs, path, address);
  if (ip && `IPv${ip.family}` !== type) errs.invalid(path, address, `must be an ${type} address`);
}
