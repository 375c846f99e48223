// Parsing what `nft -j` prints (samples captured from nft 1.0.6), and that the real table
// refuses to run without a namespace.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { NftProxyTable, parseMapElements, parseObjects } from "./nft.js";

const AFFINITY = `{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"map": {"family": "ip", "name": "affinity", "table": "flatnet-proxy", "type": ["ipv4_addr", "ipv4_addr", "inet_proto", "inet_service"], "handle": 2, "map": "ipv4_addr . inet_service", "size": 262144, "flags": ["timeout"], "elem": [[{"elem": {"val": {"concat": ["10.244.2.9", "10.96.0.20", "tcp", 80]}, "timeout": 300, "expires": 299}}, {"concat": ["10.244.1.4", 8080]}]]}}]}`;
const TERSE = `{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"table": {"family": "ip", "name": "flatnet-proxy", "handle": 1}}, {"map": {"family": "ip", "name": "affinity", "table": "flatnet-proxy", "type": ["ipv4_addr", "ipv4_addr", "inet_proto", "inet_service"], "handle": 2, "map": "ipv4_addr . inet_service", "size": 262144, "flags": ["timeout"]}}, {"set": {"family": "ip", "name": "hairpin", "table": "flatnet-proxy", "type": ["ipv4_addr", "ipv4_addr"], "handle": 3}}, {"chain": {"family": "ip", "table": "flatnet-proxy", "name": "services", "handle": 1}}]}`;
const SET = `{"nftables": [{"metainfo": {"version": "1.0.6", "release_name": "Lester Gooch #5", "json_schema_version": 1}}, {"set": {"family": "ip", "name": "hairpin", "table": "flatnet-proxy", "type": ["ipv4_addr", "ipv4_addr"], "handle": 3, "elem": [{"concat": ["10.244.1.4", "10.244.1.4"]}]}}]}`;

describe("nft JSON", () => {
  it("reads map elements with timeouts and concatenated data", () => {
    assert.deepEqual(parseMapElements(AFFINITY), [
      { key: ["10.244.2.9", "10.96.0.20", "tcp", "80"], value: ["10.244.1.4", "8080"] },
    ]);
  });

  it("reads set elements", () => {
    assert.deepEqual(parseMapElements(SET), [{ key: ["10.244.1.4", "10.244.1.4"], value: [] }]);
  });

  it("reads chain and set names from a terse listing", () => {
    assert.deepEqual(parseObjects(TERSE), { chains: ["services"], sets: ["affinity", "hairpin"] });
  });

  it("never programs the root namespace", () => {
    assert.throws(() => new NftProxyTable("", "flatnet-proxy"), /needs a network namespace/);
  });
});
