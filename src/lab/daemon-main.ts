/**
 * Process entry of a lab daemon: `node daemon-main.js <lab>`. Started detached by
 * `flatnet up` with its output in the lab's daemon.log. The lab's spec (nodes, networking,
 * objects) is in <lab dir>/spec.json, written by `up` after validating everything.
 * SIGTERM/SIGINT: stop every pod and node, remove every namespace and file, exit.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorMessage } from "../util/errors.js";
import { LabDaemon, type LabSpec } from "./daemon.js";
import { labPaths } from "./names.js";
import { teardownLab } from "./teardown.js";

const lab = process.argv[2] ?? "";
if (!lab) {
  process.stderr.write("usage: daemon-main <lab>\n");
  process.exit(2);
}
const paths = labPaths(lab);
const spec = JSON.parse(readFileSync(join(paths.dir, "spec.json"), "utf8")) as LabSpec;
writeFileSync(paths.pidFile, `${process.pid}\n`);
const daemon = new LabDaemon(spec);

let exiting = false;
async function exit(code: number): Promise<void> {
  if (exiting) return;
  exiting = true;
  try {
    await daemon.shutdown();
  } catch (err) {
    daemon.log(`shutdown: ${errorMessage(err)}`);
  }
  // The daemon's own pid file is still there: teardown must not signal us.
  await teardownLab(lab, { graceful: false });
  process.exit(code);
}

process.on("SIGTERM", () => void exit(0));
process.on("SIGINT", () => void exit(0));
process.on("uncaughtException", (err) => {
  daemon.log(`fatal: ${err.stack ?? err}`);
  void exit(1);
});

daemon.start().then(
  () => daemon.log(`lab ${lab} ready: ${spec.nodes.length} nodes, backend ${spec.backend}`),
  (err) => {
    daemon.log(`lab ${lab} failed to start: ${errorMessage(err)}`);
    void exit(1);
  },
);
