/**
 * `flatnet apply -f FILE|DIR ...` and `flatnet delete -f ... | KIND NAME [-n NS]`.
 * Manifests are loaded and validated here, before anything reaches the lab: an invalid file
 * changes nothing. The lab's admission then applies all objects or none.
 */
import { loadManifests } from "../api/index.js";
import type { KObject } from "../cluster/types.js";
import { UserError } from "../util/errors.js";
import { helpOption, labCall, nameOption, parse, targetLab } from "./common.js";
import { resolveKind } from "./kinds.js";

export const applyHelp = `Usage: flatnet apply -f FILE|DIR ... [--name LAB]

Create or update objects in the running lab, as kubectl apply does (a Pod with new labels
keeps its IP). Everything is validated first; nothing changes if any object is invalid.
`;

export const deleteHelp = `Usage: flatnet delete -f FILE|DIR ... [--name LAB]
       flatnet delete KIND NAME [-n NAMESPACE] [--name LAB]

Delete objects from the running lab. Pods terminate gracefully on their node.
`;

export async function apply(argv: string[]): Promise<number> {
  const { values } = parse(
    "apply",
    argv,
    { ...helpOption, ...nameOption, filename: { type: "string", short: "f", multiple: true } },
    false,
  );
  if (values.help) {
    process.stdout.write(applyHelp);
    return 0;
  }
  if (!values.filename?.length) throw new UserError("flatnet apply: -f FILE|DIR is required");
  const objects = (await loadManifests(values.filename)).filter(
    (o: { kind: string }) => o.kind !== "Cluster",
  );
  const lab = targetLab(values.name);
  const results = await labCall<Array<{ key: string; action: string }>>(lab, "apply", { objects });
  for (const r of results) process.stdout.write(`${describe(r.key)} ${r.action}\n`);
  return 0;
}

/** "Pod/shop/web-1" -> "pod/web-1" as kubectl prints it. */
function describe(key: string): string {
  const parts = key.split("/");
  return `${parts[0]!.toLowerCase()}/${parts[parts.length - 1]}`;
}

export async function del(argv: string[]): Promise<number> {
  const { values, positionals } = parse("delete", argv, {
    ...helpOption,
    ...nameOption,
    filename: { type: "string", short: "f", multiple: true },
    namespace: { type: "string", short: "n" },
  });
  if (values.help) {
    process.stdout.write(deleteHelp);
    return 0;
  }
  let refs: Array<{ kind: string; namespace?: string; name: string }>;
  if (values.filename?.length) {
    const objects = (await loadManifests(values.filename)) as unknown as KObject[];
    refs = objects
      .filter((o) => o.kind !== "Cluster")
      .map((o) => ({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name }));
  } else {
    const [kindArg, name] = positionals;
    if (!kindArg || !name)
      throw new UserError("flatnet delete: give -f FILE or KIND NAME", "see flatnet delete --help");
    const kind = resolveKind(kindArg);
    refs = [
      { kind: kind.kind, namespace: kind.namespaced ? (values.namespace ?? "default") : undefined, name },
    ];
  }
  const lab = targetLab(values.name);
  const results = await labCall<Array<{ key: string; found: boolean }>>(lab, "delete", { refs });
  const missing = results.filter((r) => !r.found);
  for (const r of results) if (r.found) process.stdout.write(`${describe(r.key)} deleted\n`);
  if (missing.length) {
    throw new UserError(`not found: ${missing.map((r) => describe(r.key)).join(", ")}`);
  }
  return 0;
}
