/**
 * TLS material for the proxy: Secrets -> TLS contexts, and the default certificate.
 *
 * A Secret serves TLS when it holds `tls.crt` (PEM certificate, chain allowed) and `tls.key`
 * (PEM private key) that parse and belong together; anything else is reported with the reason
 * and its hosts get the default certificate instead. Contexts are cached per Secret uid and
 * resourceVersion, so a configuration rebuild reuses them and only changed Secrets are parsed.
 *
 * The default certificate is self-signed and generated at start with the `openssl` CLI
 * (node:crypto can check certificates but not make them), EC P-256 so it takes milliseconds.
 */
import { execFile } from "node:child_process";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { promisify } from "node:util";
import type { KObject } from "../cluster/types.js";
import { errorMessage } from "../util/errors.js";

export interface PemPair {
  cert: string;
  key: string;
}

export type CertResult =
  | { ok: true; context: tls.SecureContext; cert: X509Certificate; warnings: string[] }
  | { ok: false; error: string };

function field(secret: KObject, key: string): string | undefined {
  const v = (secret.data as Record<string, string> | undefined)?.[key];
  return v === undefined ? undefined : Buffer.from(v, "base64").toString("utf8");
}

/** Check a PEM pair and make its TLS context; `hosts` are checked against the certificate. */
export function loadCert(pem: PemPair, hosts: readonly string[] = [], now = new Date()): CertResult {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem.cert);
  } catch (err) {
    return { ok: false, error: `tls.crt is not a PEM certificate (${errorMessage(err)})` };
  }
  let key: ReturnType<typeof createPrivateKey>;
  try {
    key = createPrivateKey(pem.key);
  } catch (err) {
    return { ok: false, error: `tls.key is not a PEM private key (${errorMessage(err)})` };
  }
  if (!cert.checkPrivateKey(key)) return { ok: false, error: "tls.key does not belong to tls.crt" };
  let context: tls.SecureContext;
  try {
    context = tls.createSecureContext({ cert: pem.cert, key: pem.key });
  } catch (err) {
    return { ok: false, error: `unusable certificate: ${errorMessage(err)}` };
  }
  const warnings: string[] = [];
  if (new Date(cert.validTo) < now) warnings.push(`the certificate expired on ${cert.validTo}`);
  if (new Date(cert.validFrom) > now) warnings.push(`the certificate is not valid before ${cert.validFrom}`);
  for (const h of hosts) {
    // checkHost understands wildcard SANs; for a wildcard rule host check one covered name.
    const probe = h.startsWith("*.") ? `flatnet-probe${h.slice(1)}` : h;
    if (!cert.checkHost(probe)) warnings.push(`the certificate does not cover host ${h}`);
  }
  return { ok: true, context, cert, warnings };
}

export function loadSecretCert(secret: KObject, hosts: readonly string[] = []): CertResult {
  const cert = field(secret, "tls.crt");
  const key = field(secret, "tls.key");
  if (cert === undefined || key === undefined)
    return { ok: false, error: "a TLS Secret needs data keys tls.crt and tls.key" };
  return loadCert({ cert, key }, hosts);
}

/** Parsed Secrets by uid+resourceVersion (+hosts, which change the warnings). */
export class CertCache {
  private entries = new Map<string, CertResult>();

  get(secret: KObject, hosts: readonly string[]): CertResult {
    const id = this.idOf(secret, hosts);
    let r = this.entries.get(id);
    if (!r) {
      r = loadSecretCert(secret, hosts);
      this.entries.set(id, r);
    }
    return r;
  }

  /** Forget entries not used since the last call (call after each rebuild). */
  keepOnly(used: Set<string>): void {
    for (const id of this.entries.keys()) if (!used.has(id)) this.entries.delete(id);
  }

  idOf(secret: KObject, hosts: readonly string[]): string {
    return `${secret.metadata.uid ?? secret.metadata.name}/${secret.metadata.resourceVersion ?? ""}/${hosts.join(",")}`;
  }
}

/** A self-signed certificate for `commonName` (and the SANs), made by openssl. */
export async function selfSignedCert(
  commonName: string,
  altNames: readonly string[] = [],
  days = 3650,
): Promise<PemPair> {
  const dir = mkdtempSync(join(tmpdir(), "flatnet-ingress-cert-"));
  try {
    const san = altNames.length
      ? ["-addext", `subjectAltName=${altNames.map((n) => `DNS:${n}`).join(",")}`]
      : [];
    await promisify(execFile)(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        String(days),
        "-subj",
        `/O=flatnet/CN=${commonName}`,
        ...san,
        "-keyout",
        join(dir, "tls.key"),
        "-out",
        join(dir, "tls.crt"),
      ],
      { timeout: 30_000 },
    );
    return {
      cert: readFileSync(join(dir, "tls.crt"), "utf8"),
      key: readFileSync(join(dir, "tls.key"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
