/**
 * Secrets and ConfigMaps: data keys, base64 data values, and the keys a typed Secret must
 * carry (kubernetes.io/tls needs tls.crt and tls.key). Defaulting has already merged
 * stringData into data, so the checks see what the API server would store.
 */
import { type FieldErrors, idx, type Json, stringField, stringMapField } from "./field.js";
import { validateObjectMeta } from "./metadata.js";
import { configMapKey } from "./names.js";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const REQUIRED_KEYS: Record<string, string[]> = {
  "kubernetes.io/tls": ["tls.crt", "tls.key"],
  "kubernetes.io/basic-auth": [],
  "kubernetes.io/ssh-auth": ["ssh-privatekey"],
  "kubernetes.io/dockerconfigjson": [".dockerconfigjson"],
};

function validateKeys(errs: FieldErrors, path: string, map: Record<string, string>): void {
  for (const key of Object.keys(map)) {
    const problems = configMapKey(key);
    if (problems.length) errs.invalid(path, key, `a data key ${problems.join("; ")}`);
  }
}

export function validateSecret(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "Secret");
  const data = stringMapField(errs, "data", obj.data);
  validateKeys(errs, "data", data);
  // Left in place by defaulting only when it could not be merged (a value is not a string).
  stringMapField(errs, "stringData", obj.stringData);
  for (const [key, value] of Object.entries(data)) {
    if (!BASE64.test(value.replace(/\s+/g, ""))) {
      errs.invalid(
        idx("data", key),
        `${value.slice(0, 16)}${value.length > 16 ? "..." : ""}`,
        "must be base64 encoded (or use stringData for plain text)",
      );
    }
  }
  const type = stringField(errs, "type", obj.type) ?? "Opaque";
  for (const key of REQUIRED_KEYS[type] ?? []) {
    if (!(key in data)) errs.required(idx("data", key), `a Secret of type '${type}' must contain '${key}'`);
  }
  if (type === "kubernetes.io/basic-auth" && !("username" in data) && !("password" in data)) {
    errs.required("data[username]", "a basic-auth Secret must contain 'username' or 'password'");
  }
}

export function validateConfigMap(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "ConfigMap");
  const data = stringMapField(errs, "data", obj.data);
  validateKeys(errs, "data", data);
  const binary = stringMapField(errs, "binaryData", obj.binaryData);
  validateKeys(errs, "binaryData", binary);
  for (const key of Object.keys(binary)) {
    if (key in data) errs.duplicate(idx("binaryData", key), key, "the key is also in data");
  }
}
