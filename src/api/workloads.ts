/**
 * Deployments expand to the Pods their controller would create: a ReplicaSet named
 * `<deployment>-<pod-template-hash>` and `spec.replicas` Pods named `<replicaset>-<5 chars>`
 * (the base cut to 58 characters, as Kubernetes' name generator does, so pod names stay valid
 * hostnames). Pods carry the template's labels plus `pod-template-hash`, its annotations and
 * spec, and an ownerReference to the ReplicaSet. Names are deterministic (see template-hash.ts).
 */
import type { V1OwnerReference } from "@kubernetes/client-node";
import { UserError } from "../util/errors.js";
import { describeObject, inheritSource } from "./source.js";
import { podNameSuffix, podTemplateHash, stableUid } from "./template-hash.js";
import type { Deployment, LoadedObject, Pod } from "./types.js";
import { objectKey } from "./types.js";

const MAX_GENERATED_BASE = 58;

export function replicaSetName(deployment: Deployment): string {
  const hash = podTemplateHash(deployment.spec.template, deployment.status?.collisionCount);
  return `${deployment.metadata.name}-${hash}`;
}

/** The Pod names of a Deployment's replicas, index 0 first; stable across calls. */
export function deploymentPodNames(deployment: Deployment): string[] {
  const rs = replicaSetName(deployment);
  const base = `${rs}-`.slice(0, MAX_GENERATED_BASE);
  const names: string[] = [];
  const used = new Set<string>();
  for (let i = 0; i < (deployment.spec.replicas ?? 1); i++) {
    let attempt = 0;
    let name = base + podNameSuffix(rs, i, attempt);
    while (used.has(name)) name = base + podNameSuffix(rs, i, ++attempt);
    used.add(name);
    names.push(name);
  }
  return names;
}

/** The Pods a (defaulted, validated) Deployment stands for. */
export function deploymentPods(deployment: Deployment): Pod[] {
  const rs = replicaSetName(deployment);
  const hash = rs.slice(deployment.metadata.name.length + 1);
  const template = deployment.spec.template;
  const owner: V1OwnerReference = {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    name: rs,
    uid: stableUid(`ReplicaSet/${deployment.metadata.namespace}/${rs}`),
    controller: true,
    blockOwnerDeletion: true,
  };
  return deploymentPodNames(deployment).map((name) => {
    const pod: Pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: deployment.metadata.namespace,
        generateName: `${rs}-`.slice(0, MAX_GENERATED_BASE),
        labels: { ...(template.metadata?.labels ?? {}), "pod-template-hash": hash },
        ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
        ownerReferences: [{ ...owner }],
      },
      spec: structuredClone(template.spec ?? { containers: [] }),
    };
    return inheritSource(pod, deployment);
  });
}

/** The objects with each Deployment followed by its Pods (the Deployment itself is kept). */
export function expandWorkloads(objects: readonly LoadedObject[]): LoadedObject[] {
  const out: LoadedObject[] = [];
  const keys = new Map<string, LoadedObject>();
  const add = (obj: LoadedObject) => {
    const key = objectKey(obj);
    const other = keys.get(key);
    if (other) {
      throw new UserError(
        `${describeObject(obj)} clashes with ${describeObject(other)}`,
        "rename one of them (a Deployment's pods are named <deployment>-<hash>-<suffix>)",
      );
    }
    keys.set(key, obj);
    out.push(obj);
  };
  for (const obj of objects) {
    add(obj);
    if (obj.kind === "Deployment") for (const pod of deploymentPods(obj)) add(pod);
  }
  return out;
}
