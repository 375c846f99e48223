/** Parsing the kernel's socket tables (/proc/<pid>/net/tcp, udp). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { pidInNetns, portsInState } from "./listening.js";

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0 100 0 0 10 0
   1: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1 0 100 0 0 10 0
   2: 0200FA0A:0050 0300FA0A:A1B2 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0 100 0 0 10 0
`;

describe("socket tables", () => {
  it("finds listening ports and ignores established connections", () => {
    assert.deepEqual([...portsInState(TCP, "0A")].sort(), [80, 8000]);
    assert.deepEqual([...portsInState(TCP, "01")], [80]);
    assert.deepEqual([...portsInState("", "0A")], []);
  });

  it("tells whether a pid is in a namespace", async () => {
    assert.equal(await pidInNetns(process.pid, "/proc/self/ns/net"), true);
    assert.equal(await pidInNetns(process.pid, "/nonexistent/netns"), false);
  });
});
