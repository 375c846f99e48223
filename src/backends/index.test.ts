import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UserError } from "../util/errors.js";
import { backendNames, getBackend, podMTU } from "./index.js";

describe("backend registry", () => {
  it("finds the backends by name", () => {
    assert.deepEqual(backendNames(), ["vxlan", "host-gw"]);
    assert.equal(getBackend("vxlan").name, "vxlan");
    assert.equal(getBackend("host-gw").name, "host-gw");
  });

  it("refuses an unknown backend, listing the valid names", () => {
    assert.throws(
      () => getBackend("ipip"),
      (e: unknown) =>
        e instanceof UserError && /"ipip"/.test(e.message) && e.fix === "use one of: vxlan, host-gw",
    );
    assert.throws(() => getBackend("toString"), UserError);
  });

  it("gives the pod MTU for the CNI config", () => {
    assert.equal(podMTU("vxlan", 1500), 1450);
    assert.equal(podMTU("host-gw", 1500), 1500);
    assert.equal(podMTU(getBackend("vxlan"), 9000), 8950);
    assert.throws(() => podMTU("vxlan", 0), UserError);
  });
});
