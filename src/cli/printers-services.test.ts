// `get svc` and `get endpointslices` columns as kubectl prints them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { KObject } from "../cluster/types.js";
import { columnsFor } from "./printers.js";

const svc = (spec: Record<string, unknown>, status?: unknown): KObject => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec,
  ...(status ? { status } : {}),
});

describe("service and EndpointSlice columns", () => {
  it("TYPE, CLUSTER-IP, EXTERNAL-IP, PORT(S) like kubectl", () => {
    const cols = columnsFor("Service", false);
    // kubectl's columns, then the Service's DNS name.
    assert.deepEqual(cols.headers, ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE", "DNS"]);
    assert.equal(cols.row(svc({ type: "ClusterIP" })).at(-1), "web.default.svc.cluster.local");
    assert.equal(
      columnsFor("Service", false, { dnsDomain: "corp.internal" }).row(svc({})).at(-1),
      "web.default.svc.corp.internal",
    );
    const row = (s: KObject) => cols.row(s).slice(0, 5);
    assert.deepEqual(
      row(
        svc({
          type: "NodePort",
          clusterIP: "10.96.12.7",
          ports: [
            { port: 80, nodePort: 30080, protocol: "TCP" },
            { port: 53, nodePort: 30053, protocol: "UDP" },
          ],
        }),
      ),
      ["web", "NodePort", "10.96.12.7", "<none>", "80:30080/TCP,53:30053/UDP"],
    );
    assert.deepEqual(row(svc({ type: "ClusterIP", clusterIP: "None", ports: [{ port: 80 }] })), [
      "web",
      "ClusterIP",
      "None",
      "<none>",
      "80/TCP",
    ]);
    assert.deepEqual(row(svc({ type: "ExternalName", externalName: "db.example.com" })), [
      "web",
      "ExternalName",
      "<none>",
      "db.example.com",
      "<none>",
    ]);
    assert.equal(
      row(svc({ type: "LoadBalancer", clusterIP: "10.96.0.9", ports: [{ port: 80 }] }))[3],
      "<pending>",
    );
  });

  it("EndpointSlice PORTS and ENDPOINTS: <unset> when empty, three endpoints then a count", () => {
    const cols = columnsFor("EndpointSlice", false);
    const slice = (endpoints: string[], ports: unknown[]): KObject => ({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "web-abcde" },
      addressType: "IPv4",
      endpoints: endpoints.map((a) => ({ addresses: [a] })),
      ports,
    });
    assert.deepEqual(cols.row(slice([], [])).slice(0, 4), ["web-abcde", "IPv4", "<unset>", "<unset>"]);
    assert.deepEqual(
      cols
        .row(slice(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"], [{ port: 8080 }, { port: 53 }]))
        .slice(2, 4),
      ["8080,53", "10.0.0.1,10.0.0.2,10.0.0.3 + 1 more..."],
    );
  });
});
