import assert from "node:assert/strict";
import { test } from "node:test";
import { renderHosts, renderResolvConf } from "./pod-files.js";

const dns = {
  clusterDNS: "10.96.0.10",
  clusterDomain: "cluster.local",
  hostResolvConf: "nameserver 1.2.3.4\nsearch corp\n",
};

test("ClusterFirst: cluster DNS, namespace search path, ndots:5", () => {
  assert.equal(
    renderResolvConf({ namespace: "shop" }, dns),
    "nameserver 10.96.0.10\nsearch shop.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
  );
});

test("Default: the node's resolver", () => {
  assert.equal(
    renderResolvConf({ namespace: "x", dnsPolicy: "Default" }, dns),
    "nameserver 1.2.3.4\nsearch corp\n",
  );
});

test("ClusterFirst with hostNetwork falls back to Default; ClusterFirstWithHostNet does not", () => {
  assert.match(renderResolvConf({ namespace: "x", hostNetwork: true }, dns), /nameserver 1\.2\.3\.4/);
  assert.match(
    renderResolvConf({ namespace: "x", hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" }, dns),
    /nameserver 10\.96\.0\.10/,
  );
});

test("None uses dnsConfig only; dnsConfig merges into other policies", () => {
  assert.equal(
    renderResolvConf(
      {
        namespace: "x",
        dnsPolicy: "None",
        dnsConfig: {
          nameservers: ["9.9.9.9"],
          searches: ["a.b"],
          options: [{ name: "ndots", value: "2" }, { name: "edns0" }],
        },
      },
      dns,
    ),
    "nameserver 9.9.9.9\nsearch a.b\noptions ndots:2 edns0\n",
  );
  assert.match(
    renderResolvConf({ namespace: "x", dnsConfig: { searches: ["extra.local"] } }, dns),
    /search x\.svc\.cluster\.local svc\.cluster\.local cluster\.local extra\.local/,
  );
});

test("hosts file names the pod", () => {
  assert.match(renderHosts("web-1", ["10.244.1.5"]), /10\.244\.1\.5\tweb-1/);
});
