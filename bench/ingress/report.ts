/**
 * The ingress benchmark's summary (ratios against the minimal Node.js proxy and nginx, by
 * throughput and by CPU per request) and its markdown page.
 */

export interface TargetResult {
  name: string;
  rps: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  cpuUsPerRequest: number;
  errors: number;
  runs: unknown[];
}

const r2 = (x: number) => Math.round(x * 100) / 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Median over rounds of a/b measured in the same round (the machine's load cancels). */
function pairedRatio(a: TargetResult, b: TargetResult, key: "rps" | "cpuUsPerRequest"): number {
  const ra = a.runs as Array<Record<string, number>>;
  const rb = b.runs as Array<Record<string, number>>;
  return median(ra.map((r, i) => r[key]! / rb[i]![key]!));
}

export function report(
  results: TargetResult[],
  cfg: { seconds: number; reps: number; connections: number },
): { summary: Record<string, number>; markdown: string } {
  const by = (n: string) => results.find((r) => r.name === n)!;
  const flat = by("flatnet ingress");
  const min = by("minimal Node.js proxy");
  const ngx = by("nginx");
  const flatTls = by("flatnet ingress (https)");
  const flatMixed = by("flatnet ingress (http, one thread also serving https)");
  const ngxTls = by("nginx (https)");
  const summary = {
    flatnetVsMinimalThroughput: r2(pairedRatio(flat, min, "rps")),
    flatnetVsMinimalCpuPerRequest: r2(pairedRatio(flat, min, "cpuUsPerRequest")),
    flatnetVsNginxThroughput: r2(pairedRatio(flat, ngx, "rps")),
    flatnetVsNginxCpuPerRequest: r2(pairedRatio(flat, ngx, "cpuUsPerRequest")),
    flatnetVsNginxHttpsThroughput: r2(pairedRatio(flatTls, ngxTls, "rps")),
    flatnetMixedVsMinimalThroughput: r2(pairedRatio(flatMixed, min, "rps")),
    flatnetMixedVsHttpOnlyCpuPerRequest: r2(flatMixed.cpuUsPerRequest / flat.cpuUsPerRequest),
  };
  const rows = results.map(
    (r) =>
      `| ${r.name} | ${Math.round(r.rps)} | ${r.latencyP50Ms.toFixed(2)} | ${r.latencyP99Ms.toFixed(2)} | ${r.cpuUsPerRequest ? r.cpuUsPerRequest.toFixed(1) : "-"} | ${r.errors} |`,
  );
  const markdown = `wrk, 1 thread, ${cfg.connections} keep-alive connections, ${cfg.seconds} s per run, ${cfg.reps} rounds, each running the minimal proxy and flatnet back to back (alternating first) and the others in rotation (medians shown; ratios are medians of the ratios within each round, where the machine's load hits both alike); \`GET /api/items?id=1\` with \`Host: bench.example\`, routed by the Ingress rule \`bench.example\` \`/api\` (Prefix) among others; the upstream is nginx answering 3 bytes. Every process on 127.0.91.0/24; the machine (2 cores) is shared with other work, so compare within the run. CPU per request is the proxy process's user+system time over the requests served (nginx: its worker).

| target | req/s | p50 ms | p99 ms | proxy CPU µs/req | errors |
|---|---:|---:|---:|---:|---:|
${rows.join("\n")}

- **flatnet vs the minimal Node.js keep-alive proxy: ${summary.flatnetVsMinimalThroughput}x throughput** (goal >= 0.9x), ${summary.flatnetVsMinimalCpuPerRequest}x the CPU per request. The routing (host map, precedence-sorted paths), endpoint choice, X-Forwarded-* headers and bookkeeping add little to what Node's HTTP stack costs.
- HTTP and HTTPS are measured on two flatnet processes, as the add-on serves HTTPS from a worker thread (its own V8 isolate). One thread serving both (the last flatnet row) runs HTTP at ${summary.flatnetMixedVsMinimalThroughput}x the minimal proxy, needing ${summary.flatnetMixedVsHttpOnlyCpuPerRequest}x the CPU per HTTP request of the HTTP-only process (medians; not paired, so noisier): the same code, but V8's inline caches and Node's stream code see two socket classes (TLSSocket and Socket).
- **flatnet vs nginx: ${summary.flatnetVsNginxThroughput}x throughput** over HTTP (${summary.flatnetVsNginxCpuPerRequest}x nginx's CPU per request), ${summary.flatnetVsNginxHttpsThroughput}x over HTTPS. One nginx worker outruns one Node.js process: nginx parses and proxies in C with no garbage collector.
- **What an nginx or HAProxy engine mode would take:** the controller already compiles one immutable configuration (routes, endpoints, certificates, src/ingress/config.ts); an engine mode would render it instead of serving it. For nginx: an \`nginx.conf\` with one \`server\` per host (wildcards as \`server_name *.foo.com\`), \`location = /p\` for Exact and \`location /p/\` + \`location = /p\` for element-wise Prefix, upstreams with \`keepalive\`, certificates as files; but nginx applies changes by reload (new workers, old ones draining), so endpoint changes must go through a Lua/njs balancer or the commercial API to avoid reload churn, which is what ingress-nginx built. For HAProxy: maps for host/path routing and its runtime API (\`set server addr\`, \`add ssl crt-list\`) change endpoints and certificates without reload; routing changes still reload (seamless with socket transfer). Either way flatnet's semantics stay in the compiler and the data plane gets ~${Math.max(1, Math.round(1 / summary.flatnetVsNginxThroughput))}x the throughput per core measured here; the cost is a second process to supervise and reload semantics to verify against the load-through-change test.`;
  return { summary, markdown };
}
