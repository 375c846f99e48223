/** Which ports a built-in container serves. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { servedPorts } from "./served-ports.js";

describe("served ports", () => {
  it("serves declared ports on their protocol, deduplicated, and names unsupported ones", () => {
    const r = servedPorts({
      name: "c",
      ports: [
        { containerPort: 80 },
        { containerPort: 53, protocol: "UDP" },
        { containerPort: 80, protocol: "TCP" },
        { containerPort: 9, protocol: "SCTP" },
      ],
    });
    assert.deepEqual(r.ports, [
      { port: 80, protocol: "TCP" },
      { port: 53, protocol: "UDP" },
    ]);
    assert.deepEqual(r.unsupported, ["9/SCTP"]);
  });

  it("adds agnhost netexec's ports from args, with its defaults", () => {
    assert.deepEqual(
      servedPorts({ name: "c", args: ["netexec", "--http-port=8000", "--udp-port", "9000"] }).ports,
      [
        { port: 8000, protocol: "TCP" },
        { port: 9000, protocol: "UDP" },
      ],
    );
    assert.deepEqual(servedPorts({ name: "c", args: ["netexec"] }).ports, [
      { port: 8080, protocol: "TCP" },
      { port: 8081, protocol: "UDP" },
    ]);
    assert.deepEqual(servedPorts({ name: "c", args: ["pause"] }).ports, []);
  });
});
