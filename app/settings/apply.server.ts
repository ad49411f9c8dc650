import { scheduleWeeklyReport } from "../reports/jobs.server";
import type { Runtime } from "../runtime.server";
import { requestRecompute } from "../../jobs/analytics.server";
import { scheduleShopAnalytics } from "../../jobs/schedules.server";
import type { SettingsField } from "./settings";

/**
 * What a settings change sets in motion: a new clock or new dayparts relabel
 * every visit (a full recompute) and move the shop's nightly and weekly jobs
 * to the new local time; a new report day or time moves the weekly report.
 */
export async function applySettingsChange(runtime: Runtime, shop: string, changed: readonly SettingsField[]): Promise<{ recompute: boolean; rescheduled: boolean }> {
  const clock = changed.includes("timezoneOverride") || changed.includes("dayparts");
  const report = changed.includes("reportWeekday") || changed.includes("reportMinute");
  if (clock) {
    await requestRecompute(runtime.jobs, shop, "full");
    await scheduleShopAnalytics(runtime.db, runtime.jobs, shop);
  } else if (report) {
    await scheduleWeeklyReport(runtime.db, runtime.jobs, shop);
  }
  return { recompute: clock, rescheduled: clock || report };
}
