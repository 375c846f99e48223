/**
 * NetworkPolicy on the live lab, for both backends: every conformance case of
 * test/fixtures/policy is applied to one running lab of the e2e topology, in turn; once every
 * node's enforcer reports it programmed the policies (the `synced` element of its table
 * reaches the policies' resourceVersion), `flatnet probe` measures the matrix over TCP and
 * UDP on ports 80 and 81, which must equal `flatnet analyze` of the same manifests and the
 * case's expectations, pair by pair. The case's policies are deleted before the next one.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { listNetns } from "../../src/kernel/netns.js";
import { flatnet, flatnetOk, uniqueLabName } from "../helpers/cli.js";
import { policyCases, type Table, TOPOLOGY, tableDifferences } from "../helpers/policy-cases.js";
import { forgetUdpFlows, waitEnforced } from "../helpers/policy-lab.js";

interface Matrices {
  matrices: Array<{ port: number; protocol: "TCP" | "UDP"; allowed: Table }>;
}

const PORTS = ["--port", "80,81", "--protocol", "TCP,UDP"];

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

for (const backend of ["vxlan", "host-gw"] as const) {
  describe(`NetworkPolicy conformance cases on the live lab (${backend})`, () => {
    const lab = uniqueLabName("p");
    before(async () => {
      await flatnetOk(["up", "-f", TOPOLOGY, "--name", lab, "--backend", backend]);
    });
    after(async () => {
      await flatnet(["down", "--name", lab]);
      assert.deepEqual(listNetns(`flatnet-${lab}_`), []);
    });

    for (const c of policyCases()) {
      test(c.name, async () => {
        await flatnetOk(["apply", "-f", c.manifest, "--name", lab]);
        try {
          await waitEnforced(lab);
          await forgetUdpFlows(lab);
          const [measured, predicted] = await Promise.all([
            flatnetOk(["probe", "--name", lab, ...PORTS, "-o", "json"]),
            flatnetOk(["analyze", "-f", TOPOLOGY, "-f", c.manifest, ...PORTS, "-o", "json"]),
          ]).then((out) => out.map((t) => JSON.parse(t) as Matrices));
          assert.equal(measured!.matrices.length, 4);
          assert.deepEqual(differences(measured!, predicted!), []);
          for (const e of c.expectations) {
            const m = measured!.matrices.find((x) => x.port === e.port && x.protocol === e.protocol);
            assert.deepEqual(tableDifferences(e, m?.allowed), []);
          }
        } finally {
          await flatnetOk(["delete", "-f", c.manifest, "--name", lab]);
        }
      });
    }
  });
}
