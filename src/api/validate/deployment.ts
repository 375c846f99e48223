/**
 * Deployments: a selector that is present, non-empty and matches the template's labels,
 * replicas >= 0, a strategy the controller knows, and a pod template that is a valid pod
 * (whose restartPolicy must be Always, as the controller keeps pods running).
 */
import type { V1LabelSelector } from "@kubernetes/client-node";
import { selectorMatches } from "../selector.js";
import {
  at,
  checkEnum,
  type FieldErrors,
  intField,
  isRecord,
  type Json,
  objectField,
  stringField,
} from "./field.js";
import { validateAnnotations, validateLabelSelector, validateLabels } from "./labels.js";
import { validateObjectMeta } from "./metadata.js";
import { validatePodSpec } from "./pod.js";

export function validateDeployment(errs: FieldErrors, obj: Json): void {
  validateObjectMeta(errs, obj, "Deployment");
  const spec = objectField(errs, "spec", obj.spec);
  if (!spec) {
    errs.required("spec");
    return;
  }
  const replicas = intField(errs, "spec.replicas", spec.replicas);
  if (replicas !== undefined && replicas < 0)
    errs.invalid("spec.replicas", replicas, "must be greater than or equal to 0");

  const selectorOk = validateSelector(errs, spec.selector);
  const template = objectField(errs, "spec.template", spec.template);
  if (!template) {
    errs.required("spec.template");
    return;
  }
  const meta = objectField(errs, "spec.template.metadata", template.metadata);
  const errorsBeforeLabels = errs.list.length;
  const labels = validateLabels(errs, "spec.template.metadata.labels", meta?.labels);
  const labelsOk = errorsBeforeLabels === errs.list.length;
  validateAnnotations(errs, "spec.template.metadata.annotations", meta?.annotations);
  if (selectorOk && labelsOk && isRecord(spec.selector)) {
    if (!selectorMatches(spec.selector as V1LabelSelector, labels)) {
      errs.invalid("spec.template.metadata.labels", labels, "`selector` does not match template `labels`");
    }
  }
  if (template.spec === undefined || template.spec === null) errs.required("spec.template.spec");
  validatePodSpec(errs, "spec.template.spec", template.spec);
  const tspec = isRecord(template.spec) ? template.spec : undefined;
  const restart = typeof tspec?.restartPolicy === "string" ? tspec.restartPolicy : undefined;
  if (restart !== undefined && restart !== "Always") {
    errs.unsupported("spec.template.spec.restartPolicy", restart, ["Always"]);
  }
  const strategy = objectField(errs, "spec.strategy", spec.strategy);
  if (strategy) {
    const type = stringField(errs, "spec.strategy.type", strategy.type);
    checkEnum(errs, "spec.strategy.type", type, ["RollingUpdate", "Recreate"]);
    if (type === "Recreate" && strategy.rollingUpdate !== undefined && strategy.rollingUpdate !== null) {
      errs.forbidden(
        at("spec.strategy", "rollingUpdate"),
        "may not be specified when strategy `type` is 'Recreate'",
      );
    }
  }
}

/** Returns whether the selector is usable for matching (present, well-formed, non-empty). */
function validateSelector(errs: FieldErrors, v: unknown): boolean {
  if (v === undefined || v === null) {
    errs.required("spec.selector");
    return false;
  }
  const before = errs.list.length;
  validateLabelSelector(errs, "spec.selector", v);
  if (errs.list.length !== before || !isRecord(v)) return false;
  const hasLabels = isRecord(v.matchLabels) && Object.keys(v.matchLabels).length > 0;
  const hasExprs = Array.isArray(v.matchExpressions) && v.matchExpressions.length > 0;
  if (!hasLabels && !hasExprs) {
    errs.invalid("spec.selector", v, "empty selector is invalid for deployment");
    return false;
  }
  return true;
}
