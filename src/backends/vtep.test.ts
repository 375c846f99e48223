import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UserError } from "../util/errors.js";
import {
  checkVtepMAC,
  FLANNEL_BACKEND_DATA,
  vtepMACFor,
  vtepMACFromAnnotations,
  vtepMACOf,
  vxlanNodeAnnotations,
} from "./vtep.js";

describe("VTEP MACs", () => {
  it("derives a stable, locally administered unicast MAC per node name", () => {
    const names = Array.from({ length: 200 }, (_, i) => `node-${i}`);
    const macs = names.map(vtepMACFor);
    assert.equal(new Set(macs).size, names.length);
    for (const mac of macs) {
      assert.match(mac, /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      const first = Number.parseInt(mac.slice(0, 2), 16);
      assert.equal(first & 0x02, 0x02, `${mac} is locally administered`);
      assert.equal(first & 0x01, 0, `${mac} is unicast`);
    }
    assert.equal(vtepMACFor("node-7"), macs[7]);
  });

  it("prefers the published MAC and validates it", () => {
    assert.equal(vtepMACOf({ name: "x", vtepMAC: "0A:00:00:00:00:01" }), "0a:00:00:00:00:01");
    assert.equal(vtepMACOf({ name: "x" }), vtepMACFor("x"));
    assert.throws(() => checkVtepMAC("x", "01:00:5e:00:00:01"), /multicast/);
    assert.throws(() => checkVtepMAC("x", "zz"), UserError);
  });

  it("publishes and reads Flannel's backend-data annotation", () => {
    const ann = vxlanNodeAnnotations({ name: "node-a", nodeIP: "172.18.0.2" }, 1);
    assert.deepEqual(JSON.parse(ann[FLANNEL_BACKEND_DATA]!), { VNI: 1, VtepMAC: vtepMACFor("node-a") });
    assert.equal(ann["flannel.alpha.coreos.com/public-ip"], "172.18.0.2");
    assert.equal(vtepMACFromAnnotations("node-a", ann), vtepMACFor("node-a"));
    assert.equal(vtepMACFromAnnotations("node-a", {}), undefined);
    assert.throws(() => vtepMACFromAnnotations("node-a", { [FLANNEL_BACKEND_DATA]: "{" }), /not JSON/);
    assert.throws(
      () => vtepMACFromAnnotations("node-a", { [FLANNEL_BACKEND_DATA]: "{}" }),
      /no string VtepMAC/,
    );
  });
});
