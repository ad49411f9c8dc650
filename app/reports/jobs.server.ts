import { InvalidShopSettingsError, shopAnalyticsSettings } from "../analytics/dayparts";
import type { Database } from "../db/prisma.server";
import type { JobBackend } from "../../jobs/backend.server";
import { jobPayloads, jobQueues } from "../../jobs/queues";
import { shopLog } from "../lib/log.server";

/**
 * The weekly report's job scheduler: one per shop, firing at the shop's
 * report weekday and minute (ShopSettings.reportWeekday / reportMinute,
 * default Monday 08:00) on the shop's wall clock. The job works out which
 * week to report from its own scheduled time, so a retry reports the same
 * week as the first attempt.
 */

export const weeklyReportSchedulerId = (shop: string) => `weekly-report:${shop}`;

/** ISO weekday 1 (Monday) … 7 (Sunday) and minute of the day as a cron pattern (cron's Sunday is 0). */
export function weeklyReportPattern(weekday: number, minuteOfDay: number): string {
  if (!Number.isInteger(weekday) || weekday < 1 || weekday > 7) throw new RangeError(`report weekday must be 1 (Monday) to 7 (Sunday) (got ${weekday})`);
  if (!Number.isInteger(minuteOfDay) || minuteOfDay < 0 || minuteOfDay >= 1440) throw new RangeError(`report minute must be 0 to 1439 (got ${minuteOfDay})`);
  return `${minuteOfDay % 60} ${Math.floor(minuteOfDay / 60)} * * ${weekday % 7}`;
}

export interface WeeklyReportSchedule {
  pattern: string;
  timezone: string;
}

/** Registers (or moves) the shop's weekly report at its settings' local time; settings that cannot be read fall back to Monday 08:00 UTC with a warning. */
export async function scheduleWeeklyReport(db: Database, jobs: JobBackend, shop: string): Promise<WeeklyReportSchedule> {
  let timezone = "UTC";
  try {
    timezone = (await shopAnalyticsSettings(db, shop)).timezone;
  } catch (error) {
    if (!(error instanceof InvalidShopSettingsError)) throw error;
    shopLog(shop).warn(`${error.message}; the weekly report is scheduled on UTC time`);
  }
  const settings = await db.shopSettings.findUnique({ where: { shop }, select: { reportWeekday: true, reportMinute: true } });
  let pattern: string;
  try {
    pattern = weeklyReportPattern(settings?.reportWeekday ?? 1, settings?.reportMinute ?? 480);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    shopLog(shop).warn(`ShopSettings ${error.message}; the weekly report is scheduled for Monday 08:00`);
    pattern = weeklyReportPattern(1, 480);
  }
  const data = jobPayloads["weekly-report"].parse({ shop });
  await jobs.queue(jobQueues["weekly-report"]).upsertJobScheduler(weeklyReportSchedulerId(shop), { pattern, tz: timezone }, { name: "weekly-report", data });
  return { pattern, timezone };
}

export async function unscheduleWeeklyReport(jobs: JobBackend, shop: string): Promise<void> {
  await jobs.queue(jobQueues["weekly-report"]).removeJobScheduler(weeklyReportSchedulerId(shop));
}
