/**
 * A container without a command: the built-in netexec server on its ports, hosted by this
 * process. It never exits by itself; a port that cannot be opened (e.g. two containers of a
 * pod declaring the same port) terminates it with StartError and the reason, as a crashing
 * container would be shown. One line in its log says what it serves.
 */
import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import type { V1Container } from "@kubernetes/client-node";
import { BuiltinServer } from "./builtin-server.js";
import { ContainerRunner, k8sTime } from "./container-state.js";
import { servedPorts } from "./served-ports.js";
import type { WorkloadPodSpec } from "./types.js";

export class BuiltinContainer extends ContainerRunner {
  private server: BuiltinServer | undefined;

  constructor(
    private readonly spec: WorkloadPodSpec,
    private readonly container: V1Container,
    private readonly family: 4 | 6,
  ) {
    super(container.name);
  }

  get pid(): number | undefined {
    return undefined;
  }

  private async log(line: string): Promise<void> {
    await mkdir(this.spec.logsDir, { recursive: true });
    await appendFile(join(this.spec.logsDir, `${this.name}.log`), `${k8sTime()} ${line}\n`);
  }

  async start(): Promise<void> {
    const { ports, unsupported } = servedPorts(this.container);
    const server = new BuiltinServer(this.spec.name, this.spec.netnsPath, this.family);
    try {
      await server.start(ports);
    } catch (err) {
      const message = (err as Error).message;
      this.setTerminated({ exitCode: 1, reason: "StartError", message });
      await this.log(`flatnet workload server failed: ${message}`).catch(() => {});
      return;
    }
    this.server = server;
    this.setRunning();
    const served = ports.map((p) => `${p.port}/${p.protocol}`).join(", ") || "no ports";
    const skipped = unsupported.length
      ? `; not served (protocol unsupported): ${unsupported.join(", ")}`
      : "";
    await this.log(`flatnet workload server (netexec) for pod ${this.spec.name}: ${served}${skipped}`).catch(
      () => {},
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await server.close();
    this.setTerminated({ exitCode: 0, reason: "Completed" });
  }
}
