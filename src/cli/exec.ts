/**
 * `flatnet exec [-n NS] POD -- CMD...`, `exec --node NAME -- CMD...`, `exec --external -- CMD...`
 * Runs a real command inside the pod's (node's, external client's) network namespace with
 * its name as hostname, stdin/stdout/stderr and the terminal passed straight through, and
 * exits with the command's exit code. Pods have no images: any host tool works inside.
 */
import { spawn } from "node:child_process";
import { netnsExists } from "../kernel/netns.js";
import { LabNames } from "../lab/names.js";
import { UserError } from "../util/errors.js";
import { helpOption, labCall, nameOption, parse, requireRoot, targetLab } from "./common.js";

export const execHelp = `Usage: flatnet exec [-n NAMESPACE] POD -- COMMAND [ARGS...]
       flatnet exec --node NODE -- COMMAND [ARGS...]
       flatnet exec --external -- COMMAND [ARGS...]

Run a command inside a pod, a node or the lab's external client (a host outside the cluster on
the underlay), e.g.  flatnet exec -n shop web-abc -- curl -s 10.244.2.3:8080/hostname
`;

export async function exec(argv: string[]): Promise<number> {
  const dash = argv.indexOf("--");
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const command = dash < 0 ? [] : argv.slice(dash + 1);
  const { values, positionals } = parse("exec", own, {
    ...helpOption,
    ...nameOption,
    namespace: { type: "string", short: "n" },
    node: { type: "string" },
    external: { type: "boolean" },
  });
  if (values.help) {
    process.stdout.write(execHelp);
    return 0;
  }
  if (command.length === 0)
    throw new UserError("flatnet exec: no command given", "put it after --, e.g. -- ip addr");
  requireRoot("exec");
  const lab = targetLab(values.name);
  const names = new LabNames(lab);
  let netns: string;
  let hostname: string;
  if (values.external) {
    netns = names.externalNetns;
    hostname = "external";
  } else if (values.node) {
    netns = names.nodeNetns(values.node);
    hostname = values.node;
    if (!netnsExists(netns))
      throw new UserError(`node "${values.node}" not found in lab "${lab}"`, "see flatnet get nodes");
  } else {
    const pod = positionals[0];
    if (!pod) throw new UserError("flatnet exec: POD is required (or --node NODE, --external)");
    const ns = values.namespace ?? "default";
    const [obj] = await labCall<Array<{ status?: { podIP?: string } }>>(lab, "get", {
      kind: "Pod",
      namespace: ns,
      name: pod,
    });
    netns = names.podNetns(ns, pod);
    hostname = pod;
    if (!obj?.status?.podIP || !netnsExists(netns)) {
      throw new UserError(`pod "${ns}/${pod}" is not running yet`, "see flatnet get pods -n " + ns);
    }
  }
  // A private UTS namespace gives the command the pod's hostname; `ip netns exec` also
  // bind-mounts the pod's own /etc/resolv.conf and /etc/hosts.
  const argvFull = [
    "netns",
    "exec",
    netns,
    "unshare",
    "--uts",
    "sh",
    "-c",
    'hostname "$0" && exec "$@"',
    hostname,
    ...command,
  ];
  return await new Promise<number>((resolve, reject) => {
    const child = spawn("ip", argvFull, { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? signalNumber(signal) : 1)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  const table: Partial<Record<NodeJS.Signals, number>> = {
    SIGINT: 2,
    SIGKILL: 9,
    SIGTERM: 15,
    SIGPIPE: 13,
    SIGHUP: 1,
  };
  return table[signal] ?? 1;
}
