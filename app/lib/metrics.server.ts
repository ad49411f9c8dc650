import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { Database } from "../db/prisma.server";
import { QUEUE_NAMES, type QueueName } from "../../jobs/queues";
import type { JobQueue } from "../../jobs/backend.server";
import { log } from "./log.server";

/**
 * The process's Prometheus metrics (docs/operations.md lists each one, its
 * labels and the alerts to put on it).
 *
 * No label carries a shop: a platform of thousands of shops would make
 * thousands of series per metric, and the per-shop question ("whose webhooks
 * are late?") is answered by the logs, which carry the shop on every line.
 * Labels are closed sets: queue names, job kinds, delivery outcomes, HTTP
 * method, status code and a route area.
 *
 * Two kinds of figure:
 * - events this process saw (job runs, webhook lag, pushes, HTTP requests),
 *   counted where they happen; each process exposes its own, Prometheus sums;
 * - state shared by every process (queue depth, the oldest unapplied
 *   webhook), read from Redis/PostgreSQL at scrape time, so any one process's
 *   figure is the platform's: alert on max(), not sum().
 */

/**
 * How long a scrape waits for Redis or PostgreSQL before reporting the source
 * down: within Prometheus's default scrape timeout (10 s), with room for a
 * process's first scrape, which opens its queues' connections.
 */
const SOURCE_TIMEOUT_MS = 5_000;

export const QUEUE_STATES = ["waiting", "active", "delayed", "failed"] as const;

/** Seconds, from a heartbeat (milliseconds) to a nightly recompute or a large import (many minutes). */
const JOB_SECONDS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** Seconds: webhooks are applied within a drain's gather time (~0.1 s) when all is well; minutes mean a backlog. */
const LAG_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
const HTTP_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Where runtime gauges are read from; set once the process has its queues and database. */
export interface MetricSources {
  queue(name: QueueName): Pick<JobQueue, "getJobCounts">;
  db: Pick<Database, "$queryRaw">;
}

