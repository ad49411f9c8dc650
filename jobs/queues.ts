import { z } from "zod";

/**
 * Every queue, job kind, payload schema and default option in one place
 * (BullMQ's own layout). Processors live in `jobs/processors/`, one per kind.
 */
export const QUEUE_NAMES = ["maintenance", "webhooks", "imports"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

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
