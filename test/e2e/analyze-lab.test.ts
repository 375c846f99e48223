/**
 * Prediction against the live lab, for both backends, on the NetworkPolicy e2e topology with
 * no policy applied (policy-lab.test.ts runs every policy case live): `flatnet analyze` from the
 * manifests, and from the lab's own objects (`get -o json`, real pod IPs), must equal the
 * matrix `flatnet probe` measures over TCP and UDP on ports 80 and 81; and `flatnet trace` on
 * the live lab must name the route, neighbour and FDB entry the kernel of the source node
 * really uses (`ip route get`, `ip neigh`, `bridge fdb`).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { listNetns } from "../../src/kernel/netns.js";
import { flatnet, flatnetOk, uniqueLabName } from "../helpers/cli.js";
import { TOPOLOGY } from "../helpers/policy-cases.js";

type Table = Record<string, Record<string, boolean>>;
interface Matrices {
  matrices: Array<{ port: number; protocol: string; allowed: Table }>;
}

function differences(measured: Matrices, predicted: Matrices): string[] {
  const out: string[] = [];
  for (const m of measured.matrices) {
    const p = predicted.matrices.find((x) => x.port === m.port && x.protocol === m.protocol);
    for (const from of Object.keys(m.allowed))
      for (const to of Object.keys(m.allowed[from]!))
        if (p?.allowed[from]?.[to] !== m.allowed[from]![to])
          out.push(
            `${m.protocol}/${m.port} ${from} -> ${to}: probe ${m.allowed[from]![to]}, analyze ${p?.allowed[from]?.[to]}`,
          );
  }
  return out;
}

const PORTS = ["--port", "80,81", "--protocol", "TCP,UDP"];

for (const backend of ["vxlan", "host-gw"] as const) {
  describe(`analyze and trace against the live lab (${backend})`, () => {
    const lab = uniqueLabName("t");
    const tmp = mkdtempSync(join(tmpdir(), "flatnet-analyze-lab-"));
    let probe: Matrices;
    before(async () => {
      await flatnetOk(["up", "-f", TOPOLOGY, "--name", lab, "--backend", backend]);
      probe = JSON.parse(await flatnetOk(["probe", "--name", lab, ...PORTS, "-o", "json"])) as Matrices;
    });
    after(async () => {
      await flatnet(["down", "--name", lab]);
      rmSync(tmp, { recursive: true, force: true });
      assert.deepEqual(listNetns(`flatnet-${lab}_`), []);
    });

    test("analyze from the manifests equals the measured matrix", async () => {
      const predicted = JSON.parse(
        await flatnetOk(["analyze", "-f", TOPOLOGY, ...PORTS, "-o", "json"]),
      ) as Matrices;
      assert.equal(probe.matrices.length, 4);
      assert.ok(Object.keys(probe.matrices[0]!.allowed).length >= 9);
      assert.deepEqual(differences(probe, predicted), []);
    });

    test("analyze from the lab's objects (real pod IPs) equals the measured matrix", async () => {
      const pods = join(tmp, "pods.json");
      const namespaces = join(tmp, "namespaces.json");
      writeFileSync(pods, await flatnetOk(["get", "pods", "-A", "-o", "json", "--name", lab]));
      writeFileSync(namespaces, await flatnetOk(["get", "namespaces", "-o", "json", "--name", lab]));
      const predicted = JSON.parse(
        await flatnetOk(["analyze", "-f", pods, "-f", namespaces, ...PORTS, "-o", "json"]),
      ) as Matrices;
      assert.deepEqual(differences(probe, predicted), []);
    });

    test("trace on the live lab names the route the source node's kernel uses", async () => {
      const list = JSON.parse(await flatnetOk(["get", "pods", "-A", "-o", "json", "--name", lab])) as {
        items: Array<{ metadata: { namespace: string; name: string }; status: { podIP: string } }>;
      };
      const ip = (ns: string, name: string) =>
        list.items.find((p) => p.metadata.namespace === ns && p.metadata.name === name)!.status.podIP;
      const t = JSON.parse(
        await flatnetOk(["trace", "-n", "x", "a", "y/c:81/udp", "--name", lab, "-o", "json"]),
      ) as {
        verdict: string;
        hops: Array<{ node: string; stage: string; detail: string }>;
      };
      assert.equal(t.verdict, "delivered");
      assert.ok(t.hops[0]!.detail.includes(`(${ip("x", "a")}) sends UDP/81 to y/c (${ip("y", "c")})`));
      const route = t.hops.find((h) => h.stage === "route")!;
      assert.equal(route.node, "node-1");
      const kernel = JSON.parse(
        await flatnetOk([
          "exec",
          "--node",
          "node-1",
          "--name",
          lab,
          "--",
          "ip",
          "-j",
          "route",
          "get",
          ip("y", "c"),
        ]),
      ) as Array<{ gateway?: string; dev: string }>;
      assert.ok(
        route.detail.includes(`via ${kernel[0]!.gateway} dev ${kernel[0]!.dev}`),
        `trace: ${route.detail}; kernel: ${JSON.stringify(kernel)}`,
      );
      if (backend === "vxlan") {
        const neigh = JSON.parse(
          await flatnetOk([
            "exec",
            "--node",
            "node-1",
            "--name",
            lab,
            "--",
            "ip",
            "-j",
            "neigh",
            "show",
            "dev",
            "flannel.1",
          ]),
        ) as Array<{ dst: string; lladdr: string }>;
        const fdb = JSON.parse(
          await flatnetOk([
            "exec",
            "--node",
            "node-1",
            "--name",
            lab,
            "--",
            "bridge",
            "-j",
            "fdb",
            "show",
            "dev",
            "flannel.1",
          ]),
        ) as Array<{ mac: string; dst: string }>;
        const encap = t.hops.find((h) => h.stage === "encap")!.detail;
        const n = neigh.find((e) => e.dst === kernel[0]!.gateway)!;
        const f = fdb.find((e) => e.mac === n.lladdr)!;
        assert.ok(encap.includes(`neighbour ${n.dst} lladdr ${n.lladdr}, fdb ${f.mac} dst ${f.dst}`), encap);
      }
    });
  });
}
