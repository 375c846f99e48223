import { describe, it } from "node:test";
import { assertAccepts, assertRejects, service } from "../test-support.js";

describe("Service validation", () => {
  it("accepts ClusterIP, NodePort, LoadBalancer, headless and ExternalName services", () => {
    assertAccepts(service());
    assertAccepts(
      service({ type: "NodePort", ports: [{ port: 80, nodePort: 30080 }], externalTrafficPolicy: "Local" }),
    );
    assertAccepts(service({ type: "LoadBalancer", ports: [{ port: 443 }] }));
    assertAccepts(service({ clusterIP: "None", ports: [] }));
    assertAccepts(
      service({ type: "ExternalName", externalName: "db.example.com.", ports: [], selector: {} }),
    );
    assertAccepts(service({ clusterIP: "10.96.0.20", clusterIPs: ["10.96.0.20"] }));
  });

  it("requires a DNS-1035 name", () => {
    assertRejects(service({}, { name: "1web" }), "metadata.name", "1web", /RFC 1035 label/);
    assertRejects(service({}, { name: "web.shop" }), "metadata.name", "web.shop");
  });

  it("checks the type", () => {
    assertRejects(
      service({ type: "Internal" }),
      "spec.type",
      "Internal",
      /supported values: "ClusterIP", "NodePort", "LoadBalancer", "ExternalName"/,
    );
  });

  it("requires ports unless headless or ExternalName", () => {
    assertRejects(service({ ports: [] }), "spec.ports");
    assertRejects(service({ ports: undefined }), "spec.ports");
    assertRejects(
      service({ type: "NodePort", clusterIP: "None", ports: [{ port: 80 }] }),
      "spec.clusterIP",
      "None",
      /may not be set to 'None' for NodePort/,
    );
  });

  it("checks port numbers, protocols, names and duplicates", () => {
    assertRejects(service({ ports: [{ port: 70000 }] }), "spec.ports[0].port", 70000, /between 1 and 65535/);
    assertRejects(service({ ports: [{ name: "a" }] }), "spec.ports[0].port");
    assertRejects(service({ ports: [{ port: 80, protocol: "HTTP" }] }), "spec.ports[0].protocol", "HTTP");
    assertRejects(
      service({ ports: [{ port: 80 }, { name: "b", port: 81 }] }),
      "spec.ports[0].name",
      undefined,
      /Required value: each port must be named/,
    );
    assertRejects(
      service({
        ports: [
          { name: "a", port: 80 },
          { name: "a", port: 81 },
        ],
      }),
      "spec.ports[1].name",
      "a",
      /Duplicate value/,
    );
    assertRejects(service({ ports: [{ name: "Http", port: 80 }] }), "spec.ports[0].name", "Http");
    assertRejects(
      service({
        ports: [
          { name: "a", port: 80 },
          { name: "b", port: 80 },
        ],
      }),
      "spec.ports[1]",
      { port: 80, protocol: "TCP" },
      /Duplicate value: \{"port":80,"protocol":"TCP"\}/,
    );
    assertAccepts(
      service({
        ports: [
          { name: "dns", port: 53, protocol: "UDP" },
          { name: "dns-tcp", port: 53 },
        ],
      }),
    );
  });

  it("checks targetPort: a number 1-65535 or an IANA_SVC_NAME", () => {
    assertRejects(service({ ports: [{ port: 80, targetPort: 65536 }] }), "spec.ports[0].targetPort", 65536);
    assertRejects(
      service({ ports: [{ port: 80, targetPort: "8080" }] }),
      "spec.ports[0].targetPort",
      "8080",
      /at least one letter/,
    );
    assertRejects(
      service({ ports: [{ port: 80, targetPort: "http--x" }] }),
      "spec.ports[0].targetPort",
      "http--x",
    );
    assertAccepts(service({ ports: [{ port: 80, targetPort: "http" }] }));
  });

  it("allows nodePort only with NodePort or LoadBalancer, within 1-65535, unique per protocol", () => {
    assertRejects(
      service({ ports: [{ port: 80, nodePort: 30080 }] }),
      "spec.ports[0].nodePort",
      undefined,
      /Forbidden: may not be used when `type` is 'ClusterIP'/,
    );
    assertRejects(
      service({ type: "NodePort", ports: [{ port: 80, nodePort: 70000 }] }),
      "spec.ports[0].nodePort",
      70000,
    );
    assertRejects(
      service({
        type: "NodePort",
        ports: [
          { name: "a", port: 80, nodePort: 30080 },
          { name: "b", port: 81, nodePort: 30080 },
        ],
      }),
      "spec.ports[1].nodePort",
      30080,
    );
  });

  it("checks clusterIP and clusterIPs", () => {
    assertRejects(service({ clusterIP: "10.96.0.300" }), "spec.clusterIP", "10.96.0.300", /valid IP address/);
    assertRejects(service({ clusterIP: "auto" }), "spec.clusterIP", "auto");
    assertRejects(
      service({ clusterIP: "10.96.0.20", clusterIPs: ["10.96.0.21"] }),
      "spec.clusterIPs[0]",
      "10.96.0.21",
      /must match `clusterIP`/,
    );
    assertRejects(
      service({ type: "ExternalName", externalName: "a.b", clusterIP: "10.96.0.5" }),
      "spec.clusterIP",
      undefined,
      /Forbidden/,
    );
  });

  it("checks session affinity and its timeout", () => {
    assertRejects(
      service({ sessionAffinity: "Cookie" }),
      "spec.sessionAffinity",
      "Cookie",
      /supported values: "None", "ClientIP"/,
    );
    const timeout = (t: number) =>
      service({ sessionAffinity: "ClientIP", sessionAffinityConfig: { clientIP: { timeoutSeconds: t } } });
    assertRejects(timeout(0), "spec.sessionAffinityConfig.clientIP.timeoutSeconds", 0);
    assertRejects(
      timeout(86401),
      "spec.sessionAffinityConfig.clientIP.timeoutSeconds",
      86401,
      /less than or equal to 86400/,
    );
    assertAccepts(timeout(86400));
    assertRejects(
      service({ sessionAffinityConfig: { clientIP: { timeoutSeconds: 10 } } }),
      "spec.sessionAffinityConfig",
      undefined,
      /Forbidden/,
    );
  });

  it("checks traffic policies", () => {
    assertRejects(
      service({ externalTrafficPolicy: "Local" }),
      "spec.externalTrafficPolicy",
      "Local",
      /only be set when `type` is 'NodePort' or 'LoadBalancer'/,
    );
    assertRejects(
      service({ type: "NodePort", externalTrafficPolicy: "Nearest" }),
      "spec.externalTrafficPolicy",
      "Nearest",
    );
    assertRejects(
      service({ internalTrafficPolicy: "Node" }),
      "spec.internalTrafficPolicy",
      "Node",
      /supported values: "Cluster", "Local"/,
    );
  });

  it("requires a DNS-1123 subdomain externalName for ExternalName", () => {
    assertRejects(service({ type: "ExternalName", ports: [] }), "spec.externalName");
    assertRejects(
      service({ type: "ExternalName", externalName: "Not A Host" }),
      "spec.externalName",
      "Not A Host",
    );
  });

  it("checks selector labels and ipFamilies", () => {
    assertRejects(service({ selector: { app: "a b" } }), "spec.selector[app]", "a b");
    assertRejects(service({ ipFamilies: ["IPv5"] }), "spec.ipFamilies[0]", "IPv5");
    assertRejects(
      service({ ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv4", "IPv6"] }),
      "spec.ipFamilies",
      ["IPv4", "IPv6"],
    );
  });
});
