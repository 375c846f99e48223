/** `flatnet down [--name LAB]`: remove every namespace, link, process and file of a lab. */

import { validateLabName } from "../lab/names.js";
import { listLabs, teardownLab } from "../lab/teardown.js";
import { UserError } from "../util/errors.js";
import { helpOption, parse, requireRoot } from "./common.js";

export const downHelp = `Usage: flatnet down [--name LAB] [--all]

Remove a lab: its daemon and workloads, every namespace and link, and its files. Works also
after the daemon crashed or was killed. Without --name it removes the only lab there is.
`;

export async function down(argv: string[]): Promise<number> {
  const { values } = parse(
    "down",
    argv,
    { ...helpOption, name: { type: "string" }, all: { type: "boolean" } },
    false,
  );
  if (values.help) {
    process.stdout.write(downHelp);
    return 0;
  }
  requireRoot("down");
  const labs = listLabs();
  let targets: string[];
  if (values.name) targets = [validateLabName(values.name)];
  else if (values.all) targets = labs;
  else if (labs.length === 1) targets = labs;
  else if (labs.length === 0) throw new UserError("no lab to remove");
  else
    throw new UserError(
      `${labs.length} labs exist (${labs.join(", ")})`,
      "choose one with --name LAB, or --all",
    );
  for (const lab of targets) {
    const r = await teardownLab(lab);
    process.stdout.write(`lab "${lab}" removed (${r.namespaces} namespaces)\n`);
  }
  return 0;
}
