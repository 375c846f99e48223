/** `flatnet get KIND [NAME] [-n NS | -A] [-o wide|json|yaml]` */
import { stringify } from "yaml";
import type { KObject } from "../cluster/types.js";
import { UserError } from "../util/errors.js";
import { helpOption, labCall, nameOption, outputFormat, outputOption, parse, targetLab } from "./common.js";
import { resolveKind } from "./kinds.js";
import { columnsFor } from "./printers.js";
import { table } from "./table.js";

export const getHelp = `Usage: flatnet get KIND [NAME] [-n NAMESPACE | -A] [-o wide|json|yaml] [--name LAB]

List objects of the running lab as kubectl does. KIND: pods, nodes, services, deployments,
endpointslices, namespaces, networkpolicies, ingresses, ingressclasses, secrets.
-o json prints a Kubernetes List whose items are the stored objects (with status).
`;

export async function get(argv: string[]): Promise<number> {
  const { values, positionals } = parse("get", argv, {
    ...helpOption,
    ...nameOption,
    ...outputOption,
    namespace: { type: "string", short: "n" },
    "all-namespaces": { type: "boolean", short: "A" },
  });
  if (values.help) {
    process.stdout.write(getHelp);
    return 0;
  }
  const [kindArg, objName] = positionals;
  if (!kindArg) throw new UserError("flatnet get: KIND is required", "e.g. flatnet get pods -A");
  const kind = resolveKind(kindArg);
  const format = outputFormat(values.output, ["wide", "json", "yaml"]);
  const all = values["all-namespaces"] && !objName;
  const namespace = kind.namespaced ? (all ? undefined : (values.namespace ?? "default")) : undefined;
  const lab = targetLab(values.name);
  const items = await labCall<KObject[]>(lab, "get", { kind: kind.kind, namespace, name: objName });
  if (format === "json" || format === "yaml") {
    const list = { apiVersion: "v1", kind: "List", metadata: { resourceVersion: "" }, items };
    process.stdout.write(format === "json" ? `${JSON.stringify(list, null, 2)}\n` : stringify(list));
    return 0;
  }
  if (items.length === 0) {
    process.stderr.write(
      namespace ? `No resources found in ${namespace} namespace.\n` : "No resources found\n",
    );
    return 0;
  }
  const dnsDomain =
    kind.kind === "Service" ? (await labCall<{ dnsDomain: string }>(lab, "info")).dnsDomain : "cluster.local";
  const cols = columnsFor(kind.kind, format === "wide", { dnsDomain });
  const showNs = kind.namespaced && all;
  process.stdout.write(
    table(
      showNs ? ["NAMESPACE", ...cols.headers] : cols.headers,
      items.map((o) => (showNs ? [o.metadata.namespace ?? "default", ...cols.row(o)] : cols.row(o))),
    ),
  );
  return 0;
}
