import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { NextFunction, Request, Response } from "express";
import { log } from "../lib/log.server";
import { observeHttpRequest, renderMetrics, setMetricSources, type MetricSources } from "../lib/metrics.server";
import type { Runtime } from "../runtime.server";

/**
 * GET /metrics for Prometheus, behind a bearer token (METRICS_TOKEN):
 * - no token configured: 404, as if the endpoint did not exist (metrics are off);
 * - missing or wrong token: 401 with a WWW-Authenticate challenge;
 * - right token: the exposition text.
 * The comparison is over SHA-256 digests with timingSafeEqual, so its time
 * tells nothing about the token, not even its length.
 */
export function metricsHandler(token: string | null) {
  const expected = token === null ? null : digest(token);
  return (request: IncomingMessage, response: ServerResponse): void => {
    if (expected === null) return plain(response, 404, "Not Found");
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.setHeader("Allow", "GET, HEAD");
      return plain(response, 405, "Method Not Allowed");
    }
    const presented = bearerToken(request.headers.authorization);
    if (presented === null || !timingSafeEqual(digest(presented), expected)) {
      response.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
      return plain(response, 401, "Unauthorized");
    }
    renderMetrics().then(
      ({ contentType, body }) => {
        response.writeHead(200, { "Content-Type": contentType, "Cache-Control": "no-store" });
        response.end(request.method === "HEAD" ? undefined : body);
      },
      (error: unknown) => {
        log.error({ err: error }, "metrics could not be rendered");
        plain(response, 500, "metrics could not be rendered");
      },
    );
  };
}

function bearerToken(header: string | undefined): string | null {
  const match = header === undefined ? null : /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? null;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

function plain(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { "Content-Type": "text/plain", "Content-Length": String(Buffer.byteLength(message)) }).end(message);
}

/** Times every request the web server answers (Remix, webhooks, assets, /metrics itself). */
export function httpMetrics(request: Request, response: Response, next: NextFunction): void {
  const started = performance.now();
  // The path as requested: route params never reach the label, only the first segment does (app/lib/metrics.server.ts).
  const path = request.path;
  response.once("finish", () => observeHttpRequest(request.method, path, response.statusCode, (performance.now() - started) / 1000));
  next();
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/**
 * A worker-only process (ROLE=worker) serves nothing but /metrics, on PORT:
 * its job latencies, webhook lag and push counts are recorded in that
 * process and are seen nowhere else. Only started when METRICS_TOKEN is set.
 */
export async function startMetricsServer(runtime: Runtime, options: { token: string; port: number; host: string }): Promise<MetricsServer> {
  const handle = metricsHandler(options.token);
  setMetricSources(metricSourcesOf(runtime));
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://metrics.invalid").pathname;
    if (path === "/metrics") return handle(request, response);
    plain(response, 404, "Not Found");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const host = options.host === "0.0.0.0" || options.host === "::" ? "localhost" : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }).then(() => setMetricSources(null)),
  };
}

/** Scrape-time gauges read the process's own queues and database. */
export function metricSourcesOf(runtime: Runtime): MetricSources {
  return { queue: (name) => runtime.jobs.queue(name), db: runtime.db };
}
