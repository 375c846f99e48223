import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { classIndex, ingressClassOf, isOurIngress } from "./class.js";
import { backend, ing, ingressClass } from "./testdata.js";

const spec = (className?: string) => ({
  ...(className ? { ingressClassName: className } : {}),
  defaultBackend: backend("web"),
});

describe("IngressClass selection", () => {
  const ours = ingressClass("flatnet", "flatnet.dev/ingress");
  const nginx = ingressClass("nginx", "k8s.io/ingress-nginx");

  it("spec.ingressClassName: ours when the class's controller is flatnet's; foreign or missing classes are ignored", () => {
    const idx = classIndex([ours, nginx]);
    assert.equal(isOurIngress(ing("a", spec("flatnet")), idx), true);
    assert.equal(isOurIngress(ing("b", spec("nginx")), idx), false);
    assert.equal(isOurIngress(ing("c", spec("missing")), idx), false);
    // A class of any name with our controller is ours.
    const idx2 = classIndex([ingressClass("internal", "flatnet.dev/ingress")]);
    assert.equal(isOurIngress(ing("d", spec("internal")), idx2), true);
  });

  it("class-less Ingresses belong to the default class, if it is ours", () => {
    assert.equal(isOurIngress(ing("a", spec()), classIndex([ours, nginx])), false, "no default class");
    const oursDefault = ingressClass("flatnet", "flatnet.dev/ingress", { isDefault: true });
    assert.equal(isOurIngress(ing("a", spec()), classIndex([oursDefault, nginx])), true);
    const nginxDefault = ingressClass("nginx", "k8s.io/ingress-nginx", { isDefault: true });
    assert.equal(isOurIngress(ing("a", spec()), classIndex([ours, nginxDefault])), false);
  });

  it("several default classes: the newest one", () => {
    const a = ingressClass("flatnet", "flatnet.dev/ingress", {
      isDefault: true,
      created: "2026-01-01T00:00:00Z",
    });
    const b = ingressClass("nginx", "k8s.io/ingress-nginx", {
      isDefault: true,
      created: "2026-02-01T00:00:00Z",
    });
    assert.equal(classIndex([a, b]).defaultClass, "nginx");
    assert.equal(classIndex([b, a]).defaultClass, "nginx");
    const c = ingressClass("other", "flatnet.dev/ingress", {
      isDefault: true,
      created: "2026-03-01T00:00:00Z",
    });
    assert.equal(isOurIngress(ing("x", spec()), classIndex([a, b, c])), true);
  });

  it("the deprecated kubernetes.io/ingress.class annotation is honoured, after the field", () => {
    const idx = classIndex([ours, nginx]);
    const legacy = (v: string, cls?: string) =>
      ing("l", spec(cls), { annotations: { "kubernetes.io/ingress.class": v } });
    assert.equal(isOurIngress(legacy("flatnet"), idx), true);
    assert.equal(isOurIngress(legacy("nginx"), idx), false);
    assert.equal(ingressClassOf(legacy("nginx", "flatnet"), idx), "flatnet");
    // The annotation names a class even when another is the default.
    const idxDefault = classIndex([
      ingressClass("flatnet", "flatnet.dev/ingress", { isDefault: true }),
      nginx,
    ]);
    assert.equal(isOurIngress(legacy("nginx"), idxDefault), false);
  });

  it('only the annotation value "true" marks a default class', () => {
    const c = ingressClass("flatnet", "flatnet.dev/ingress");
    c.metadata.annotations = { "ingressclass.kubernetes.io/is-default-class": "yes" };
    assert.equal(classIndex([c]).defaultClass, undefined);
  });
});
