import { createHash } from "node:crypto";
import { InvalidShopSettingsError, shopAnalyticsSettings } from "../app/analytics/dayparts";
import type { Database } from "../app/db/prisma.server";
import { schedulePickupExpiry, unschedulePickupExpiry } from "../app/pickup/jobs.server";
import { scheduleWeeklyReport, unscheduleWeeklyReport } from "../app/reports/jobs.server";
import type { JobBackend } from "./backend.server";
import { jobPayloads, jobQueues } from "./queues";
import { shopLog } from "../app/lib/log.server";

const heartbeatSchedulerId = (shop: string) => `heartbeat:${shop}`;

/** Registers a shop's recurring jobs; upserting keeps it idempotent across restarts and re-installs. */
export async function scheduleShopJobs(jobs: JobBackend, shop: string, heartbeatEverySeconds: number): Promise<void> {
  const data = jobPayloads.heartbeat.parse({ shop });
  await jobs
    .queue(jobQueues.heartbeat)
    .upsertJobScheduler(heartbeatSchedulerId(shop), { every: heartbeatEverySeconds * 1000 }, { name: "heartbeat", data });
  await schedulePickupExpiry(jobs, shop);
  await jobs.queue(jobQueues["data-retention"]).upsertJobScheduler(dataRetentionSchedulerId(shop), { every: DATA_RETENTION_EVERY_MS }, { name: "data-retention", data: jobPayloads["data-retention"].parse({ shop }) });
}

const dataRetentionSchedulerId = (shop: string) => `data-retention:${shop}`;
/** The retention period is in days; checking daily keeps data at most a day past it. */
const DATA_RETENTION_EVERY_MS = 24 * 3600 * 1000;

/** Removes a shop's recurring jobs (on uninstall). */
export async function unscheduleShopJobs(jobs: JobBackend, shop: string): Promise<void> {
  await jobs.queue(jobQueues.heartbeat).removeJobScheduler(heartbeatSchedulerId(shop));
  await jobs.queue(jobQueues["analytics-recompute"]).removeJobScheduler(nightlyRecomputeSchedulerId(shop));
  await unschedulePickupExpiry(jobs, shop);
  await unscheduleWeeklyReport(jobs, shop);
  await jobs.queue(jobQueues["data-retention"]).removeJobScheduler(dataRetentionSchedulerId(shop));
}

export const nightlyRecomputeSchedulerId = (shop: string) => `analytics-nightly:${shop}`;

/**
 * The nightly recompute's cron pattern: 03:mm shop-local, after the day's
 * orders are in, and an hour that happens exactly once every day in Europe
 * and the Americas (their clocks change between 01:00 and 03:00). The minute
 * comes from the shop's domain so that the shops of one zone do not all start
 * at once.
 */
export function nightlyRecomputePattern(shop: string): string {
  const minute = createHash("sha256").update(shop).digest().readUInt16BE(0) % 60;
  return `${minute} 3 * * *`;
}

/** Registers (or moves, when the zone changed) the shop's nightly analytics recompute at its local night. */
export async function scheduleNightlyRecompute(jobs: JobBackend, shop: string, timezone: string): Promise<void> {
  const data = jobPayloads["analytics-recompute"].parse({ shop, kind: "nightly" });
  await jobs
    .queue(jobQueues["analytics-recompute"])
    .upsertJobScheduler(nightlyRecomputeSchedulerId(shop), { pattern: nightlyRecomputePattern(shop), tz: timezone }, { name: "analytics-recompute", data });
}

/**
 * Schedules the nightly recompute in the zone the shop's analytics use
 * (ShopSettings override, else the shop's). Settings that cannot be read do
 * not stop an install or a start: the recompute runs at UTC night and records
 * the settings problem in its run for the owner to fix.
 */
export async function scheduleShopAnalytics(db: Database, jobs: JobBackend, shop: string): Promise<void> {
  let timezone = "UTC";
  try {
    timezone = (await shopAnalyticsSettings(db, shop)).timezone;
  } catch (error) {
    if (!(error instanceof InvalidShopSettingsError)) throw error;
    shopLog(shop).warn(`${error.message}; nightly analytics scheduled at UTC night`);
  }
  await scheduleNightlyRecompute(jobs, shop, timezone);
  // The weekly report also runs on the shop's wall clock (app/reports/jobs.server.ts).
  await scheduleWeeklyReport(db, jobs, shop);
}
