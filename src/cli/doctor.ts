/**
 * `flatnet doctor`: can this machine run a lab? Privileges, tools, kernel features (tried for
 * real inside a scratch namespace, never in the root one), the native addon, and leftover
 * labs, each with the fix.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runStatus } from "../kernel/exec.js";
import { createNetns, deleteNetns } from "../kernel/netns.js";
import { daemonPid, listLabs } from "../lab/teardown.js";
import { helpOption, parse, requireTools } from "./common.js";

export const doctorHelp = `Usage: flatnet doctor

Check that this machine can run flatnet labs: root, tools (ip, nft, conntrack, unshare),
kernel features (netns, veth, bridge, vxlan, nftables), the built native addon, and labs
left behind by a crash. Exit code 1 if anything needed is missing.
`;

interface Check {
  name: string;
  ok: boolean;
  detail?: string;
  fix?: string;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");

async function kernelChecks(): Promise<Check[]> {
  const ns = `flatnet-doctor${process.pid}`;
  const checks: Check[] = [];
  try {
    await createNetns(ns);
    checks.push({ name: "network namespaces", ok: true });
    const tries: Array<[string, string[], string]> = [
      ["veth", ["ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1"], "modprobe veth"],
      ["bridge", ["ip", "link", "add", "d2", "type", "bridge"], "modprobe bridge"],
      [
        "vxlan",
        ["ip", "link", "add", "d3", "type", "vxlan", "id", "1", "dstport", "8472", "nolearning"],
        "modprobe vxlan",
      ],
      [
        "nftables",
        ["nft", "add", "table", "inet", "flatnet-doctor"],
        "modprobe nf_tables (and apt-get install nftables)",
      ],
    ];
    for (const [name, argv, fix] of tries) {
      const r = await runStatus(argv, { netns: ns });
      checks.push({ name, ok: r.code === 0, detail: r.stderr.trim() || undefined, fix });
    }
  } catch (err) {
    checks.push({
      name: "network namespaces",
      ok: false,
      detail: (err as Error).message,
      fix: "run as root on a kernel with CONFIG_NET_NS",
    });
  } finally {
    await deleteNetns(ns).catch(() => undefined);
  }
  return checks;
}

export async function doctor(argv: string[]): Promise<number> {
  const { values } = parse("doctor", argv, { ...helpOption }, false);
  if (values.help) {
    process.stdout.write(doctorHelp);
    return 0;
  }
  const checks: Check[] = [];
  const root = process.getuid?.() === 0;
  checks.push({ name: "root privileges", ok: root, fix: "run flatnet with sudo" });
  const major = Number(process.versions.node.split(".")[0]);
  checks.push({
    name: `Node.js ${process.versions.node}`,
    ok: major >= 20,
    fix: "install Node.js 20 or newer",
  });
  for (const tool of ["ip", "nft", "conntrack", "unshare"]) {
    try {
      requireTools([tool]);
      checks.push({ name: `tool ${tool}`, ok: true });
    } catch (err) {
      checks.push({ name: `tool ${tool}`, ok: false, fix: (err as { fix?: string }).fix });
    }
  }
  const addon = join(repoRoot, "build", "netns_addon.node");
  checks.push({
    name: "native addon",
    ok: existsSync(addon),
    fix: "run npm ci (or npm run build) in the flatnet checkout",
  });
  if (root) checks.push(...(await kernelChecks()));
  for (const lab of listLabs()) {
    const alive = daemonPid(lab) !== undefined;
    checks.push({
      name: `lab "${lab}"`,
      ok: alive,
      detail: alive ? "running" : "left behind without a daemon",
      fix: `flatnet down --name ${lab}`,
    });
  }
  for (const c of checks) {
    const mark = c.ok ? "ok  " : "FAIL";
    const extra = c.ok
      ? c.detail
        ? ` (${c.detail})`
        : ""
      : `${c.detail ? `: ${c.detail}` : ""} -> fix: ${c.fix}`;
    process.stdout.write(`${mark} ${c.name}${extra}\n`);
  }
  return checks.every((c) => c.ok) ? 0 : 1;
}
