/**
 * TLS termination in the ingress proxy on 127.0.0.1: the certificate is chosen by SNI from
 * `kubernetes.io/tls` Secrets (exact hosts, a wildcard certificate, several Ingresses), the
 * default self-signed certificate answers everything else, an invalid Secret is reported and
 * its host falls back to the default, and a rotated Secret serves new handshakes while an
 * open keep-alive TLS connection keeps working. curl verifies against each Secret's
 * certificate (`--cacert`), so a wrong choice fails the handshake.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import tls from "node:tls";
import { type PemPair, selfSignedCert } from "../../src/ingress/certs.js";
import { ing, rule } from "../../src/ingress/testdata.js";
import { Backends, curl, IngressRig, podOf, service, slice, tlsSecret } from "./ingress-fixture.js";

/** The subject CN of the certificate served for a server name. */
function servedCN(port: number, servername: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect(
      { host: "127.0.0.1", port, rejectUnauthorized: false, ...(servername ? { servername } : {}) },
      () => {
        const cn = s.getPeerCertificate().subject?.CN ?? "";
        s.destroy();
        resolve(Array.isArray(cn) ? cn.join(",") : cn);
      },
    );
    s.on("error", reject);
  });
}

describe("ingress proxy: TLS with SNI from Secrets (127.0.0.1)", { timeout: 120_000 }, () => {
  const backends = new Backends();
  const rig = new IngressRig();
  const dir = mkdtempSync(join(tmpdir(), "flatnet-t-ingress-tls-"));
  const certs: Record<string, PemPair> = {};
  const caFile = (name: string) => join(dir, `${name}.crt`);

  before(async () => {
    certs.shop = await selfSignedCert("shop.example", ["shop.example", "www.shop.example"]);
    certs.apps = await selfSignedCert("wildcard.apps.example", ["*.apps.example"]);
    certs.admin = await selfSignedCert("admin.apps.example", ["admin.apps.example"]);
    certs.rotated = await selfSignedCert("shop.example rotated", ["shop.example", "www.shop.example"]);
    for (const [name, pem] of Object.entries(certs)) writeFileSync(caFile(name), pem.cert);
    await backends.start(2);
    await rig.start();
    const broken = tlsSecret("web", "broken", { cert: "not a certificate", key: certs.shop!.key });
    const mismatched = tlsSecret("web", "mismatched", { cert: certs.shop!.cert, key: certs.apps!.key });
    await rig.apply(
      service("web", "front"),
      slice("web", "front", backends.port, ["127.0.0.2"]),
      service("ops", "front"),
      slice("ops", "front", backends.port, ["127.0.0.2"]),
      tlsSecret("web", "shop-tls", certs.shop!),
      tlsSecret("web", "apps-tls", certs.apps!),
      tlsSecret("ops", "admin-tls", certs.admin!),
      broken,
      mismatched,
      ing(
        "shop",
        {
          ingressClassName: "flatnet",
          tls: [
            { hosts: ["shop.example", "www.shop.example"], secretName: "shop-tls" },
            { hosts: ["*.apps.example"], secretName: "apps-tls" },
            { hosts: ["bad.example"], secretName: "broken" },
            { hosts: ["odd.example"], secretName: "mismatched" },
          ],
          rules: [rule(undefined, { path: "/", svc: "front" })],
        },
        { ns: "web" },
      ),
      ing(
        "admin",
        {
          ingressClassName: "flatnet",
          tls: [{ hosts: ["admin.apps.example"], secretName: "admin-tls" }],
          rules: [rule("admin.apps.example", { path: "/", svc: "front" })],
        },
        { ns: "ops" },
      ),
    );
  });

  after(async () => {
    await rig.stop();
    await backends.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("each host verifies against its Secret's certificate (exact, wildcard, another Ingress's)", async () => {
    const cases: Array<[string, string]> = [
      ["shop.example", "shop"],
      ["www.shop.example", "shop"],
      ["blog.apps.example", "apps"],
      ["admin.apps.example", "admin"],
    ];
    for (const [host, cert] of cases) {
      const r = await curl(rig, "https", host, "/", ["--cacert", caFile(cert)]);
      assert.equal(podOf(r), "pod-2", `${host} with ${cert}'s certificate`);
    }
    // The wrong CA fails verification: the choice really is per host.
    const wrong = await curl(rig, "https", "blog.apps.example", "/", ["--cacert", caFile("shop")]);
    assert.equal(wrong.code, 60, wrong.body);
  });

  test("other names, no SNI, and hosts of invalid Secrets get the default certificate", async () => {
    const port = rig.servers.httpsPort;
    assert.equal(await servedCN(port, "unknown.example"), "flatnet-ingress-default");
    assert.equal(await servedCN(port, undefined), "flatnet-ingress-default");
    assert.equal(await servedCN(port, "a.b.apps.example"), "flatnet-ingress-default");
    assert.equal(await servedCN(port, "bad.example"), "flatnet-ingress-default");
    assert.equal(await servedCN(port, "odd.example"), "flatnet-ingress-default");
    assert.equal(await servedCN(port, "SHOP.example"), "shop.example");
    assert.equal(podOf(await curl(rig, "https", "bad.example", "/", ["-k"])), "pod-2");
  });

  test("an invalid Secret is reported with the reason (status and log)", () => {
    const problems = rig.controller.status().problems.join("\n");
    assert.match(
      problems,
      /Secret web\/broken is not a valid TLS certificate: tls\.crt is not a PEM certificate.*bad\.example/,
    );
    assert.match(
      problems,
      /Secret web\/mismatched is not a valid TLS certificate: tls\.key does not belong to tls\.crt/,
    );
    assert.ok(rig.logs.some((l) => l.startsWith("problem: Secret web/broken")));
  });

  test("a rotated Secret serves new handshakes; an open TLS keep-alive connection keeps working", async () => {
    const port = rig.servers.httpsPort;
    const conn = tls.connect({
      host: "127.0.0.1",
      port,
      servername: "shop.example",
      rejectUnauthorized: false,
    });
    await new Promise<void>((resolve, reject) => conn.once("secureConnect", resolve).once("error", reject));
    const get = () =>
      new Promise<string>((resolve, reject) => {
        let buf = "";
        const onData = (d: Buffer) => {
          buf += d.toString();
          const m = /content-length: (\d+)\r\n/i.exec(buf);
          const end = buf.indexOf("\r\n\r\n");
          const complete = m ? buf.length >= end + 4 + Number(m[1]) : buf.endsWith("\r\n0\r\n\r\n");
          if (end >= 0 && complete) {
            conn.off("data", onData);
            resolve(buf);
          }
        };
        conn.on("data", onData);
        conn.once("error", reject);
        conn.write("GET /keepalive HTTP/1.1\r\nHost: shop.example\r\n\r\n");
      });
    assert.match(await get(), /^HTTP\/1\.1 200/);
    await rig.apply(tlsSecret("web", "shop-tls", certs.rotated!));
    assert.equal(await servedCN(port, "shop.example"), "shop.example rotated");
    assert.match(await get(), /^HTTP\/1\.1 200/, "same TLS connection after the rotation");
    assert.equal(conn.getPeerCertificate().subject?.CN, "shop.example");
    conn.destroy();
  });
});
