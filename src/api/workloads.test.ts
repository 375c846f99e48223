import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sourceOf } from "./source.js";
import { podNameSuffix, podTemplateHash, SAFE_ALPHABET, safeEncode, stableUid } from "./template-hash.js";
import { deployment, load, pod } from "./test-support.js";
import { type Deployment, isPod, objectKey, type Pod } from "./types.js";
import { deploymentPodNames, expandWorkloads, replicaSetName } from "./workloads.js";

const safe = `[${SAFE_ALPHABET}]`;
const loadDeployment = (spec: object = {}, meta: object = {}) =>
  load(deployment(spec, meta))[0] as Deployment;

describe("pod-template-hash", () => {
  it("encodes the decimal FNV-1a hash in the safe alphabet", () => {
    // '0' is char 48 and 48 % 27 = 21, the alphabet's "4"; '6' is 54 % 27 = 0, its "b".
    assert.equal(safeEncode("0123456789"), "456789bcdf");
    const hash = podTemplateHash({ metadata: { labels: { app: "web" } } });
    assert.match(hash, new RegExp(`^${safe}{1,10}$`));
  });

  it("is stable under key order and changes with the template or collisionCount", () => {
    const a = podTemplateHash({ metadata: { labels: { app: "web", tier: "a" } }, spec: { containers: [] } });
    const b = podTemplateHash({ spec: { containers: [] }, metadata: { labels: { tier: "a", app: "web" } } });
    assert.equal(a, b);
    assert.notEqual(
      a,
      podTemplateHash({ metadata: { labels: { app: "web", tier: "b" } }, spec: { containers: [] } }),
    );
    assert.notEqual(
      a,
      podTemplateHash({ metadata: { labels: { app: "web", tier: "a" } }, spec: { containers: [] } }, 1),
    );
  });

  it("gives stable, UUID-shaped uids", () => {
    assert.match(stableUid("x"), /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(stableUid("x"), stableUid("x"));
    assert.notEqual(stableUid("x"), stableUid("y"));
  });
});

describe("expandWorkloads", () => {
  it("names ReplicaSets <deployment>-<hash> and Pods <replicaset>-<5 safe chars>", () => {
    const d = loadDeployment();
    const rs = replicaSetName(d);
    assert.match(rs, new RegExp(`^web-${safe}{6,10}$`));
    const names = deploymentPodNames(d);
    assert.equal(names.length, 3);
    for (const name of names) assert.match(name, new RegExp(`^${rs}-${safe}{5}$`));
    assert.equal(new Set(names).size, 3);
  });

  it("gives the same names when the same Deployment is applied again", () => {
    const first = deploymentPodNames(loadDeployment());
    const again = deploymentPodNames(loadDeployment());
    assert.deepEqual(again, first);
    const scaled = deploymentPodNames(loadDeployment({ replicas: 5 }));
    assert.deepEqual(scaled.slice(0, 3), first, "scaling up keeps the existing replicas' names");
    const changed = deploymentPodNames(
      loadDeployment({
        template: {
          metadata: { labels: { app: "web", v: "2" } },
          spec: { containers: [{ name: "web", image: "nginx:2" }] },
        },
      }),
    );
    assert.notEqual(changed[0], first[0], "a new template is a new ReplicaSet");
  });

  it("makes pods with the template's labels plus pod-template-hash, its spec, and an owner ReplicaSet", () => {
    const d = loadDeployment({}, { namespace: "shop" });
    const objects = expandWorkloads([d]);
    assert.equal(objects[0], d, "the Deployment itself is kept first");
    const pods = objects.filter(isPod);
    assert.equal(pods.length, 3);
    const rs = replicaSetName(d);
    const hash = rs.slice("web-".length);
    for (const p of pods) {
      assert.equal(p.metadata.namespace, "shop");
      assert.deepEqual(p.metadata.labels, { app: "web", "pod-template-hash": hash });
      assert.equal(p.metadata.generateName, `${rs}-`);
      assert.deepEqual(p.spec, d.spec.template.spec);
      assert.notEqual(p.spec, d.spec.template.spec, "each pod has its own copy of the spec");
      const [owner] = p.metadata.ownerReferences ?? [];
      assert.equal(owner?.kind, "ReplicaSet");
      assert.equal(owner?.apiVersion, "apps/v1");
      assert.equal(owner?.name, rs);
      assert.equal(owner?.controller, true);
      assert.equal(owner?.uid, stableUid(`ReplicaSet/shop/${rs}`));
      assert.deepEqual(sourceOf(p), sourceOf(d));
    }
  });

  it("keeps other objects and expands zero replicas to no pods", () => {
    const [plain] = load(pod({}, { name: "solo" }));
    const objects = expandWorkloads([plain!, loadDeployment({ replicas: 0 })]);
    assert.deepEqual(objects.map(objectKey), ["Pod/ns/solo", "Deployment/shop/web"]);
  });

  it("cuts long names like Kubernetes' generator so pod names stay within 63 characters", () => {
    const name = "a".repeat(60);
    const d = loadDeployment({}, { name });
    const [podName] = deploymentPodNames(d);
    assert.equal(podName!.length, 63);
    assert.ok(podName!.startsWith(`${replicaSetName(d)}-`.slice(0, 58)));
  });

  it("rejects a generated pod that clashes with a Pod in the list", () => {
    const d = loadDeployment();
    const clash = { ...(load(pod({}, { name: deploymentPodNames(d)[1], namespace: "shop" }))[0] as Pod) };
    assert.throws(() => expandWorkloads([clash, d]), /Pod shop\/web-.* clashes with Pod shop\/web-/);
  });

  it("derives suffixes from the ReplicaSet name, index and attempt", () => {
    assert.equal(podNameSuffix("web-abc", 0), podNameSuffix("web-abc", 0));
    assert.notEqual(podNameSuffix("web-abc", 0), podNameSuffix("web-abc", 1));
    assert.notEqual(podNameSuffix("web-abc", 0), podNameSuffix("web-abc", 0, 1));
    assert.match(podNameSuffix("x", 7), new RegExp(`^${safe}{5}$`));
  });
});