function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "regulars_" });
  return {
    registry,
    queueJobs: new Gauge({
      name: "regulars_queue_jobs",
      help: "Jobs in each BullMQ queue by state, read from the queue backend at scrape time.",
      labelNames: ["queue", "state"] as const,
      registers: [registry],
    }),
    sourceUp: new Gauge({
      name: "regulars_metrics_source_up",
      help: "1 when the last scrape could read the source (queue backend, database), else 0.",
      labelNames: ["source"] as const,
      registers: [registry],
    }),
    jobDuration: new Histogram({
      name: "regulars_job_duration_seconds",
      help: "Processing time of job runs in this process, by queue, job kind and outcome (completed, failed, delayed).",
      labelNames: ["queue", "job", "outcome"] as const,
      buckets: JOB_SECONDS,
      registers: [registry],
    }),
    jobWait: new Histogram({
      name: "regulars_job_wait_seconds",
      help: "Time a job waited in its queue, from when it was due to when a worker in this process took it.",
      labelNames: ["queue", "job"] as const,
      buckets: JOB_SECONDS,
      registers: [registry],
    }),
    webhookLag: new Histogram({
      name: "regulars_webhook_lag_seconds",
      help: "From a webhook delivery's receipt to its being applied, for deliveries applied in this process.",
      buckets: LAG_SECONDS,
      registers: [registry],
    }),
    webhookOldest: new Gauge({
      name: "regulars_webhook_oldest_unprocessed_seconds",
      help: "Age of the oldest received, unapplied webhook delivery of any installed shop (0 when none).",
      registers: [registry],
    }),
    webhookBacklog: new Gauge({
      name: "regulars_webhook_unprocessed_deliveries",
      help: "Received, unapplied webhook deliveries of installed shops.",
      registers: [registry],
    }),
    pushSends: new Counter({
      name: "regulars_push_sends_total",
      help: "Push deliveries handled by this process's push drains, by outcome: sent, retrying, failed, expired, interrupted.",
      labelNames: ["status"] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "regulars_http_request_duration_seconds",
      help: "HTTP requests served by this process, by method, route area and status code.",
      labelNames: ["method", "area", "status"] as const,
      buckets: HTTP_SECONDS,
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

const METRICS_KEY = Symbol.for("regulars.metrics");
type MetricsHolder = { [METRICS_KEY]?: { metrics: Metrics; sources: MetricSources | null } };

/** One registry per process, shared by Vite's module graph and the server's (as the runtime is). */
function holder() {
  return ((globalThis as MetricsHolder)[METRICS_KEY] ??= { metrics: createMetrics(), sources: null });
}

export function metrics(): Metrics {
  return holder().metrics;
}

/** Where scrape-time gauges read from; null stops reading (the process is stopping). */
export function setMetricSources(sources: MetricSources | null): void {
  holder().sources = sources;
}

/** The exposition text with scrape-time gauges freshly read. */
export async function renderMetrics(): Promise<{ contentType: string; body: string }> {
  const { metrics: m, sources } = holder();
  if (sources) await Promise.all([readQueueDepths(m, sources), readWebhookBacklog(m, sources)]);
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}

async function readQueueDepths(m: Metrics, sources: MetricSources): Promise<void> {
  try {
    const counts = await withTimeout(Promise.all(QUEUE_NAMES.map(async (name) => [name, await sources.queue(name).getJobCounts(...QUEUE_STATES)] as const)));
    m.queueJobs.reset();
    for (const [queue, byState] of counts) {
      for (const state of QUEUE_STATES) m.queueJobs.set({ queue, state }, byState[state] ?? 0);
    }
    m.sourceUp.set({ source: "queue" }, 1);
  } catch (error) {
    log.warn({ err: error }, "metrics: the queue depths could not be read");
    // Stale depths would look like a healthy queue: drop them and say the queue could not be read.
    m.queueJobs.reset();
    m.sourceUp.set({ source: "queue" }, 0);
  }
}

/**
 * Per installed shop, the index (shop, status, receivedAt) answers both the
 * oldest delivery and the count directly; one scan of the whole table would
 * grow with the retention period instead of with the backlog.
 */
async function readWebhookBacklog(m: Metrics, sources: MetricSources): Promise<void> {
  try {
    const rows = await withTimeout(
      sources.db.$queryRaw<Array<{ oldestMs: number | null; backlog: number }>>`
        SELECT min(extract(epoch FROM oldest) * 1000)::float8 AS "oldestMs", coalesce(sum(backlog), 0)::int AS backlog
        FROM (
          SELECT
            (SELECT min(w."receivedAt") FROM "WebhookDelivery" w WHERE w.shop = s.domain AND w.status = 'received') AS oldest,
            (SELECT count(*) FROM "WebhookDelivery" w WHERE w.shop = s.domain AND w.status = 'received') AS backlog
          FROM "Shop" s WHERE s."uninstalledAt" IS NULL
        ) per_shop`,
    );
    const row = rows[0];
    const oldestMs = row?.oldestMs ?? null;
    m.webhookOldest.set(oldestMs === null ? 0 : Math.max(0, (Date.now() - oldestMs) / 1000));
    m.webhookBacklog.set(row?.backlog ?? 0);
    m.sourceUp.set({ source: "database" }, 1);
  } catch (error) {
    log.warn({ err: error }, "metrics: the webhook backlog could not be read");
    m.webhookOldest.reset();
    m.webhookBacklog.reset();
    m.sourceUp.set({ source: "database" }, 0);
  }
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${SOURCE_TIMEOUT_MS} ms`)), SOURCE_TIMEOUT_MS);
  });
  // A source that answers after the deadline must not surface as an unhandled rejection.
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Areas of the HTTP surface, the first path segment; anything else is "other" (a bounded label). */
const HTTP_AREAS = new Set(["app", "auth", "api", "proxy", "webhooks", "healthz", "metrics", "assets"]);

export function httpArea(path: string): string {
  const first = path.split("/")[1] ?? "";
  if (first === "") return "root";
  return HTTP_AREAS.has(first) ? first : "other";
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** Records one served request; an unusual method is "other" so a client cannot mint label values. */
export function observeHttpRequest(method: string, path: string, status: number, seconds: number): void {
  metrics().httpDuration.observe({ method: METHODS.has(method) ? method : "other", area: httpArea(path), status: String(status) }, seconds);
}

/** Records a webhook delivery's receipt-to-applied time. */
export function observeWebhookLag(receivedAtMs: number, appliedAtMs: number): void {
  metrics().webhookLag.observe(Math.max(0, (appliedAtMs - receivedAtMs) / 1000));
}

export type PushSendStatus = "sent" | "retrying" | "failed" | "expired" | "interrupted";

export function countPushSends(counts: Record<PushSendStatus, number>): void {
  const { pushSends } = metrics();
  for (const [status, count] of Object.entries(counts)) if (count > 0) pushSends.inc({ status }, count);
}
