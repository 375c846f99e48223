import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ManifestErrors } from "./errors.js";
import { listManifestFiles, loadManifests, parseManifestText } from "./load.js";
import { describeObject, sourceOf } from "./source.js";
import { isClusterConfig, isDeployment, isPod, isSecret, isService, objectKey } from "./types.js";
import { expandWorkloads } from "./workloads.js";

// Works from src/api (tsx) and dist/src/api (compiled): walk up to the directory holding test/.
const here = dirname(fileURLToPath(import.meta.url));
const root = here.includes(`${join("dist", "src")}`) ? join(here, "..", "..", "..") : join(here, "..", "..");
const fixtures = join(root, "test", "fixtures", "manifests");

async function loadErrors(paths: string[]): Promise<ManifestErrors> {
  try {
    await loadManifests(paths);
  } catch (err) {
    if (err instanceof ManifestErrors) return err;
    throw err;
  }
  assert.fail("expected the load to fail");
}

describe("loadManifests", () => {
  it("walks a directory recursively in sorted order, skipping non-manifest files", async () => {
    const files = await listManifestFiles([join(fixtures, "valid")]);
    const rel = files.map((f) => f.slice(join(fixtures, "valid").length + 1));
    assert.deepEqual(rel, [
      "00-namespaces.yaml",
      "cluster.yaml",
      "nested/endpoints.yml",
      "nested/ingress.yaml",
      "nested/list.json",
      "shop.yaml",
    ]);
  });

  it("loads multi-document YAML, JSON, List items and the Cluster config", async () => {
    const objects = await loadManifests([join(fixtures, "valid")]);
    assert.deepEqual(objects.map(objectKey), [
      "Namespace/shop",
      "Namespace/backend",
      "Cluster/fixture",
      "EndpointSlice/backend/external-db-1",
      "IngressClass/flatnet",
      "Secret/shop/shop-tls",
      "Ingress/shop/shop",
      "ConfigMap/backend/settings",
      "Node/node-3",
      "Deployment/shop/web",
      "Service/shop/web",
      "NetworkPolicy/shop/web-from-backend",
    ]);
    assert.equal(objects.filter(isClusterConfig).length, 1);
    const secret = objects.find(isSecret)!;
    assert.equal(secret.data?.["tls.key"], Buffer.from("not-really-a-key").toString("base64"));
  });

  it("remembers each object's file and document index, counting empty documents", async () => {
    const objects = await loadManifests([join(fixtures, "valid")]);
    const backend = objects.find((o) => objectKey(o) === "Namespace/backend")!;
    assert.deepEqual(sourceOf(backend), { file: join(fixtures, "valid", "00-namespaces.yaml"), docIndex: 3 });
    const node = objects.find((o) => objectKey(o) === "Node/node-3")!;
    assert.deepEqual(sourceOf(node), {
      file: join(fixtures, "valid", "nested", "list.json"),
      docIndex: 0,
      itemIndex: 1,
    });
    assert.equal(
      describeObject(node),
      `${join(fixtures, "valid", "nested", "list.json")}#0 items[1] Node node-3`,
    );
  });

  it("reports every problem of the load at once, naming file, document, object, field and value", async () => {
    const file = join(fixtures, "bad", "service-ports.yaml");
    const err = await loadErrors([file]);
    const messages = err.errors.map((e) => e.message);
    assert.deepEqual(messages, [
      `${file}#2 Service shop/web: spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive`,
      `${file}#3 Pod default/Bad_Name: metadata.name: Invalid value: "Bad_Name": must be a lowercase RFC 1123 subdomain: dot-separated labels of lowercase letters, digits and '-', each starting and ending with a letter or digit (e.g. 'example.com')`,
      `${file}#3 Pod default/Bad_Name: spec.containers[0].ports[0].containerPort: Invalid value: 0: must be between 1 and 65535, inclusive`,
    ]);
    const first = err.errors[0]!;
    assert.equal(first.file, file);
    assert.equal(first.docIndex, 2);
    assert.equal(first.fieldPath, "spec.ports[1].port");
    assert.equal(first.value, 70000);
    assert.match(err.message, /^3 problems in the manifests:\n/);
  });

  it("rejects unknown kinds, unserved apiVersions and YAML syntax errors", async () => {
    const file = join(fixtures, "bad", "unknown.yaml");
    const err = await loadErrors([file]);
    const [unknown, legacy, syntax] = err.errors;
    assert.equal(unknown!.fieldPath, "kind");
    assert.equal(unknown!.value, "ReplicationController");
    assert.match(
      unknown!.message,
      /#0 ReplicationController: kind: Invalid value: "ReplicationController": flatnet does not accept kind ReplicationController \(apiVersion v1\); accepted: Namespace \(v1\), Pod \(v1\), .*Deployment \(apps\/v1\).*Cluster \(flatnet.dev\/v1alpha1\)/,
    );
    assert.equal(legacy!.fieldPath, "apiVersion");
    assert.match(
      legacy!.message,
      /#1 Deployment: apiVersion: Invalid value: "extensions\/v1beta1": kind Deployment is served at apiVersion apps\/v1$/,
    );
    assert.equal(syntax!.docIndex, 2);
    assert.match(syntax!.message, /#2: Syntax error: .* at line 14, column 1$/);
    assert.equal(err.errors.length, 3);
  });

  it("rejects duplicates across files, naming both places", async () => {
    const err = await loadErrors([join(fixtures, "duplicates")]);
    assert.equal(err.errors.length, 1);
    const dup = err.errors[0]!;
    assert.equal(dup.file, join(fixtures, "duplicates", "b.yaml"));
    assert.equal(dup.docIndex, 1);
    assert.equal(dup.fieldPath, "metadata.name");
    assert.ok(
      dup.message.includes(`Pod default/twin is also defined at ${join(fixtures, "duplicates", "a.yaml")}#0`),
      dup.message,
    );
  });

  it("fails clearly for a path that does not exist or a directory without manifests", async () => {
    await assert.rejects(
      loadManifests([join(fixtures, "missing.yaml")]),
      /cannot read manifest path ".*missing.yaml": ENOENT/,
    );
    const empty = await mkdtemp(join(tmpdir(), "flatnet-api-"));
    try {
      await writeFile(join(empty, "notes.txt"), "nothing");
      await assert.rejects(loadManifests([empty]), /no manifests in directory/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it("loads a file once even when named twice", async () => {
    const file = join(fixtures, "duplicates", "a.yaml");
    const objects = await loadManifests([file, file]);
    assert.equal(objects.length, 1);
  });
});

describe("parseManifestText", () => {
  it("expands a List and rejects nested Lists and wrong List apiVersions", () => {
    const text = JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } },
        { apiVersion: "v1", kind: "List", items: [] },
      ],
    });
    assert.throws(
      () => parseManifestText(text, "list.json"),
      (err: unknown) => {
        assert.ok(err instanceof ManifestErrors);
        assert.equal(err.errors.length, 1);
        assert.equal(
          err.errors[0]!.message,
          'list.json#0: items[1].kind: Invalid value: "List": Lists do not nest',
        );
        return true;
      },
    );
    assert.throws(
      () => parseManifestText("apiVersion: v2\nkind: List\nitems: []\n", "l.yaml"),
      /apiVersion: Invalid value: "v2": kind List is served at apiVersion v1/,
    );
  });

  it("rejects documents that are not mappings, missing kinds and missing apiVersions", () => {
    assert.throws(
      () => parseManifestText("- a\n- b\n", "x.yaml"),
      /x.yaml#0: Syntax error: a document must be a mapping/,
    );
    assert.throws(
      () => parseManifestText("apiVersion: v1\nmetadata: {name: a}\n", "x.yaml"),
      /x.yaml#0: kind: Required value/,
    );
    assert.throws(
      () => parseManifestText("kind: Pod\nmetadata: {name: a}\n", "x.yaml"),
      /x.yaml#0 Pod: apiVersion: Required value: kind Pod needs apiVersion: v1/,
    );
  });

  it("rejects duplicate keys in a mapping, as strict decoding does", () => {
    assert.throws(
      () => parseManifestText("apiVersion: v1\nkind: Namespace\nkind: Namespace\n", "x.yaml"),
      /Syntax error: Map keys must be unique/,
    );
  });

  it("returns an empty list for a file of empty documents", () => {
    assert.deepEqual(parseManifestText("---\n# only a comment\n---\n", "x.yaml"), []);
  });

  it("prefixes the field path of List items with items[i]", () => {
    const text = JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [{ apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [{ port: 0 }] } }],
    });
    assert.throws(
      () => parseManifestText(text, "l.json"),
      (err: unknown) => {
        assert.ok(err instanceof ManifestErrors);
        assert.equal(err.errors[0]!.fieldPath, "items[0].spec.ports[0].port");
        assert.equal(
          err.errors[0]!.message,
          "l.json#0 Service default/s: items[0].spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive",
        );
        return true;
      },
    );
  });
});

