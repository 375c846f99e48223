import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseCniArgs, parseEnv, validIfname } from "./env.js";
import { CniError } from "./errors.js";

const full = {
  CNI_COMMAND: "ADD",
  CNI_CONTAINERID: "abc-123",
  CNI_NETNS: "/run/netns/pod",
  CNI_IFNAME: "eth0",
  CNI_PATH: "/opt/cni/bin:/usr/lib/cni",
};

function code(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CniError, String(e));
    return e.code;
  }
  assert.fail("expected a CniError");
}

describe("CNI environment", () => {
  it("parses a complete ADD invocation", () => {
    const inv = parseEnv({ ...full, CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAME=web-0;IP=10.244.1.9" });
    assert.equal(inv.command, "ADD");
    assert.equal(inv.containerId, "abc-123");
    assert.equal(inv.netns, "/run/netns/pod");
    assert.deepEqual(inv.path, ["/opt/cni/bin", "/usr/lib/cni"]);
    assert.deepEqual(inv.args, { IgnoreUnknown: "1", K8S_POD_NAME: "web-0", IP: "10.244.1.9" });
  });

  it("names the missing variable with code 4", () => {
    for (const v of ["CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH"]) {
      const env: Record<string, string> = { ...full };
      delete env[v];
      try {
        parseEnv(env);
        assert.fail(`no error without ${v}`);
      } catch (e) {
        assert.ok(e instanceof CniError);
        assert.equal(e.code, 4);
        assert.match(e.message, new RegExp(v));
      }
    }
  });

  it("lets DEL run without CNI_NETNS and VERSION with nothing but the command", () => {
    const env: Record<string, string> = { ...full, CNI_COMMAND: "DEL" };
    delete env.CNI_NETNS;
    assert.equal(parseEnv(env).netns, "");
    assert.equal(parseEnv({ CNI_COMMAND: "VERSION" }).command, "VERSION");
  });

  it("rejects unknown commands, bad container IDs, interface names and relative netns paths", () => {
    assert.equal(
      code(() => parseEnv({})),
      4,
    );
    assert.equal(
      code(() => parseEnv({ ...full, CNI_COMMAND: "UP" })),
      4,
    );
    assert.equal(
      code(() => parseEnv({ ...full, CNI_CONTAINERID: "-bad" })),
      4,
    );
    assert.equal(
      code(() => parseEnv({ ...full, CNI_IFNAME: "a-very-long-interface" })),
      4,
    );
    assert.equal(
      code(() => parseEnv({ ...full, CNI_NETNS: "run/netns/x" })),
      4,
    );
    assert.equal(
      code(() => parseCniArgs("K8S_POD_NAME")),
      4,
    );
  });

  it("knows Linux interface name rules", () => {
    assert.ok(validIfname("eth0"));
    assert.ok(validIfname("a23456789012345"));
    assert.ok(!validIfname("a234567890123456"));
    assert.ok(!validIfname("."));
    assert.ok(!validIfname("a/b"));
    assert.ok(!validIfname("a b"));
  });
});
