/**
 * Process entry of a workload host driven over child_process IPC (see host-client.ts):
 * `fork(host-main.js, [optionsJson])`. Requests run concurrently, each answered by its id;
 * host events are forwarded as they happen; every pod it started is stopped
 * when told to shut down, when SIGTERM/SIGINT arrive, or when the parent goes away (IPC
 * disconnect): a lab daemon that dies must not leave pods' processes behind.
 */
import { errorMessage, UserError } from "../../util/errors.js";
import { WorkloadHost, type WorkloadHostOptions } from "./host.js";
import { type HostMessage, type HostRequest, isHostRequest } from "./ipc.js";

function send(message: HostMessage): void {
  if (process.connected) process.send?.(message);
}

async function handle(host: WorkloadHost, req: HostRequest): Promise<unknown> {
  switch (req.op) {
    case "addPod":
      return host.addPod(req.spec);
    case "removePod":
      return host.removePod(req.uid);
    case "listPods":
      return host.listPods();
    case "probe":
      return host.probe(req.checks, req.options);
    case "shutdown":
      await host.shutdown();
      return null;
  }
}

function main(): void {
  if (!process.send) {
    console.error("host-main: run me with child_process.fork (I talk over the IPC channel)");
    process.exit(2);
  }
  const options = JSON.parse(process.argv[2] ?? "{}") as WorkloadHostOptions;
  const host = new WorkloadHost(options);
  host.on("ready", (payload) => send({ kind: "event", event: "ready", payload }));
  host.on("containerStateChanged", (payload) =>
    send({ kind: "event", event: "containerStateChanged", payload }),
  );

  let exiting = false;
  const exit = async (code: number) => {
    if (exiting) return;
    exiting = true;
    await host.shutdown().catch((err) => console.error(`host-main: shutdown: ${errorMessage(err)}`));
    process.exit(code);
  };

  process.on("message", (msg: unknown) => {
    if (!isHostRequest(msg)) return;
    handle(host, msg).then(
      (result) => {
        send({ kind: "reply", id: msg.id, ok: true, result: result ?? null });
        if (msg.op === "shutdown") {
          process.disconnect();
          void exit(0);
        }
      },
      (err: unknown) => {
        const e = err instanceof Error ? err : new Error(String(err));
        const error = {
          name: e.name,
          message: e.message,
          ...(err instanceof UserError && err.fix ? { fix: err.fix } : {}),
        };
        send({ kind: "reply", id: msg.id, ok: false, error });
      },
    );
  });
  process.on("disconnect", () => void exit(0));
  // A bug must not strand the pods' processes: report it, stop everything, exit non-zero.
  process.on("uncaughtException", (err) => {
    console.error(`host-main: ${err.stack ?? err.message}`);
    void exit(1);
  });
  process.on("SIGTERM", () => void exit(0));
  process.on("SIGINT", () => void exit(0));
  send({ kind: "hello", pid: process.pid });
}

main();
