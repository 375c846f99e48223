/**
 * Names as the Deployment controller makes them. A ReplicaSet is `<deployment>-<hash>` where
 * the hash is FNV-1a (32 bit) of the pod template (plus the Deployment's collisionCount)
 * whose decimal digits are written in Kubernetes' "safe" alphabet, which avoids vowels and
 * look-alike characters (so names never spell words). The template is hashed as canonical
 * JSON (keys sorted), so the same template always gives the same hash however it is written.
 */
import { createHash } from "node:crypto";

export const SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET;
  for (const byte of Buffer.from(text, "utf8")) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash >>> 0;
}

/** Each character becomes the alphabet letter at (char code mod alphabet length). */
export function safeEncode(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) out += SAFE_ALPHABET[text.charCodeAt(i) % SAFE_ALPHABET.length];
  return out;
}

/** JSON with object keys sorted at every level. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The `pod-template-hash` of a pod template (up to 10 characters of the safe alphabet). */
export function podTemplateHash(template: unknown, collisionCount?: number): string {
  const input = canonicalJson(template) + (collisionCount ? `#${collisionCount}` : "");
  return safeEncode(String(fnv1a32(input)));
}

/**
 * A 5-character pod name suffix. The real controller picks it at random; flatnet derives it
 * from the ReplicaSet name, the replica's index and an attempt counter (bumped on a clash
 * within one ReplicaSet), so re-applying a Deployment gives its pods the same names again.
 */
export function podNameSuffix(replicaSetName: string, index: number, attempt = 0): string {
  let n = fnv1a32(`${replicaSetName}/${index}/${attempt}`);
  let out = "";
  for (let i = 0; i < 5; i++) {
    out += SAFE_ALPHABET[n % SAFE_ALPHABET.length];
    n = Math.floor(n / SAFE_ALPHABET.length);
  }
  return out;
}

/** A stable UUID-shaped uid for a generated object (the API server would assign a random one). */
export function stableUid(key: string): string {
  const h = createHash("sha1").update(key).digest("hex");
  const variant = ((Number.parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
