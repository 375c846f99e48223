/**
 * The datapath benchmark's markdown summary, rendered from the same object as the JSON file.
 */
export interface BenchRow {
  path: string;
  metric: "throughput" | "rr";
  unit: string;
  hand: number[];
  flatnet: number[];
  handMedian: number;
  flatnetMedian: number;
  ratio: number;
  meetsGoal: boolean;
}

export interface BenchResult {
  date: string;
  machine: { nproc: number; kernel: string; cpu: string };
  settings: Record<string, string | number>;
  goal: number;
  results: BenchRow[];
}

function fmt(v: number, unit: string): string {
  return unit === "Gbit/s" ? v.toFixed(2) : v.toFixed(0);
}

export function renderMarkdown(r: BenchResult): string {
  const lines = [
    "# Datapath benchmark",
    "",
    `Date: ${r.date}  `,
    `Machine: ${r.machine.nproc} CPUs (${r.machine.cpu}), kernel ${r.machine.kernel}`,
    "",
    "flatnet's pod network against the same kernel path built by hand with `ip` (baseline), in the same run.",
    `Ratio = median(flatnet) / median(hand); goal >= ${r.goal}.`,
    "",
    "| path | metric | hand (median) | flatnet (median) | ratio | goal |",
    "| --- | --- | ---: | ---: | ---: | :---: |",
    ...r.results.map(
      (x) =>
        `| ${x.path} | ${x.metric === "throughput" ? "TCP throughput" : "TCP request/response"} | ${fmt(x.handMedian, x.unit)} ${x.unit} | ${fmt(x.flatnetMedian, x.unit)} ${x.unit} | ${x.ratio.toFixed(3)} | ${x.meetsGoal ? "met" : "missed"} |`,
    ),
    "",
    "Settings:",
    "",
    ...Object.entries(r.settings).map(([k, v]) => `- ${k}: ${v}`),
    "",
    "Every sample (hand / flatnet):",
    "",
    ...r.results.map(
      (x) =>
        `- ${x.path}, ${x.metric}: ${x.hand.map((v) => fmt(v, x.unit)).join(", ")} / ${x.flatnet.map((v) => fmt(v, x.unit)).join(", ")}`,
    ),
    "",
  ];
  return lines.join("\n");
}
