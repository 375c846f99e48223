/**
 * Helpers for the api unit tests: build objects in code, load them through the real pipeline
 * (YAML text -> parse -> default -> validate), and assert the exact field error produced.
 */
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { type ManifestError, ManifestErrors, renderValue } from "./errors.js";
import { parseManifestText } from "./load.js";
import type { LoadedObject } from "./types.js";

/** Load objects as if they were the documents of one file, `t.yaml`. */
export function load(...objects: object[]): LoadedObject[] {
  return parseManifestText(objects.map((o) => stringify(o)).join("---\n"), "t.yaml");
}

/** The errors loading these objects produces ([] when they load). */
export function errorsOf(...objects: object[]): ManifestError[] {
  try {
    load(...objects);
    return [];
  } catch (err) {
    if (err instanceof ManifestErrors) return [...err.errors];
    throw err;
  }
}

/**
 * Assert that loading fails with an error at `field` (and, when given, with that value and a
 * message matching `detail`); the message must quote the field path and the rendered value.
 */
export function assertRejects(obj: object, field: string, value?: unknown, detail?: RegExp): ManifestError {
  const errors = errorsOf(obj);
  const found = errors.find(
    (e) => e.fieldPath === field && (value === undefined || isDeepEqual(e.value, value)),
  );
  assert.ok(
    found,
    `expected an error at ${field}${value === undefined ? "" : ` with value ${renderValue(value)}`}, got:\n${errors.map((e) => e.message).join("\n") || "(no errors)"}`,
  );
  assert.ok(found.message.includes(`${field}: `), found.message);
  if (value !== undefined) assert.ok(found.message.includes(renderValue(value)), found.message);
  if (detail) assert.match(found.message, detail);
  return found;
}

/** Assert these objects load without errors; returns what was loaded. */
export function assertAccepts(...objects: object[]): LoadedObject[] {
  const errors = errorsOf(...objects);
  assert.deepEqual(
    errors.map((e) => e.message),
    [],
  );
  return load(...objects);
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

// Builders of minimal valid objects, overridable field by field.

export function pod(spec: object = {}, metadata: object = {}): object {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "p", namespace: "ns", ...metadata },
    spec: { containers: [{ name: "c", image: "busybox" }], ...spec },
  };
}

export function container(fields: object = {}): object {
  return { name: "c", image: "busybox", ...fields };
}

export function service(spec: object = {}, metadata: object = {}): object {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "shop", ...metadata },
    spec: { selector: { app: "web" }, ports: [{ port: 80 }], ...spec },
  };
}

export function deployment(spec: object = {}, metadata: object = {}): object {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", namespace: "shop", ...metadata },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [{ name: "web", image: "nginx", ports: [{ name: "http", containerPort: 8080 }] }],
        },
      },
      ...spec,
    },
  };
}

export function networkPolicy(spec: object = {}): object {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "np", namespace: "shop" },
    spec: { podSelector: {}, ...spec },
  };
}

export function ingress(spec: object): object {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "ing", namespace: "shop" },
    spec,
  };
}

/** An Ingress with one rule whose one path is `path` (merged over a valid Prefix path). */
export function ingressPath(path: object, host = "shop.example.com"): object {
  return ingress({
    rules: [
      {
        host,
        http: {
          paths: [
            {
              path: "/",
              pathType: "Prefix",
              backend: { service: { name: "web", port: { number: 80 } } },
              ...path,
            },
          ],
        },
      },
    ],
  });
}
