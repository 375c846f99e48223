import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyDefaults, pullPolicyFor } from "./defaults/index.js";
import { recordSource, sourceOf } from "./source.js";
import { container, deployment, load, networkPolicy, pod, service } from "./test-support.js";
import type { Deployment, Namespace, NetworkPolicy, Pod, Secret, Service } from "./types.js";

const loadService = (spec: object) => load(service(spec))[0] as Service;

describe("defaulting", () => {
  it("sets metadata.namespace to default for namespaced kinds only", () => {
    const [p, ns] = load(pod({}, { namespace: undefined }), {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: "x" },
    });
    assert.equal((p as Pod).metadata.namespace, "default");
    assert.equal("namespace" in (ns as Namespace).metadata, false);
  });

  it("does not mutate its input and keeps the source", () => {
    const input = service({ ports: [{ port: 80 }] });
    const frozen = JSON.stringify(input);
    recordSource(input, { file: "a.yaml", docIndex: 4 });
    const out = applyDefaults(input);
    assert.equal(JSON.stringify(input), frozen);
    assert.notEqual(out, input);
    assert.deepEqual(sourceOf(out), { file: "a.yaml", docIndex: 4 });
  });

  it("Service: type, protocol, targetPort = port, affinity, traffic policies, IP families", () => {
    const svc = loadService({
      ports: [
        { name: "http", port: 80 },
        { name: "dns", port: 53, protocol: "UDP", targetPort: 5353 },
      ],
    });
    assert.deepEqual(svc.spec, {
      selector: { app: "web" },
      ports: [
        { name: "http", port: 80, protocol: "TCP", targetPort: 80 },
        { name: "dns", port: 53, protocol: "UDP", targetPort: 5353 },
      ],
      type: "ClusterIP",
      sessionAffinity: "None",
      internalTrafficPolicy: "Cluster",
      ipFamilies: ["IPv4"],
      ipFamilyPolicy: "SingleStack",
    });
  });

  it("Service: ClientIP affinity timeout, NodePort/LoadBalancer externalTrafficPolicy, IPv6 clusterIP", () => {
    const affinity = loadService({ sessionAffinity: "ClientIP" });
    assert.deepEqual(affinity.spec.sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
    assert.equal(loadService({ type: "NodePort" }).spec.externalTrafficPolicy, "Cluster");
    const lb = loadService({ type: "LoadBalancer" });
    assert.equal(lb.spec.externalTrafficPolicy, "Cluster");
    assert.equal(lb.spec.allocateLoadBalancerNodePorts, true);
    assert.equal(loadService({}).spec.externalTrafficPolicy, undefined);
    assert.deepEqual(loadService({ clusterIP: "fd00:10:96::20" }).spec.ipFamilies, ["IPv6"]);
    const ext = loadService({ type: "ExternalName", externalName: "db.example.com", ports: [] });
    assert.equal(ext.spec.internalTrafficPolicy, undefined);
    assert.equal(ext.spec.ipFamilies, undefined);
  });

  it("Pod: policies, container and port defaults, probe timings and httpGet path/scheme", () => {
    const [p] = load(
      pod({
        containers: [
          container({
            image: "nginx",
            ports: [{ containerPort: 80 }],
            readinessProbe: { httpGet: { port: 80 } },
            livenessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
          }),
        ],
      }),
    ) as Pod[];
    assert.equal(p!.spec.restartPolicy, "Always");
    assert.equal(p!.spec.dnsPolicy, "ClusterFirst");
    assert.equal(p!.spec.terminationGracePeriodSeconds, 30);
    assert.equal(p!.spec.schedulerName, "default-scheduler");
    const c = p!.spec.containers[0]!;
    assert.deepEqual(c.ports, [{ containerPort: 80, protocol: "TCP" }]);
    assert.equal(c.imagePullPolicy, "Always");
    assert.equal(c.terminationMessagePolicy, "File");
    assert.deepEqual(c.readinessProbe, {
      httpGet: { port: 80, path: "/", scheme: "HTTP" },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    assert.equal(c.livenessProbe?.periodSeconds, 5);
  });

  it("Pod: hostPort follows containerPort on the host network", () => {
    const [p] = load(
      pod({ hostNetwork: true, containers: [container({ ports: [{ containerPort: 9100 }] })] }),
    ) as Pod[];
    assert.deepEqual(p!.spec.containers[0]!.ports, [
      { containerPort: 9100, protocol: "TCP", hostPort: 9100 },
    ]);
  });

  it("image pull policy follows the tag", () => {
    assert.equal(pullPolicyFor("nginx"), "Always");
    assert.equal(pullPolicyFor("nginx:latest"), "Always");
    assert.equal(pullPolicyFor("nginx:1.27"), "IfNotPresent");
    assert.equal(pullPolicyFor("localhost:5000/app"), "Always");
    assert.equal(pullPolicyFor("app@sha256:abc"), "IfNotPresent");
  });

  it("Deployment: replicas 1, RollingUpdate strategy, pod template defaults", () => {
    const [d] = load(deployment({ replicas: undefined })) as Deployment[];
    assert.equal(d!.spec.replicas, 1);
    assert.deepEqual(d!.spec.strategy, {
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: "25%", maxSurge: "25%" },
    });
    assert.equal(d!.spec.revisionHistoryLimit, 10);
    assert.equal(d!.spec.template.spec?.dnsPolicy, "ClusterFirst");
    assert.deepEqual(d!.spec.template.spec?.containers[0]?.ports, [
      { name: "http", containerPort: 8080, protocol: "TCP" },
    ]);
  });

  it("NetworkPolicy: policyTypes from the rules given, port protocol TCP", () => {
    const types = (spec: object) => (load(networkPolicy(spec))[0] as NetworkPolicy).spec.policyTypes;
    assert.deepEqual(types({}), ["Ingress"]);
    assert.deepEqual(types({ ingress: [{}] }), ["Ingress"]);
    assert.deepEqual(types({ egress: [{ to: [{ podSelector: {} }] }] }), ["Ingress", "Egress"]);
    assert.deepEqual(
      types({ egress: [] }),
      ["Ingress"],
      "as the API server: an empty egress list adds nothing",
    );
    assert.deepEqual(types({ policyTypes: ["Egress"] }), ["Egress"]);
    const np = load(
      networkPolicy({ ingress: [{ ports: [{ port: 80 }, { port: 53, protocol: "UDP" }] }] }),
    )[0] as NetworkPolicy;
    assert.deepEqual(np.spec.ingress?.[0]?.ports, [
      { port: 80, protocol: "TCP" },
      { port: 53, protocol: "UDP" },
    ]);
  });

  it("Secret: type Opaque, stringData merged into data (winning) and dropped", () => {
    const [s] = load({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "a" },
      data: { user: Buffer.from("old").toString("base64"), keep: "a2VlcA==" },
      stringData: { user: "admin" },
    }) as Secret[];
    assert.equal(s!.type, "Opaque");
    assert.deepEqual(s!.data, { user: Buffer.from("admin").toString("base64"), keep: "a2VlcA==" });
    assert.equal(s!.stringData, undefined);
  });

  it("EndpointSlice ports default to TCP", () => {
    const [slice] = load({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: { name: "e", namespace: "a" },
      addressType: "IPv4",
      endpoints: [],
      ports: [{ port: 80 }],
    });
    assert.deepEqual((slice as { ports?: unknown }).ports, [{ port: 80, protocol: "TCP" }]);
  });
});
