import type { Database } from "../db/prisma.server";
import type { WeeklyFigures } from "./figures";
import { formatInterval, formatKpiChange, formatKpiValue, TREND_WORDS } from "./kpis";
import { inlineImages } from "./render";
import { getReport, getReportAsset, getReportAssets, listReports } from "./store.server";
import { lastFullWeek, parseIsoWeek, WeekFormatError } from "./week";

/**
 * What the admin's report pages load, every read scoped by the signed-in
 * shop: the list with the schedule (and a useful empty state), one report's
 * figures formatted for display, and its files (charts, HTML, CSV).
 */

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

export interface ReportListPage {
  schedule: string;
  recipients: string[];
  hasVisits: boolean;
  latestFullWeek: string;
  reports: Array<{ week: string; status: string; generatedAt: string; sentAt: string | null; recipients: number; error: string | null }>;
}

export async function reportListPage(db: Database, shop: string, now: Date = new Date()): Promise<ReportListPage> {
  const [settings, shopRow, visit, reports] = await Promise.all([
    db.shopSettings.findUnique({ where: { shop }, select: { reportWeekday: true, reportMinute: true, reportRecipients: true, timezoneOverride: true } }),
    db.shop.findUnique({ where: { domain: shop }, select: { timezone: true } }),
    db.visit.findFirst({ where: { shop }, select: { shop: true } }),
    listReports(db, shop),
  ]);
  const weekday = settings?.reportWeekday ?? 1;
  const minute = settings?.reportMinute ?? 480;
  const timezone = settings?.timezoneOverride ?? shopRow?.timezone ?? "UTC";
  let latestFullWeek: string;
  try {
    latestFullWeek = lastFullWeek(now, timezone).key;
  } catch {
    latestFullWeek = lastFullWeek(now, "UTC").key;
  }
  return {
    schedule: `${WEEKDAYS[weekday - 1] ?? "Monday"} ${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")} (${timezone})`,
    recipients: settings?.reportRecipients ?? [],
    hasVisits: visit !== null,
    latestFullWeek,
    reports: reports.map((r) => ({
      week: r.week,
      status: r.status,
      generatedAt: r.generatedAt.toISOString(),
      sentAt: r.sentAt?.toISOString() ?? null,
      recipients: r.recipients.length,
      error: r.error,
    })),
  };
}

/** A route's week parameter, or null when it is not an ISO week (the route answers 404). */
export function weekParam(value: string | undefined): string | null {
  try {
    return parseIsoWeek(value ?? "").key === value ? (value ?? null) : null;
  } catch (error) {
    if (error instanceof WeekFormatError) return null;
    throw error;
  }
}

export interface ReportViewPage {
  week: string;
  status: string;
  generatedAt: string;
  sentAt: string | null;
  messageId: string | null;
  recipients: string[];
  error: string | null;
  figures: WeeklyFigures;
  kpiRows: string[][];
  assets: string[];
  /**
   * The charts as data URLs: inside Shopify's admin frame an <img> request
   * carries no session token, so the page brings its images with it.
   */
  charts: Record<string, string>;
}

export async function reportViewPage(db: Database, shop: string, week: string): Promise<ReportViewPage | null> {
  const report = await getReport(db, shop, week);
  if (!report) return null;
  // Written by computeWeeklyFigures for this very row; not input from outside.
  const figures = report.figures as unknown as WeeklyFigures;
  const c = figures.currency;
  return {
    week: report.week,
    status: report.status,
    generatedAt: report.generatedAt.toISOString(),
    sentAt: report.sentAt?.toISOString() ?? null,
    messageId: report.messageId,
    recipients: report.recipients,
    error: report.error,
    figures,
    kpiRows: figures.kpis.map((k) => [
      k.label,
      `${formatKpiValue(k.unit, k.lastWeek.value, c)} (${formatInterval(k.unit, k.lastWeek, c)})`,
      `${formatKpiValue(k.unit, k.thisWeek.value, c)} (${formatInterval(k.unit, k.thisWeek, c)})`,
      k.target === null ? "–" : `${formatKpiValue(k.unit, k.target, c)}${k.targetMet ? " (met)" : " (not met)"}`,
      `${TREND_WORDS[k.trend]} (${formatKpiChange(k.unit, k.change, c)})`,
    ]),
    assets: report.assets.map((a) => a.name).sort(),
    charts: Object.fromEntries(
      (await getReportAssets(db, shop, week))
        .filter((asset) => asset.contentType === "image/png")
        .map((asset) => [asset.name, `data:image/png;base64,${asset.data.toString("base64")}`]),
    ),
  };
}

export interface ReportFile {
  body: Buffer | string;
  contentType: string;
  /** Set for downloads (Content-Disposition: attachment). */
  filename: string | null;
}

/** A report's chart by name, or its whole HTML ("report.html", images inside) or CSV ("report.csv"); null when the shop has no such file. */
export async function reportFile(db: Database, shop: string, week: string, name: string): Promise<ReportFile | null> {
  if (name === "report.html" || name === "report.csv") {
    const report = await db.weeklyReport.findUnique({ where: { shop_week: { shop, week } }, select: { html: true, csv: true } });
    if (!report) return null;
    if (name === "report.csv") return { body: report.csv, contentType: "text/csv; charset=utf-8", filename: `regulars-${week}.csv` };
    return { body: inlineImages(report.html, week, await getReportAssets(db, shop, week)), contentType: "text/html; charset=utf-8", filename: `regulars-${week}.html` };
  }
  const asset = await getReportAsset(db, shop, week, name);
  return asset ? { body: asset.data, contentType: asset.contentType, filename: null } : null;
}
