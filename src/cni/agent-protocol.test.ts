import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  decodeAnswer,
  decodeRequest,
  encodeExit,
  encodeFallback,
  encodeRequest,
  ProtocolError,
} from "./agent-protocol.js";

describe("shim <-> agent protocol", () => {
  it("round-trips a request with multi-line config and env values containing '='", () => {
    const req = {
      plugin: "flatnet-cni",
      netnsId: "4:4026532281",
      env: { CNI_COMMAND: "ADD", CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAME=a", PATH: "/usr/bin" },
      stdin: '{\n  "cniVersion": "1.1.0"\n}\n',
    };
    assert.deepEqual(decodeRequest(encodeRequest(req)), req);
  });

  it("decodes what the C shim sends for an unknown netns and an empty config", () => {
    const raw = Buffer.from("FLATNET-CNI/1\nflatnet-ipam\n-\nCNI_COMMAND=VERSION\0\0");
    assert.deepEqual(decodeRequest(raw), {
      plugin: "flatnet-ipam",
      env: { CNI_COMMAND: "VERSION" },
      stdin: "",
    });
  });

  it("rejects other protocols and truncated requests", () => {
    assert.throws(() => decodeRequest(Buffer.from("GET / HTTP/1.1\r\n")), ProtocolError);
    assert.throws(
      () => decodeRequest(Buffer.from("FLATNET-CNI/1\nflatnet-cni\n-\nCNI_COMMAND=ADD")),
      ProtocolError,
    );
  });

  it("encodes exits and fallbacks", () => {
    assert.deepEqual(decodeAnswer(encodeExit(1, '{"code":7}')), {
      kind: "exit",
      status: 1,
      stdout: '{"code":7}',
    });
    assert.deepEqual(decodeAnswer(encodeFallback("other\nnetns")), {
      kind: "fallback",
      reason: "other netns",
    });
  });
});
