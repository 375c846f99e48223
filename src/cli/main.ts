/**
 * flatnet's command line. One file per command; this one dispatches and turns errors into
 * one line and an exit code (a stack trace only for bugs).
 */
import { errorMessage, UserError } from "../util/errors.js";
import { analyze } from "./analyze.js";
import { apply, del } from "./apply.js";
import { doctor } from "./doctor.js";
import { down } from "./down.js";
import { exec } from "./exec.js";
import { get } from "./get.js";
import { probe } from "./probe.js";
import { trace } from "./trace.js";
import { up } from "./up.js";

type Command = (argv: string[]) => Promise<number>;

const commands: Record<string, [Command, string]> = {
  up: [up, "start a lab (a multi-node cluster network in namespaces)"],
  apply: [apply, "create or update objects from manifests in the lab"],
  delete: [del, "delete objects from the lab"],
  get: [get, "list objects of the lab (pods, nodes, services, ...)"],
  exec: [exec, "run a command in a pod, a node or the external client"],
  probe: [probe, "measure pod-to-pod reachability on the live lab"],
  analyze: [analyze, "compute pod-to-pod reachability from manifests, offline"],
  trace: [trace, "explain one connection hop by hop (routes, overlay, policy)"],
  down: [down, "remove a lab and everything it made"],
  doctor: [doctor, "check this machine for what labs need"],
};

const usage = `flatnet: the Kubernetes network model on the real Linux datapath

Usage: flatnet COMMAND [options]     (flatnet COMMAND --help for each)

Commands:
${Object.entries(commands)
  .map(([name, [, text]]) => `  ${name.padEnd(9)} ${text}`)
  .join("\n")}
`;

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(usage);
    return name ? 0 : 2;
  }
  const cmd = commands[name];
  if (!cmd) throw new UserError(`unknown command "${name}"`, "see flatnet --help");
  return cmd[0](rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    if (
      err instanceof UserError ||
      (err as Error)?.name === "ManifestErrors" ||
      (err as Error)?.name === "ManifestError"
    ) {
      process.stderr.write(`error: ${errorMessage(err)}\n`);
    } else {
      process.stderr.write(`flatnet: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
    }
    process.exitCode = 1;
  },
);
