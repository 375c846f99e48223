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
  /** flatnet / hand for each back-to-back pair of runs. */
  pairRatios: number[];
  /** Median of pairRatios. */
  ratio: number;
  meetsGoal: boolean;
}

export interface BenchResult {
  date: string;
  machine: { nproc: number; kernel: string; cpu: string };
  settings: Record<string, string | number>;
  goal: number;
  results: BenchRow[];
  /** Per path: every sysctl or interface attribute whose value differs (config-diff.ts). */
  configurationDifferences: Record<string, string[]>;
}

/** The middle half of the pair ratios (25th to 75th percentile): how noisy the machine was. */
export function interquartile(values: number[]): [number, number] {
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => {
    const i = (s.length - 1) * q;
    const lo = Math.floor(i);
    return s[lo]! + (s[Math.ceil(i)]! - s[lo]!) * (i - lo);
  };
  return [at(0.25), at(0.75)];
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
    "Each run is paired with a run of the other side right before or after it (alternating order);",
    `ratio = median over pairs of flatnet / hand; goal >= ${r.goal}.`,
    "",
    "| path | metric | hand (median) | flatnet (median) | ratio (median of pairs) | pair ratios, middle half | goal |",
    "| --- | --- | ---: | ---: | ---: | :---: | :---: |",
    ...r.results.map(
      (x) =>
        `| ${x.path} | ${x.metric === "throughput" ? "TCP throughput" : "TCP request/response"} | ${fmt(x.handMedian, x.unit)} ${x.unit} | ${fmt(x.flatnetMedian, x.unit)} ${x.unit} | ${x.ratio.toFixed(3)} | ${interquartile(
          x.pairRatios,
        )
          .map((v) => v.toFixed(2))
          .join(" - ")} | ${x.meetsGoal ? "met" : "missed"} |`,
    ),
    "",
    "The middle half of the pair ratios shows the noise of the machine: back-to-back runs differ by",
    "that much when other work shares the CPUs. Read the ratios against the list of configuration",
    "differences below: where it says none, both sides run the same kernel configuration.",
    "",
    "Settings:",
    "",
    ...Object.entries(r.settings).map(([k, v]) => `- ${k}: ${v}`),
    "",
    "What flatnet configures differently from the hand-built path (kernel-reported sysctls and interface attributes of the namespaces crossed):",
    "",
    ...Object.entries(r.configurationDifferences).flatMap(([path, lines]) => [
      `- ${path}: ${lines.length ? "" : "none"}`,
      ...lines.map((l) => `  - ${l}`),
    ]),
    "",
    "Every sample (hand / flatnet / pair ratio):",
    "",
    ...r.results.map(
      (x) =>
        `- ${x.path}, ${x.metric}: ${x.hand.map((v) => fmt(v, x.unit)).join(", ")} / ${x.flatnet.map((v) => fmt(v, x.unit)).join(", ")} / ${x.pairRatios.map((v) => v.toFixed(2)).join(", ")}`,
    ),
    "",
  ];
  return lines.join("\n");
}
