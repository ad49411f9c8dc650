import { z } from "zod";

/**
 * Every queue, job kind, payload schema and default option in one place
 * (BullMQ's own layout). Processors live in `jobs/processors/`, one per kind.
 */
export const QUEUE_NAMES = ["maintenance", "webhooks", "imports", "campaigns", "push", "analytics", "reports"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

/** Members per analytics-members job: a few seconds of work at most. */
export const ANALYTICS_MEMBERS_PER_JOB = 200;

const shopDomain = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a *.myshopify.com domain");

export const jobPayloads = {
  /** Proves that a shop's jobs are flowing: records one heartbeat row per job. */
  heartbeat: z.object({ shop: shopDomain }),
  /** Applies a shop's received webhook deliveries (app/webhooks/drain.server.ts). */
  "drain-webhooks": z.object({ shop: shopDomain }),
  /** Writes one customer's current membership to Shopify (tag + metafield); idempotent. */
  "membership-sync": z.object({ shop: shopDomain, customerId: z.string().regex(/^[1-9][0-9]{0,19}$/, "must be a numeric customer id") }),
  /** Imports an order-history CSV uploaded in the admin (app/imports/uploads.server.ts). */
  "import-orders": z.object({ shop: shopDomain, runId: z.uuid() }),
  /** Moves one backfill run (bulk operation → download → import) forward (app/sync/backfill/advance.server.ts). */
  backfill: z.object({ shop: shopDomain, runId: z.uuid() }),
  /** Decides and sends one campaign's due messages (app/campaigns/run.server.ts); idempotent, scheduled per campaign. */
  "campaign-run": z.object({ shop: shopDomain, campaignId: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "must be a campaign id") }),
  /** Sends a shop's due pushes at its rate ("send"), or asks for that at a scheduled time ("wake") (app/push/send.server.ts). */
  "push-send": z.object({ shop: shopDomain, purpose: z.enum(["send", "wake"]) }),
  /** Brings a few members' visits, features, predictions and segments up to date after their orders changed (app/analytics/incremental.server.ts). */
  "analytics-members": z.object({
    shop: shopDomain,
    customerIds: z
      .array(z.string().min(1, "must not be empty").max(100, "must be at most 100 characters"))
      .min(1, "must name at least one customer")
      .max(ANALYTICS_MEMBERS_PER_JOB, `must name at most ${ANALYTICS_MEMBERS_PER_JOB} customers`),
  }),
  /** Recomputes a shop's analytics from its orders: on request ("full") or the shop-local night ("nightly") (app/analytics/recompute.server.ts). */
  "analytics-recompute": z.object({ shop: shopDomain, kind: z.enum(["full", "nightly"]) }),
  /** Frees the places of a shop's pickup holds that ran out (app/pickup/holds.server.ts); idempotent, every minute per shop. */
  "pickup-expire-holds": z.object({ shop: shopDomain }),
  /** Makes, stores and mails a shop's weekly report (app/reports/generate.server.ts); one per shop and week however often it runs. Without a week: the last full week at the scheduled time. */
  "weekly-report": z.object({ shop: shopDomain, week: z.string().regex(/^\d{4}-W\d{2}$/, "must be an ISO week like 2026-W09").optional() }),
  /** Deletes a shop's orders, visits and deliveries older than its retention period (app/settings/retention.server.ts); daily per shop, idempotent. */
  "data-retention": z.object({ shop: shopDomain }),
} as const;

export type JobKind = keyof typeof jobPayloads;
export type JobPayload<K extends JobKind> = z.infer<(typeof jobPayloads)[K]>;

export const jobQueues: Record<JobKind, QueueName> = {
  heartbeat: "maintenance",
  "drain-webhooks": "webhooks",
  "membership-sync": "maintenance",
  // Its own queue: a large import runs for a while and must not hold up heartbeats or webhooks.
  "import-orders": "imports",
  // A backfill imports a shop's whole history; it shares the imports queue for the same reason.
  backfill: "imports",
  "campaign-run": "campaigns",
  // Its own queue, so a shop's campaign being sent never holds up webhooks or imports.
  "push-send": "push",
  // Its own queue: a shop's nightly recompute runs for a while and must not hold up webhooks or pushes.
  "analytics-members": "analytics",
  "analytics-recompute": "analytics",
  "pickup-expire-holds": "maintenance",
  // Its own queue: rendering a report takes seconds and must not hold up heartbeats or pickups.
  "weekly-report": "reports",
  "data-retention": "maintenance",
};

export function isJobKind(name: string): name is JobKind {
  return Object.hasOwn(jobPayloads, name);
}

/** Retries with backoff; finished jobs are kept long enough to inspect, then pruned. */
export const defaultJobOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 5_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

/**
 * At most one drain per shop runs, and at most one more waits: a delivery that
 * arrives while a drain is running is picked up by the one waiting behind it.
 */
export function drainJobOptions(shop: string) {
  return {
    deduplication: { id: `drain-webhooks-${shop}`, keepLastIfActive: true },
    removeOnComplete: { age: 3600, count: 1_000 },
  } as const;
}

/**
 * One push drain per shop runs (the per-shop rate holds across workers) and at
 * most one more waits; an immediate request moves a drain that is waiting on a
 * retry backoff to now. Wake-ups are separate, delayed, one per shop and second.
 */
export function pushSendJobOptions(shop: string) {
  return {
    deduplication: { id: `push-send-${shop}`, keepLastIfActive: true, reschedule: true },
    removeOnComplete: { age: 3600, count: 1_000 },
  } as const;
}

export function pushWakeJobOptions(shop: string, atMs: number, nowMs: number) {
  return { jobId: `push-wake-${shop}-${atMs}`, delay: Math.max(0, atMs - nowMs), removeOnComplete: true, removeOnFail: { age: 24 * 3600 } } as const;
}
