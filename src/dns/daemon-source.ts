/**
 * A ClusterSource fed by the lab daemon's `watch` stream (one unix-socket connection, the
 * daemon's newline-JSON RPC): the daemon sends every object of the asked kinds as ADDED, then
 * a SYNCED marker, then live ADDED/MODIFIED/DELETED events. This keeps a local mirror, like
 * a Kubernetes informer, so list() and get() are local and watch() sees every change.
 *
 * When the connection drops (daemon restart), the mirror keeps serving what it has and
 * reconnects with back-off; the fresh snapshot is diffed against the mirror, so watchers see
 * exactly the changes they missed (DELETED for objects gone meanwhile), then live events.
 */
import net from "node:net";
import type { ClusterSource, Watcher } from "../cluster/store.js";
import { type KObject, keyOf, objectKey, type WatchEvent } from "../cluster/types.js";

interface StreamLine {
  id?: unknown;
  event?: { type: WatchEvent["type"] | "SYNCED"; object?: KObject };
  error?: { message: string };
}

export class DaemonWatchSource implements ClusterSource {
  private readonly objects = new Map<string, KObject>();
  private readonly watchers = new Set<Watcher>();
  private conn: net.Socket | undefined;
  private closed = false;
  private retryMs = 100;
  /** Keys seen in the snapshot being received (during a resync). */
  private snapshot: Set<string> | undefined;
  private firstSync: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** Called for connection trouble (the mirror keeps serving meanwhile). */
  onLog: (msg: string) => void = () => {};

  constructor(
    private readonly socketPath: string,
    private readonly kinds: string[],
  ) {}

  /** Connect (retrying until the daemon answers) and resolve after the first full snapshot. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstSync = { resolve, reject };
      this.connect();
    });
  }

  close(): void {
    this.closed = true;
    this.conn?.destroy();
  }

  get(kind: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.objects.get(keyOf(kind, namespace, name));
  }

  list(kind: string, namespace?: string): KObject[] {
    const out: KObject[] = [];
    for (const o of this.objects.values())
      if (o.kind === kind && (namespace === undefined || (o.metadata.namespace ?? "default") === namespace))
        out.push(o);
    return out;
  }

  watch(handler: Watcher): () => void {
    this.watchers.add(handler);
    return () => this.watchers.delete(handler);
  }

  private connect(): void {
    if (this.closed) return;
    const conn = net.createConnection(this.socketPath);
    this.conn = conn;
    let buf = "";
    conn.setEncoding("utf8");
    conn.on("connect", () => {
      this.snapshot = new Set();
      conn.write(`${JSON.stringify({ id: 1, method: "watch", params: { kinds: this.kinds } })}\n`);
    });
    conn.on("data", (chunk: string) => {
      buf += chunk;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.onLine(line);
      }
    });
    // Until the daemon listens (the add-on pods may start first) and after it goes away,
    // keep trying: the close handler reconnects.
    conn.on("error", (err) => this.onLog(`lab daemon watch: ${err.message}`));
    conn.on("close", () => {
      if (this.closed) return;
      this.onLog(`lab daemon watch closed; reconnecting in ${this.retryMs} ms`);
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    });
  }

  private onLine(line: string): void {
    let msg: StreamLine;
    try {
      msg = JSON.parse(line) as StreamLine;
    } catch {
      return;
    }
    if (msg.error) {
      this.onLog(`lab daemon watch: ${msg.error.message}`);
      this.firstSync?.reject(new Error(`the lab daemon refused to watch: ${msg.error.message}`));
      this.firstSync = undefined;
      this.close();
      return;
    }
    const ev = msg.event;
    if (!ev) return;
    if (ev.type === "SYNCED") {
      this.synced();
      return;
    }
    if (!ev.object) return;
    const key = objectKey(ev.object);
    if (this.snapshot) this.snapshot.add(key);
    if (ev.type === "DELETED") {
      if (!this.objects.delete(key)) return;
      this.emit({ type: "DELETED", object: ev.object });
      return;
    }
    const old = this.objects.get(key);
    this.objects.set(key, ev.object);
    if (old && old.metadata.resourceVersion === ev.object.metadata.resourceVersion) return;
    this.emit({ type: old ? "MODIFIED" : "ADDED", object: ev.object });
  }

  private synced(): void {
    const seen = this.snapshot;
    this.snapshot = undefined;
    this.retryMs = 100;
    if (seen) {
      for (const [key, o] of [...this.objects]) {
        if (seen.has(key)) continue;
        this.objects.delete(key);
        this.emit({ type: "DELETED", object: o });
      }
    }
    this.firstSync?.resolve();
    this.firstSync = undefined;
  }

  private emit(ev: WatchEvent): void {
    for (const w of [...this.watchers]) w(ev);
  }
}
