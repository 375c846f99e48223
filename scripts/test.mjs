#!/usr/bin/env node
// The test command: rebuild, then run every compiled test with Node's test runner.
//   npm test                 unit + integration + e2e (integration and e2e need root)
//   npm test -- --unit       unit tests only (pure, no root)
//   npm test -- FILTER...    only test files whose path contains one of the filters
import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const filters = args.filter((a) => !a.startsWith("--"));

execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], { stdio: "inherit", cwd: root });

function walk(dir) {
  let out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(walk(p));
    else if (name.endsWith(".test.js")) out.push(p);
  }
  return out;
}

const dist = join(root, "dist");
let files = walk(join(dist, "src"));
if (!unitOnly) {
  if (process.getuid?.() !== 0) {
    console.error(
      "flatnet: integration and e2e tests create network namespaces and must run as root (sudo npm test), or run `npm test -- --unit`.",
    );
    process.exit(2);
  }
  files = files.concat(walk(join(dist, "test")));
}
if (filters.length) files = files.filter((f) => filters.some((flt) => relative(dist, f).includes(flt)));
files.sort();
const res = spawnSync(process.execPath, ["--test", "--test-reporter=spec", ...files], {
  stdio: "inherit",
  cwd: root,
});
process.exit(res.status ?? 1);
