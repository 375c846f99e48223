#!/usr/bin/env node
// Build: TypeScript to dist/, native pieces to build/. Runs on `npm ci` (prepare) so a fresh
// checkout is usable with `npx flatnet` at once.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: "inherit" });

function nodeHeaders() {
  const candidates = [join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node"];
  const found = candidates.find((d) => existsSync(join(d, "node_api.h")));
  if (!found) throw new Error(`Node.js headers (node_api.h) not found in ${candidates.join(", ")}`);
  return found;
}

mkdirSync(join(root, "build"), { recursive: true });
for (const file of readdirSync(join(root, "native"))) {
  if (!file.endsWith(".c")) continue;
  const src = join("native", file);
  if (file.endsWith("_addon.c")) {
    const out = join("build", file.replace(/\.c$/, ".node"));
    run("cc", ["-O2", "-Wall", "-shared", "-fPIC", `-I${nodeHeaders()}`, "-o", out, src]);
  } else {
    run("cc", ["-O2", "-Wall", "-o", join("build", file.replace(/\.c$/, "")), src]);
  }
}
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "."]);
