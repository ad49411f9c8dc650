import { z } from "zod";

/**
 * Every queue, job kind, payload schema and default option in one place
 * (BullMQ's own layout). Processors live in `jobs/processors/`, one per kind.
 */
export const QUEUE_NAMES = ["maintenance"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

const shopDomain = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a *.myshopify.com domain");

export const jobPayloads = {
  /** Proves that a shop's jobs are flowing: records one heartbeat row per job. */
  heartbeat: z.object({ shop: shopDomain }),
} as const;

export type JobKind = keyof typeof jobPayloads;
export type JobPayload<K extends JobKind> = z.infer<(typeof jobPayloads)[K]>;

export const jobQueues: Record<JobKind, QueueName> = {
  heartbeat: "maintenance",
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
