/**
 * `flatnet trace [-n NS] POD TARGET[:PORT][/PROTO] [-f FILE|DIR ...] [-o json]`
 * Explain one connection hop by hop: from manifests offline with -f, else from the running
 * lab's objects (its real pod IPs, nodes and policies) — the same model either way.
 */

import { loadSnapshot, snapshotFromCluster } from "../analyzer/snapshot.js";
import { type Trace, traceConnection } from "../analyzer/trace.js";
import { parseTarget, resolvePod, resolveTarget } from "../analyzer/trace-target.js";
import type { Backend, LoadedObject } from "../api/index.js";
import { UserError } from "../util/errors.js";
import { helpOption, labCall, nameOption, outputFormat, outputOption, parse, targetLab } from "./common.js";

export const traceHelp = `Usage: flatnet trace [-n NS] POD TARGET[:PORT][/PROTO] [-f FILE|DIR ...] [-o json] [--name LAB]

Explain the fate of a connection from POD to TARGET (a pod or a Service, as NAME or
NAMESPACE/NAME, or an IP, a ClusterIP meaning its Service; port 80 and TCP unless given): the
source's route, for a Service the endpoints its node's proxy DNATs to (1/N each, with each
one's verdict; the first is followed), egress policy (which policy and rule allow it, or which
policies isolate the pod), the node's route lookup (bridge, VXLAN to which node, or a direct
route for host-gw), ingress policy, and whether anything listens. The verdict is delivered,
dropped, rejected (nothing listens, or a Service without endpoints) or unroutable.

With -f it works offline from manifests, as a fresh lab would run them; without, it reads
the running lab.

Options:
  -n, --namespace NS        namespace of POD and of a TARGET given without one (default "default")
  -f, --filename FILE|DIR   manifests to trace in, instead of the running lab (repeatable)
  -o, --output json         machine-readable output
      --name LAB            the lab to read (without -f)
`;

const LAB_KINDS = ["Namespace", "Node", "Pod", "Service", "NetworkPolicy"];

export async function trace(argv: string[]): Promise<number> {
  const { values, positionals } = parse("trace", argv, {
    ...helpOption,
    ...outputOption,
    ...nameOption,
    namespace: { type: "string", short: "n" },
    filename: { type: "string", short: "f", multiple: true },
  });
  if (values.help) {
    process.stdout.write(traceHelp);
    return 0;
  }
  const format = outputFormat(values.output, ["json"]);
  if (positionals.length !== 2) {
    throw new UserError(
      `flatnet trace: expected POD and TARGET, got ${positionals.length} argument${positionals.length === 1 ? "" : "s"}`,
      "e.g. flatnet trace -n x a y/b:80/TCP -f manifests/",
    );
  }
  const [podRef, targetText] = positionals as [string, string];
  const namespace = values.namespace ?? "default";
  const target = parseTarget(targetText);
  const snap = values.filename?.length
    ? await loadSnapshot(values.filename)
    : await liveSnapshot(values.name);
  const src = resolvePod(snap, podRef, namespace);
  const result = traceConnection(snap, {
    src,
    target: resolveTarget(snap, target.name, namespace),
    port: target.port,
    protocol: target.protocol,
  });
  process.stdout.write(format === "json" ? `${JSON.stringify(result, null, 2)}\n` : formatTrace(result));
  return 0;
}

async function liveSnapshot(name: string | undefined) {
  const lab = targetLab(name);
  const info = await labCall<{ backend: Backend }>(lab, "info");
  const objects: LoadedObject[] = [];
  for (const kind of LAB_KINDS) objects.push(...(await labCall<LoadedObject[]>(lab, "get", { kind })));
  return snapshotFromCluster(objects, info.backend);
}

export function formatTrace(t: Trace): string {
  const width = Math.max(4, ...t.hops.map((h) => h.node.length));
  const stageWidth = Math.max(5, ...t.hops.map((h) => h.stage.length));
  const lines = t.hops.map(
    (h, i) =>
      `${String(i + 1).padStart(2)}. ${h.node.padEnd(width)}  ${h.stage.padEnd(stageWidth)}  ${h.detail}`,
  );
  lines.push(`${t.verdict.toUpperCase()}: ${t.reason}`);
  return `${lines.join("\n")}\n`;
}
