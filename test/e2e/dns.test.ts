/**
 * Cluster DNS end to end, through the CLI as a user types it, on a lab of its own: the
 * add-on pods in kube-system behind kube-dns at 10.96.0.10, dig and glibc's getent inside
 * pods through the search path and across namespaces, a headless Service with a never-ready
 * pod, pod hostname+subdomain names, ExternalName chased to a real upstream (Knot DNS in
 * node-2's namespace, the Cluster config's upstreamDNS), a Service without endpoints, and a
 * new Service resolving within 1 s of `apply`. Fixture: test/fixtures/lab/dns.yaml.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { LabNames } from "../../src/lab/names.js";
import { flatnet, flatnetOk, repoRoot, uniqueLabName } from "../helpers/cli.js";
import { type Knot, startKnot } from "../integration/knot-fixture.js";

const fixture = `${repoRoot()}/test/fixtures/lab/dns.yaml`;
const UPSTREAM = "172.18.0.3";

interface Item {
  metadata: { name: string; namespace?: string };
  spec: { clusterIP?: string; ports?: Array<{ name?: string; port: number; protocol?: string }> };
  status?: { podIP?: string; addresses?: Array<{ type: string; address: string }> };
}

describe("cluster DNS in the lab", { timeout: 600_000 }, () => {
  const lab = uniqueLabName("ed");
  let knot: Knot | undefined;
  const vip = new Map<string, string>();
  const podIP = new Map<string, string>();
  const webPod = () => [...podIP.keys()].find((k) => k.startsWith("shop/web-"))!.slice("shop/".length);

  const exec = (ns: string, pod: string, cmd: string[]) =>
    flatnet(["exec", "--name", lab, "-n", ns, pod, "--", ...cmd]);
  const digShort = async (ns: string, pod: string, ...args: string[]) =>
    (await exec(ns, pod, ["dig", "+short", "+time=2", "+tries=2", ...args])).stdout
      .trim()
      .split("\n")
      .filter(Boolean);

  before(async () => {
    await flatnetOk(["up", "-f", fixture, "--name", lab, "--nodes", "2", "--backend", "vxlan"]);
    const nodes = JSON.parse(await flatnetOk(["get", "nodes", "-o", "json", "--name", lab])) as {
      items: Item[];
    };
    const node2 = nodes.items.find((n) => n.metadata.name === "node-2");
    assert.equal(node2?.status?.addresses?.find((a) => a.type === "InternalIP")?.address, UPSTREAM);
    knot = await startKnot(
      UPSTREAM,
      {
        "example.test":
          "$ORIGIN example.test.\n$TTL 300\n@ SOA ns admin 1 3600 600 86400 300\n@ NS ns\nns A 172.18.0.3\nwww A 192.0.2.80\n",
      },
      53,
      new LabNames(lab).nodeNetns("node-2"),
    );
    const svcs = JSON.parse(await flatnetOk(["get", "svc", "-A", "-o", "json", "--name", lab])) as {
      items: Item[];
    };
    for (const s of svcs.items) vip.set(`${s.metadata.namespace}/${s.metadata.name}`, s.spec.clusterIP ?? "");
    const pods = JSON.parse(await flatnetOk(["get", "pods", "-A", "-o", "json", "--name", lab])) as {
      items: Item[];
    };
    for (const p of pods.items)
      podIP.set(`${p.metadata.namespace}/${p.metadata.name}`, p.status?.podIP ?? "");
  });

  after(async () => {
    await knot?.stop();
    await flatnet(["down", "--name", lab]);
  });

  test("the add-on: kube-system/kube-dns at 10.96.0.10 (dns 53/UDP, dns-tcp 53/TCP) and two DNS pods", async () => {
    const svc = JSON.parse(
      await flatnetOk(["get", "svc", "kube-dns", "-n", "kube-system", "-o", "json", "--name", lab]),
    ) as {
      items: Item[];
    };
    assert.equal(svc.items[0]?.spec.clusterIP, "10.96.0.10");
    assert.deepEqual(
      svc.items[0]?.spec.ports?.map((p) => `${p.name} ${p.port}/${p.protocol}`),
      ["dns 53/UDP", "dns-tcp 53/TCP"],
    );
    assert.equal([...podIP.keys()].filter((k) => k.startsWith("kube-system/flatnet-dns-")).length, 2);
  });

  test("flatnet exec POD -- dig web.shop.svc.cluster.local answers from 10.96.0.10, authoritatively", async () => {
    const r = await exec("shop", webPod(), ["dig", "+time=2", "web.shop.svc.cluster.local"]);
    assert.match(r.stdout, /status: NOERROR/);
    assert.match(r.stdout, /flags: qr aa rd ra;/);
    assert.match(
      r.stdout,
      new RegExp(`web\\.shop\\.svc\\.cluster\\.local\\.\\s+30\\s+IN\\s+A\\s+${vip.get("shop/web")}`),
    );
    assert.match(r.stdout, /SERVER: 10\.96\.0\.10#53/);
    assert.deepEqual(await digShort("shop", webPod(), "+tcp", "web.shop.svc.cluster.local"), [
      vip.get("shop/web"),
    ]);
  });

  test("getent hosts through the search path, in the namespace and across namespaces", async () => {
    const same = await exec("shop", webPod(), ["getent", "hosts", "web"]);
    assert.equal(same.stdout.trim().split(/\s+/)[0], vip.get("shop/web"));
    const cross = await exec("other", "client", ["getent", "hosts", "web.shop"]);
    assert.equal(cross.stdout.trim().split(/\s+/)[1], "web.shop.svc.cluster.local");
    const notHere = await exec("other", "client", ["getent", "hosts", "web"]);
    assert.equal(notHere.code, 2, "web is not in namespace other");
  });

  test("headless Service: ready pods only, hostname+subdomain names, SRV", async () => {
    const ips = (await digShort("other", "client", "db.shop.svc.cluster.local")).sort();
    assert.deepEqual(ips, [podIP.get("shop/db-0"), podIP.get("shop/db-1")].sort());
    const db0 = await exec("shop", webPod(), ["getent", "hosts", "db-0.db"]);
    assert.equal(db0.stdout.trim().split(/\s+/)[0], podIP.get("shop/db-0"));
    assert.deepEqual(await digShort("shop", webPod(), "db-broken.db.shop.svc.cluster.local"), []);
    const srv = (await digShort("shop", webPod(), "SRV", "_pg._tcp.db.shop.svc.cluster.local")).sort();
    assert.deepEqual(srv, [
      "0 50 5432 db-0.db.shop.svc.cluster.local.",
      "0 50 5432 db-1.db.shop.svc.cluster.local.",
    ]);
  });

  test("ExternalName chased through the upstream; other names forwarded to it", async () => {
    assert.deepEqual(await digShort("shop", webPod(), "partner.shop.svc.cluster.local"), [
      "www.example.test.",
      "192.0.2.80",
    ]);
    assert.deepEqual(await digShort("other", "client", "www.example.test"), ["192.0.2.80"]);
    const viaGetent = await exec("other", "client", ["getent", "hosts", "www.example.test"]);
    assert.equal(viaGetent.stdout.trim().split(/\s+/)[0], "192.0.2.80");
  });

  test("a Service without endpoints still has its name; PTR for a Service IP; pod A records", async () => {
    assert.deepEqual(await digShort("other", "client", "lonely.shop.svc.cluster.local"), [
      vip.get("shop/lonely"),
    ]);
    assert.deepEqual(await digShort("other", "client", "-x", vip.get("shop/web")!), [
      "web.shop.svc.cluster.local.",
    ]);
    const ip = podIP.get("other/client")!;
    assert.deepEqual(await digShort("shop", webPod(), `${ip.replace(/\./g, "-")}.other.pod.cluster.local`), [
      ip,
    ]);
  });

  test("a new Service resolves within 1 s of apply", async () => {
    const dir = mkdtempSync(join(tmpdir(), "flatnet-dns-e2e-"));
    try {
      const file = join(dir, "fresh.yaml");
      writeFileSync(
        file,
        "apiVersion: v1\nkind: Service\nmetadata: { name: fresh, namespace: shop }\nspec:\n  selector: { app: web }\n  ports: [{ port: 81, targetPort: 8080 }]\n",
      );
      await flatnetOk(["apply", "-f", file, "--name", lab]);
      const applied = Date.now();
      // One exec polls from inside the pod and prints the wall-clock ms of the first answer.
      const script =
        'for i in $(seq 100); do a=$(dig +short +time=1 +tries=1 fresh.shop.svc.cluster.local); if [ -n "$a" ]; then date +%s%3N; echo "$a"; exit 0; fi; sleep 0.02; done; exit 1';
      const r = await exec("shop", webPod(), ["sh", "-c", script]);
      assert.equal(r.code, 0, r.stderr);
      const [when, ip] = r.stdout.trim().split("\n");
      assert.match(ip ?? "", /^10\.\d+\.\d+\.\d+$/);
      assert.ok(Number(when) - applied < 1000, `resolved ${Number(when) - applied} ms after apply returned`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
