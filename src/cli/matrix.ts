/** The reachability matrix shared by `probe` (measured) and `analyze` (computed). */
import { UserError } from "../util/errors.js";

export interface Matrix {
  port: number;
  protocol: "TCP" | "UDP";
  allowed: Record<string, Record<string, boolean>>;
}

export function parsePorts(text: string): number[] {
  return text.split(",").map((p) => {
    const n = Number(p.trim());
    if (!Number.isInteger(n) || n < 1 || n > 65535) {
      throw new UserError(`--port: invalid port "${p}": must be an integer from 1 to 65535`);
    }
    return n;
  });
}

export function parseProtocols(text: string): Array<"TCP" | "UDP"> {
  return text.split(",").map((p) => {
    const up = p.trim().toUpperCase();
    if (up !== "TCP" && up !== "UDP")
      throw new UserError(`--protocol: invalid protocol "${p}": must be TCP or UDP`);
    return up;
  });
}

export function printMatrices(matrices: Matrix[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify({ matrices }, null, 2)}\n`);
    return;
  }
  for (const m of matrices) {
    const pods = Object.keys(m.allowed);
    const width = Math.max(4, ...pods.map((p) => p.length));
    const lines = [`${m.protocol}/${m.port}  (row: from, column: to; . reachable, X blocked)`];
    for (const [i, p] of pods.entries()) {
      const cells = pods.map((q) => (m.allowed[p]![q] ? "." : "X")).join(" ");
      lines.push(`${String(i).padStart(3)}  ${p.padEnd(width)}  ${cells}`);
    }
    lines.push(`     ${"".padEnd(width)}  ${pods.map((_, i) => String(i % 10)).join(" ")}`);
    process.stdout.write(`${lines.join("\n")}\n\n`);
  }
}
