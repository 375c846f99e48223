/**
 * Which Ingresses are flatnet's, per the networking.k8s.io/v1 documentation on IngressClass:
 *
 * - `spec.ingressClassName` names an IngressClass: ours when that class exists and its
 *   `spec.controller` is flatnet's (`flatnet.dev/ingress`); a foreign or missing class is
 *   someone else's Ingress and ignored.
 * - Without it, the deprecated `kubernetes.io/ingress.class` annotation is honoured the same
 *   way (its value names the class).
 * - Without both, the Ingress belongs to the default IngressClass: the one annotated
 *   `ingressclass.kubernetes.io/is-default-class: "true"` (the newest one if several are, as
 *   the DefaultIngressClass admission plugin picks). Kubernetes fills in the name when the
 *   Ingress is created; flatnet decides when routing, so marking a class default later also
 *   adopts the class-less Ingresses that exist already.
 */
import type { KObject } from "../cluster/types.js";

export const FLATNET_CONTROLLER = "flatnet.dev/ingress";
export const DEFAULT_CLASS_ANNOTATION = "ingressclass.kubernetes.io/is-default-class";
export const LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

export interface ClassIndex {
  /** Names of the IngressClasses whose controller is ours. */
  ours: Set<string>;
  /** The default class's name, if any class is marked default. */
  defaultClass: string | undefined;
}

function created(o: KObject): string {
  return o.metadata.creationTimestamp ?? "";
}

export function classIndex(classes: Iterable<KObject>, controller = FLATNET_CONTROLLER): ClassIndex {
  const ours = new Set<string>();
  let newestDefault: KObject | undefined;
  for (const c of classes) {
    if (c.spec?.controller === controller) ours.add(c.metadata.name);
    if (c.metadata.annotations?.[DEFAULT_CLASS_ANNOTATION] !== "true") continue;
    if (
      !newestDefault ||
      created(c) > created(newestDefault) ||
      (created(c) === created(newestDefault) && c.metadata.name < newestDefault.metadata.name)
    )
      newestDefault = c;
  }
  return { ours, defaultClass: newestDefault?.metadata.name };
}

/** The class an Ingress asks for (field, then legacy annotation, then the default). */
export function ingressClassOf(ing: KObject, idx: ClassIndex): string | undefined {
  const field = ing.spec?.ingressClassName;
  if (typeof field === "string" && field !== "") return field;
  const legacy = ing.metadata.annotations?.[LEGACY_CLASS_ANNOTATION];
  if (legacy) return legacy;
  return idx.defaultClass;
}

export function isOurIngress(ing: KObject, idx: ClassIndex): boolean {
  const cls = ingressClassOf(ing, idx);
  return cls !== undefined && idx.ours.has(cls);
}
