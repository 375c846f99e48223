/**
 * `flatnet analyze -f FILE|DIR ... [--port P[,P]] [--protocol TCP|UDP[,..]] [-o json]`
 * `flatnet analyze --diff -f OLD ... --against NEW ... [-o json]`
 * Offline and without root: the reachability matrix the manifests imply (the shape `flatnet
 * probe` measures on a live lab), or which pairs a change of manifests opens or closes.
 */
import { type AnalysisDiff, analyze as analyzeSnapshot, diffMatrices } from "../analyzer/analyze.js";
import { loadSnapshot } from "../analyzer/snapshot.js";
import { UserError } from "../util/errors.js";
import { helpOption, outputFormat, outputOption, parse } from "./common.js";
import { parsePorts, parseProtocols, printMatrices } from "./matrix.js";

export const analyzeHelp = `Usage: flatnet analyze -f FILE|DIR ... [--port P[,P...]] [--protocol TCP|UDP[,...]] [-o json]
       flatnet analyze --diff -f OLD ... --against NEW ... [--port ...] [--protocol ...] [-o json]

Compute pod-to-pod reachability from manifests, offline (no lab, no root): every pod to
every pod on each port and protocol (default: port 80, TCP), as NetworkPolicies allow it and
as the destination listens (its containers' ports). Deployments are expanded; pods keep
status.podIP when given, else get the address a fresh lab would give them.

With --diff, compare the manifests given by -f (before) with those given by --against
(after) and list the pairs the change opens and closes.

Options:
  -f, --filename FILE|DIR   manifests (repeatable)
      --against FILE|DIR    the changed manifests to compare with (repeatable; with --diff)
      --diff                print what changes between -f and --against
      --port P[,P...]       ports (default 80)
      --protocol TCP|UDP    protocols (default TCP)
  -o, --output json         machine-readable output
`;

export async function analyze(argv: string[]): Promise<number> {
  const { values } = parse(
    "analyze",
    argv,
    {
      ...helpOption,
      ...outputOption,
      filename: { type: "string", short: "f", multiple: true },
      against: { type: "string", multiple: true },
      diff: { type: "boolean" },
      port: { type: "string" },
      protocol: { type: "string" },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(analyzeHelp);
    return 0;
  }
  const format = outputFormat(values.output, ["json"]);
  if (!values.filename?.length)
    throw new UserError("flatnet analyze: no manifests given", "pass -f FILE|DIR");
  if (values.diff && !values.against?.length) {
    throw new UserError(
      "flatnet analyze --diff: nothing to compare with",
      "pass the changed manifests with --against FILE|DIR",
    );
  }
  if (!values.diff && values.against?.length) {
    throw new UserError(
      "flatnet analyze: --against needs --diff",
      "add --diff to compare the two sets of manifests",
    );
  }
  const ports = parsePorts(values.port ?? "80");
  const protocols = parseProtocols(values.protocol ?? "TCP");
  const before = await loadSnapshot(values.filename);
  const matrices = analyzeSnapshot(before, ports, protocols);
  if (!values.diff) {
    printMatrices(matrices, format === "json");
    if (format !== "json") printPending(before.pods);
    return 0;
  }
  const after = await loadSnapshot(values.against!);
  const diff = diffMatrices(matrices, analyzeSnapshot(after, ports, protocols));
  if (format === "json") process.stdout.write(`${JSON.stringify(diff, null, 2)}\n`);
  else process.stdout.write(formatDiff(diff));
  return 0;
}

function printPending(pods: ReadonlyArray<{ key: string; pending?: string }>): void {
  const pending = pods.filter((p) => p.pending);
  if (pending.length === 0) return;
  const lines = pending.map((p) => `  ${p.key}: ${p.pending}`);
  process.stdout.write(
    `Pods that would not run (they reach nothing and nothing reaches them):\n${lines.join("\n")}\n`,
  );
}

export function formatDiff(diff: AnalysisDiff): string {
  const lines: string[] = [];
  for (const d of diff.diffs) {
    lines.push(`${d.protocol}/${d.port}: ${d.opened.length} opened, ${d.closed.length} closed`);
    for (const p of d.opened) lines.push(`  + ${p.from} -> ${p.to}`);
    for (const p of d.closed) lines.push(`  - ${p.from} -> ${p.to}`);
  }
  if (diff.addedPods.length) lines.push(`pods added: ${diff.addedPods.join(", ")}`);
  if (diff.removedPods.length) lines.push(`pods removed: ${diff.removedPods.join(", ")}`);
  return `${lines.join("\n")}\n`;
}
