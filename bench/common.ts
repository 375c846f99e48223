/** Shared by the benchmarks: the machine a result was measured on, and writing results. */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../test/helpers/cli.js";

export function machineInfo() {
  let kernel = release();
  try {
    kernel = execFileSync("uname", ["-r"], { encoding: "utf8" }).trim();
  } catch {
    /* os.release() is good enough */
  }
  const cpuModel = cpus()[0]?.model ?? "unknown";
  return {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel,
    memoryGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    kernel,
    node: process.version,
    os: (/PRETTY_NAME="([^"]+)"/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? "linux").trim(),
  };
}

export function writeResults(
  name: string,
  data: { machine: ReturnType<typeof machineInfo> } & Record<string, unknown>,
  title: string,
  markdownBody: string,
): void {
  const dir = join(repoRoot(), "bench", "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(data, null, 2)}\n`);
  const m = data.machine;
  const header = `# ${title}\n\nMeasured ${m.date.slice(0, 10)} on ${m.os}, ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, kernel ${m.kernel}, Node.js ${m.node}.\n\n`;
  writeFileSync(join(dir, `${name}.md`), `${header}${markdownBody}\n`);
  process.stdout.write(`${header}${markdownBody}\n`);
}