describe("examples/demo", () => {
  it("loads, validates and expands to the demo's pods", async () => {
    const objects = await loadManifests([join(root, "examples", "demo")]);
    const expanded = expandWorkloads(objects);
    const pods = expanded.filter(isPod);
    assert.ok(pods.length >= 8 && pods.length <= 10, `demo has ${pods.length} pods`);
    assert.deepEqual(
      objects
        .filter(isDeployment)
        .map((d) => `${d.metadata.namespace}/${d.metadata.name}=${d.spec.replicas}`)
        .sort(),
      ["backend/api=2", "shop/cart=2", "shop/web=3"],
    );
    const web = objects.filter(isService).find((s) => s.metadata.name === "web")!;
    assert.deepEqual(web.spec.ports, [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }]);
    const api = objects.filter(isService).find((s) => s.metadata.name === "api")!;
    assert.deepEqual(
      api.spec.ports?.map((p) => `${p.name}:${p.port}/${p.protocol}`),
      ["http:80/TCP", "dns:53/UDP"],
    );
  });

  it("has the nginx Pod that `kubectl run nginx --image=nginx --port=80` creates", async () => {
    const objects = await loadManifests([join(root, "examples", "demo", "nginx.yaml")]);
    const [nginx] = objects.filter(isPod);
    assert.equal(objects.length, 1);
    assert.equal(nginx!.metadata.name, "nginx");
    assert.equal(nginx!.metadata.namespace, "default");
    assert.deepEqual(nginx!.metadata.labels, { run: "nginx" });
    const [c] = nginx!.spec.containers;
    assert.equal(c!.name, "nginx");
    assert.equal(c!.image, "nginx");
    assert.deepEqual(c!.ports, [{ containerPort: 80, protocol: "TCP" }]);
  });
});
