/**
 * The standalone plugin process: what the shim execs when no resident agent serves the
 * request (`node dist/src/cni/main.js <plugin-name>`). Reads the config from stdin, answers
 * on stdout and exits with the handler's status. The plugin name comes from argv[2] (the
 * shim passes it) or, run directly, from the executable's name.
 */
import { basename } from "node:path";
import { handleCni, isPluginName } from "./handler.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

const name = process.argv[2] ?? basename(process.argv[1] ?? "");
if (!isPluginName(name)) {
  process.stderr.write(`flatnet CNI: unknown plugin name "${name}" (expected flatnet-cni or flatnet-ipam)\n`);
  process.exit(2);
}
const stdin = process.env.CNI_COMMAND === "VERSION" && process.stdin.isTTY ? "" : await readStdin();
const res = await handleCni(name, { env: process.env, stdin });
process.stdout.write(res.stdout, () => process.exit(res.exitCode));
