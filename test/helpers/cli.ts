/**
 * Run the flatnet CLI exactly as a user types it (`flatnet ARGS...`), from the checkout's bin.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) dir = dirname(dir);
  return dir;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function flatnet(
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot(), "bin", "flatnet.js"), ...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: opts.env ?? process.env,
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`flatnet ${args.join(" ")} timed out; stderr: ${stderr}`));
    }, opts.timeoutMs ?? 300_000);
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** flatnet ARGS that must succeed; returns stdout. */
export async function flatnetOk(args: string[], opts: { input?: string } = {}): Promise<string> {
  const r = await flatnet(args, opts);
  if (r.code !== 0) throw new Error(`flatnet ${args.join(" ")} exited ${r.code}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** `flatnet exec --name LAB -n NS POD -- CMD...`, which must succeed; returns stdout. */
export function podExec(lab: string, namespace: string, pod: string, command: string[]): Promise<string> {
  return flatnetOk(["exec", "--name", lab, "-n", namespace, pod, "--", ...command]);
}

export function uniqueLabName(prefix: string): string {
  return `${prefix}${process.pid.toString(36)}${Math.floor(Math.random() * 1296).toString(36)}`;
}
