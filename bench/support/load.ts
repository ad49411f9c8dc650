import { Agent, request } from "node:http";

export interface LoadRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  sent: number;
  ok: number;
  failed: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
}

/**
 * Sends every request once over `concurrency` keep-alive connections as fast as
 * the server answers (closed loop), recording each request's latency.
 */
export async function runLoad(origin: string, requests: LoadRequest[], concurrency: number, onProgress?: (done: number) => void): Promise<LoadResult> {
  const url = new URL(origin);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let next = 0;
  let done = 0;
  const started = performance.now();
  async function lane(): Promise<void> {
    for (;;) {
      const index = next++;
      const item = requests[index];
      if (!item) return;
      const t0 = performance.now();
      const status = await post(agent, url, item).catch(() => 0);
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      done += 1;
      if (onProgress && done % 500 === 0) onProgress(done);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const ok = statuses["200"] ?? 0;
  return {
    sent: requests.length,
    ok,
    failed: requests.length - ok,
    seconds,
    perSecond: requests.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    statuses,
  };
}

/** One POST over the keep-alive `agent`; resolves with the status once the answer is read. */
export function post(agent: Agent, url: URL, item: LoadRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: item.path, method: "POST", headers: { ...item.headers, "Content-Length": Buffer.byteLength(item.body) } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end(item.body);
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? 0) * 100) / 100;
}
