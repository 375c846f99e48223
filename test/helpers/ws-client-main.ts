#!/usr/bin/env node
/**
 * Open a WebSocket (raw sockets, test/helpers/websocket.ts), send each --message, print each
 * answer on its own line; exit 1 with the reason if the handshake fails. For e2e tests that
 * run it in the lab's external namespace (`flatnet exec --external -- node ...`).
 *
 *   node dist/test/helpers/ws-client-main.js --host IP --port P --host-header NAME
 *     [--path /] [--tls] --message TEXT...
 */
import { parseArgs } from "node:util";
import { openWebSocket } from "./websocket.js";

const { values } = parseArgs({
  options: {
    host: { type: "string" },
    port: { type: "string" },
    "host-header": { type: "string" },
    path: { type: "string", default: "/" },
    tls: { type: "boolean", default: false },
    message: { type: "string", multiple: true, default: [] },
  },
});
try {
  const ws = await openWebSocket({
    host: values.host ?? "127.0.0.1",
    port: Number(values.port),
    hostHeader: values["host-header"] ?? values.host ?? "",
    path: values.path,
    tls: values.tls,
  });
  for (const m of values.message) process.stdout.write(`${await ws.send(m)}\n`);
  ws.close();
  process.exit(0);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
}
