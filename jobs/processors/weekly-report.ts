import { UnrecoverableError, type Job } from "bullmq";
import { AnalyticsShopNotFoundError, InvalidShopSettingsError, shopAnalyticsSettings } from "../../app/analytics/dayparts";
import type { Database } from "../../app/db/prisma.server";
import { ReportShopNotFoundError } from "../../app/reports/figures.server";
import { produceWeeklyReport, type ProduceResult } from "../../app/reports/generate.server";
import type { ReportMailer } from "../../app/reports/mail.server";
import { lastFullWeek, parseIsoWeek, WeekFormatError } from "../../app/reports/week";
import { jobPayloads } from "../queues";

export interface WeeklyReportDeps {
  db: Database;
  mailer: ReportMailer | null;
  from: string;
}

/**
 * When the job was meant to run: a scheduler's job carries its fire time
 * (prevMillis); a job added by hand, its creation. The same on every retry.
 */
export function scheduledAt(job: Pick<Job, "timestamp" | "opts">): Date {
  const fire = job.opts.prevMillis;
  return new Date(typeof fire === "number" && fire > 0 ? fire : job.timestamp);
}

/** Validates the payload, works out the week, and makes, stores and mails its report once. */
export async function processWeeklyReport(job: Job, deps: WeeklyReportDeps): Promise<ProduceResult> {
  const parsed = jobPayloads["weekly-report"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`weekly-report payload invalid: ${parsed.error.issues[0]?.message}`);
  const { shop } = parsed.data;
  try {
    const week = parsed.data.week ? parseIsoWeek(parsed.data.week).key : lastFullWeek(scheduledAt(job), (await shopAnalyticsSettings(deps.db, shop)).timezone).key;
    return await produceWeeklyReport(deps.db, shop, week, { mailer: deps.mailer, from: deps.from, send: true });
  } catch (error) {
    // A shop that is gone, settings or a week that cannot be used stay so on a retry; an SMTP failure may not.
    if (error instanceof ReportShopNotFoundError || error instanceof AnalyticsShopNotFoundError || error instanceof InvalidShopSettingsError || error instanceof WeekFormatError) {
      throw new UnrecoverableError(error.message);
    }
    throw error;
  }
}
