import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertAccepts, assertRejects, container, errorsOf, pod } from "../test-support.js";

const withProbe = (probe: object) =>
  pod({ containers: [container({ ports: [{ name: "http", containerPort: 80 }], readinessProbe: probe })] });

describe("Pod validation", () => {
  it("accepts a minimal pod", () => {
    assertAccepts(pod());
  });

  it("requires spec and containers", () => {
    assertRejects({ apiVersion: "v1", kind: "Pod", metadata: { name: "p" } }, "spec");
    assertRejects(pod({ containers: [] }), "spec.containers");
    assertRejects(pod({ containers: "c" }), "spec.containers", "c", /must be a list/);
  });

  it("requires well-formed, unique container names and an image", () => {
    assertRejects(
      pod({ containers: [container({ name: "Web" })] }),
      "spec.containers[0].name",
      "Web",
      /RFC 1123 label/,
    );
    assertRejects(pod({ containers: [container({ name: undefined })] }), "spec.containers[0].name");
    assertRejects(
      pod({ containers: [container(), container()] }),
      "spec.containers[1].name",
      "c",
      /Duplicate value/,
    );
    assertRejects(
      pod({ initContainers: [container()], containers: [container()] }),
      "spec.containers[0].name",
      "c",
    );
    assertRejects(pod({ containers: [container({ image: "" })] }), "spec.containers[0].image");
  });

  it("checks container ports: number, protocol, unique names, hostPort", () => {
    const ports = (p: object[]) => pod({ containers: [container({ ports: p })] });
    assertRejects(
      ports([{ containerPort: 70000 }]),
      "spec.containers[0].ports[0].containerPort",
      70000,
      /between 1 and 65535/,
    );
    assertRejects(ports([{ containerPort: 0 }]), "spec.containers[0].ports[0].containerPort", 0);
    assertRejects(ports([{ containerPort: "80" }]), "spec.containers[0].ports[0].containerPort", "80");
    assertRejects(ports([{}]), "spec.containers[0].ports[0].containerPort");
    assertRejects(
      ports([{ containerPort: 80, protocol: "ICMP" }]),
      "spec.containers[0].ports[0].protocol",
      "ICMP",
      /supported values: "TCP", "UDP", "SCTP"/,
    );
    assertRejects(
      ports([{ containerPort: 80, protocol: "tcp" }]),
      "spec.containers[0].ports[0].protocol",
      "tcp",
    );
    assertRejects(ports([{ containerPort: 80, name: "HTTP" }]), "spec.containers[0].ports[0].name", "HTTP");
    assertRejects(
      ports([{ containerPort: 80, name: "http-server-long" }]),
      "spec.containers[0].ports[0].name",
      "http-server-long",
      /no more than 15/,
    );
    assertRejects(
      pod({
        containers: [
          container({ ports: [{ containerPort: 80, name: "http" }] }),
          container({ name: "d", ports: [{ containerPort: 81, name: "http" }] }),
        ],
      }),
      "spec.containers[1].ports[0].name",
      "http",
      /Duplicate value/,
    );
    assertRejects(
      ports([{ containerPort: 80, hostPort: 70000 }]),
      "spec.containers[0].ports[0].hostPort",
      70000,
    );
    assertRejects(
      ports([
        { containerPort: 80, hostPort: 8080 },
        { containerPort: 81, hostPort: 8080 },
      ]),
      "spec.containers[0].ports[1].hostPort",
      8080,
    );
    assertRejects(
      pod({ hostNetwork: true, containers: [container({ ports: [{ containerPort: 80, hostPort: 8080 }] })] }),
      "spec.containers[0].ports[0].hostPort",
      8080,
      /must match containerPort/,
    );
    assertRejects(
      ports([{ containerPort: 80, hostIP: "10.0.0.256" }]),
      "spec.containers[0].ports[0].hostIP",
      "10.0.0.256",
      /valid IP address/,
    );
  });

  it("requires exactly one probe handler with a valid port", () => {
    assertAccepts(withProbe({ httpGet: { port: "http" } }));
    assertAccepts(withProbe({ tcpSocket: { port: 80 } }));
    assertAccepts(withProbe({ exec: { command: ["true"] } }));
    assertRejects(
      withProbe({ periodSeconds: 5 }),
      "spec.containers[0].readinessProbe",
      undefined,
      /Required value: must specify a handler type/,
    );
    assertRejects(
      withProbe({ httpGet: { port: 80 }, tcpSocket: { port: 80 } }),
      "spec.containers[0].readinessProbe.tcpSocket",
      undefined,
      /Forbidden: may not specify more than 1 handler type/,
    );
    assertRejects(withProbe({ httpGet: { port: 0 } }), "spec.containers[0].readinessProbe.httpGet.port", 0);
    assertRejects(
      withProbe({ httpGet: { port: "8080" } }),
      "spec.containers[0].readinessProbe.httpGet.port",
      "8080",
      /at least one letter/,
    );
    assertRejects(withProbe({ httpGet: {} }), "spec.containers[0].readinessProbe.httpGet.port");
    assertRejects(
      withProbe({ tcpSocket: { port: "Http" } }),
      "spec.containers[0].readinessProbe.tcpSocket.port",
      "Http",
    );
    assertRejects(withProbe({ exec: { command: [] } }), "spec.containers[0].readinessProbe.exec.command");
    assertRejects(
      withProbe({ httpGet: { port: 80, scheme: "FTP" } }),
      "spec.containers[0].readinessProbe.httpGet.scheme",
      "FTP",
    );
    assertRejects(
      withProbe({ httpGet: { port: 80 }, periodSeconds: -1 }),
      "spec.containers[0].readinessProbe.periodSeconds",
      -1,
    );
    assertRejects(
      pod({ containers: [container({ livenessProbe: { tcpSocket: { port: 80 }, successThreshold: 2 } })] }),
      "spec.containers[0].livenessProbe.successThreshold",
      2,
      /must be 1/,
    );
  });

  it("checks dnsPolicy and dnsConfig", () => {
    assertRejects(
      pod({ dnsPolicy: "Cluster" }),
      "spec.dnsPolicy",
      "Cluster",
      /supported values: "ClusterFirst", "ClusterFirstWithHostNet", "Default", "None"/,
    );
    assertRejects(
      pod({ dnsPolicy: "None" }),
      "spec.dnsConfig",
      undefined,
      /must provide dnsConfig when dnsPolicy is None/,
    );
    assertRejects(
      pod({ dnsPolicy: "None", dnsConfig: { searches: ["a.b"] } }),
      "spec.dnsConfig.nameservers",
      undefined,
      /at least one DNS nameserver/,
    );
    assertAccepts(
      pod({
        dnsPolicy: "None",
        dnsConfig: {
          nameservers: ["10.96.0.10"],
          searches: ["svc.cluster.local."],
          options: [{ name: "ndots", value: "5" }],
        },
      }),
    );
    const four = ["1.1.1.1", "8.8.8.8", "9.9.9.9", "1.0.0.1"];
    assertRejects(
      pod({ dnsConfig: { nameservers: four } }),
      "spec.dnsConfig.nameservers",
      four,
      /more than 3 nameservers/,
    );
    assertRejects(
      pod({ dnsConfig: { nameservers: ["dns.google"] } }),
      "spec.dnsConfig.nameservers[0]",
      "dns.google",
    );
    const searches = Array.from({ length: 33 }, (_, i) => `d${i}.example`);
    assertRejects(
      pod({ dnsConfig: { searches } }),
      "spec.dnsConfig.searches",
      searches,
      /more than 32 search paths/,
    );
    assertRejects(
      pod({ dnsConfig: { searches: ["Bad_Domain"] } }),
      "spec.dnsConfig.searches[0]",
      "Bad_Domain",
    );
    assertRejects(pod({ dnsConfig: { options: [{ value: "1" }] } }), "spec.dnsConfig.options[0].name");
  });

  it("checks restartPolicy, hostname, nodeName and nodeSelector", () => {
    assertRejects(pod({ restartPolicy: "Sometimes" }), "spec.restartPolicy", "Sometimes");
    assertRejects(pod({ hostname: "my.host" }), "spec.hostname", "my.host");
    assertRejects(pod({ nodeName: "Node_1" }), "spec.nodeName", "Node_1");
    assertRejects(pod({ nodeSelector: { zone: "a b" } }), "spec.nodeSelector[zone]", "a b");
  });

  it("checks metadata: name, namespace, labels and annotations", () => {
    assertRejects(pod({}, { name: "" }), "metadata.name");
    assertRejects(pod({}, { name: "web_1" }), "metadata.name", "web_1", /RFC 1123 subdomain/);
    assertRejects(pod({}, { namespace: "Shop" }), "metadata.namespace", "Shop", /RFC 1123 label/);
    assertRejects(pod({}, { labels: { "bad key!": "x" } }), "metadata.labels", "bad key!");
    assertRejects(pod({}, { labels: { app: "-web" } }), "metadata.labels[app]", "-web");
    assertRejects(pod({}, { labels: { replicas: 3 } }), "metadata.labels[replicas]", 3, /must be a string/);
    assertRejects(pod({}, { annotations: { "a/b/c": "x" } }), "metadata.annotations", "a/b/c");
    assertRejects({ apiVersion: "v1", kind: "Pod", metadata: "p" }, "metadata", "p", /must be an object/);
  });

  it("reports every problem of one object", () => {
    const errors = errorsOf(pod({ restartPolicy: "x", dnsPolicy: "y" }));
    assert.deepEqual(
      errors.map((e) => e.fieldPath),
      ["spec.restartPolicy", "spec.dnsPolicy"],
    );
  });
});
