/**
 * `flatnet up [-f FILE|DIR ...] [--name LAB] [--nodes N] [--backend vxlan|host-gw]`
 * Validates everything first (manifests, Cluster config, backend, tools, root), then starts
 * the lab daemon detached and waits until every pod that can run is Running with an IP.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { loadManifests, resolveClusterConfig } from "../api/index.js";
import { getBackend } from "../backends/index.js";
import type { KObject } from "../cluster/types.js";
import type { LabSpec } from "../lab/daemon.js";
import type { PodSummary } from "../lab/daemon-api.js";
import { labPaths } from "../lab/names.js";
import { daemonPid, listLabs, teardownLab } from "../lab/teardown.js";
import { UserError } from "../util/errors.js";
import { helpOption, labCall, parse, progress, progressDone, requireRoot, requireTools } from "./common.js";

export const upHelp = `Usage: flatnet up [-f FILE|DIR ...] [--name LAB] [--nodes N] [--backend vxlan|host-gw]

Start a lab: an underlay switch, N node namespaces, an external client, and a daemon hosting
the control plane and one node agent per node. Applies the given manifests (a Cluster config
among them sets nodes and networking); without -f it brings up the built-in demo (examples/demo).
Returns when every pod is Running with an IP.

Options:
  -f, --filename FILE|DIR   manifests to apply (repeatable)
      --name LAB            lab name (default: the Cluster config's name, else "lab")
      --nodes N             number of nodes (default: the Cluster config's, else 2)
      --backend NAME        pod network: vxlan (overlay) or host-gw (routed underlay)
      --timeout SECONDS     how long to wait for pods (default 300)
`;

/** kind's node network; the lab's underlay lives only inside its own namespaces. */
const UNDERLAY_SUBNET = "172.18.0.0/16";
const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const ADDON_NAMESPACES = new Set(["kube-system", "flatnet-ingress"]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function up(argv: string[]): Promise<number> {
  const { values } = parse(
    "up",
    argv,
    {
      ...helpOption,
      filename: { type: "string", short: "f", multiple: true },
      name: { type: "string" },
      nodes: { type: "string" },
      backend: { type: "string" },
      timeout: { type: "string" },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(upHelp);
    return 0;
  }
  const nodes = values.nodes === undefined ? undefined : Number(values.nodes);
  if (nodes !== undefined && (!Number.isInteger(nodes) || nodes < 1 || nodes > 250)) {
    throw new UserError(`--nodes: invalid value "${values.nodes}": must be an integer from 1 to 250`);
  }
  const timeoutS = Number(values.timeout ?? 300);
  const files = values.filename?.length ? values.filename : [join(repoRoot, "examples", "demo")];
  const loaded = await loadManifests(files);
  const config = resolveClusterConfig(loaded, { name: values.name, nodes, backend: values.backend });
  getBackend(config.networking.backend);
  requireRoot("up");
  requireTools(["ip", "nft", "unshare"]);
  const lab = config.name;
  if (daemonPid(lab) !== undefined) {
    throw new UserError(
      `lab "${lab}" is already running`,
      `use it, or remove it with flatnet down --name ${lab}`,
    );
  }
  if (listLabs().includes(lab)) await teardownLab(lab); // leftovers of a crashed lab of that name

  const spec: LabSpec = {
    name: lab,
    backend: config.networking.backend,
    podSubnet: config.networking.podSubnet,
    serviceSubnet: config.networking.serviceSubnet,
    nodeCIDRMaskSize: config.networking.nodeCIDRMaskSize,
    underlaySubnet: UNDERLAY_SUBNET,
    mtu: config.networking.mtu ?? 1500,
    dnsDomain: config.networking.dnsDomain ?? "cluster.local",
    upstreamDNS: config.networking.upstreamDNS,
    nodes: config.nodes.map((n: { name: string; labels?: Record<string, string> }) => ({
      name: n.name,
      labels: n.labels,
    })),
    objects: loaded.filter((o: { kind: string }) => o.kind !== "Cluster") as unknown as KObject[],
  };
  const paths = labPaths(lab);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(join(paths.dir, "spec.json"), JSON.stringify(spec));
  const log = openSync(paths.log, "a");
  // FLATNET_DAEMON_NODE_ARGS passes Node flags to the daemon (e.g. --cpu-prof, --inspect).
  const nodeArgs = (process.env.FLATNET_DAEMON_NODE_ARGS ?? "").split(/\s+/).filter(Boolean);
  const daemonMain = join(repoRoot, "dist", "src", "lab", "daemon-main.js");
  const child = spawn(process.execPath, [...nodeArgs, daemonMain, lab, "flatnet-lab"], {
    detached: true,
    stdio: ["ignore", log, log],
  });
  child.unref();
  const started = Date.now();
  try {
    await waitForLab(lab, child.pid!, timeoutS * 1000);
  } catch (err) {
    progressDone();
    const tail = existsSync(paths.log)
      ? readFileSync(paths.log, "utf8").trim().split("\n").slice(-5).join("\n")
      : "";
    await teardownLab(lab);
    throw new UserError(`${(err as Error).message}${tail ? `\ndaemon log:\n${tail}` : ""}`);
  }
  progressDone();
  const status = await labCall<{ pods: PodSummary[]; nodes: Array<{ name: string }> }>(lab, "status");
  const info = await labCall<{ externalIP: string }>(lab, "info");
  const running = status.pods.filter((p) => p.phase === "Running");
  const pending = status.pods.filter((p) => p.phase !== "Running");
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  const flag = lab === "lab" ? "" : ` --name ${lab}`;
  const out = [
    `Lab "${lab}" is up in ${secs}s: ${status.nodes.length} nodes (${spec.backend}), ${running.length} pods running.`,
    ...pending.map((p) => `  pending: ${p.namespace}/${p.name}: ${p.reason ?? p.phase}`),
    "",
    "Where to look:",
    ...[
      [`flatnet get pods -A -o wide${flag}`, "pods with their IPs and nodes"],
      [`flatnet get nodes${flag}`, "nodes, node IPs and podCIDRs"],
      [`flatnet exec${flag} -n NS POD -- curl -s POD_IP:PORT/hostname`, "a request from a pod"],
      [`flatnet exec${flag} --external -- ping -c1 NODE_IP`, `the external client (${info.externalIP})`],
      [`flatnet probe${flag} --port 80`, "every pod to every pod, measured"],
      [`flatnet down${flag}`, "remove everything"],
    ].map(([cmd, what]) => `  ${cmd!.padEnd(60)} ${what}`),
  ];
  process.stdout.write(`${out.join("\n")}\n`);
  return 0;
}

async function waitForLab(lab: string, pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const alive = () => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  while (Date.now() < deadline) {
    if (!alive()) throw new UserError(`the lab daemon exited during start-up`);
    try {
      const s = await labCall<{ pods: PodSummary[]; nodes: Array<{ name: string; ready: boolean }> }>(
        lab,
        "status",
      );
      const readyNodes = s.nodes.filter((n) => n.ready).length;
      const schedulable = s.pods.filter((p) => p.node || !p.reason);
      // Add-ons (cluster DNS, ingress) must also be Ready: until then a Service lookup right
      // after `up` is refused, and the lab is not usable yet.
      const running = schedulable.filter(
        (p) => p.phase === "Running" && p.podIP && (!ADDON_NAMESPACES.has(p.namespace) || p.ready),
      );
      progress(
        `nodes ${readyNodes}/${s.nodes.length} ready, pods ${running.length}/${schedulable.length} running`,
      );
      if (readyNodes === s.nodes.length && s.nodes.length > 0 && running.length === schedulable.length)
        return;
    } catch (err) {
      if (!(err instanceof UserError) || !/not running/.test(err.message)) throw err;
    }
    await sleep(200);
  }
  throw new UserError(
    `the lab did not become ready within ${timeoutMs / 1000} s`,
    "see flatnet get pods -A, or raise --timeout",
  );
}
