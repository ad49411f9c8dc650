import type { Database } from "../db/prisma.server";
import { heatmapChart, kpiChart, type ChartAsset } from "./charts";
import { HEATMAP_WEEKS, type WeeklyFigures } from "./figures";
import { computeWeeklyFigures } from "./figures.server";
import { buildReportMessage, ReportMailError, reportMessageId, type ReportMailer } from "./mail.server";
import { contentId, renderReportCsv, renderReportHtml } from "./render";
import { parseIsoWeek } from "./week";
import { claimSend, getReport, getReportAssets, markFailed, markSent, noteNotMailed, storeReportOnce } from "./store.server";

/**
 * Making and mailing a shop's weekly report, the steps the job and the CLI
 * share: figures → charts → HTML and CSV → stored once → mailed at most once
 * (app/reports/store.server.ts).
 */

export const REPORT_STEPS = ["figures", "charts", "store", "mail"] as const;
export type ReportStep = (typeof REPORT_STEPS)[number];

export interface RenderedWeeklyReport {
  figures: WeeklyFigures;
  html: string;
  csv: string;
  assets: ChartAsset[];
}

export async function renderWeeklyReport(db: Database, shop: string, week: string, onStep?: (step: ReportStep) => void): Promise<RenderedWeeklyReport> {
  onStep?.("figures");
  const figures = await computeWeeklyFigures(db, shop, week);
  onStep?.("charts");
  const assets = [kpiChart(figures.kpis, { last: figures.previousWeek, current: figures.week }, figures.currency), heatmapChart(figures.heatmap.rows, HEATMAP_WEEKS)];
  return { figures, html: renderReportHtml(figures, (name) => `cid:${contentId(name, figures.week)}`), csv: renderReportCsv(figures), assets };
}

export type MailOutcome =
  | { kind: "sent"; messageId: string; recipients: string[] }
  | { kind: "already-sent"; messageId: string | null; sentAt: Date | null }
  | { kind: "send-unconfirmed"; messageId: string | null }
  | { kind: "no-recipients" }
  | { kind: "mail-not-configured" };

export interface ProduceResult {
  shop: string;
  week: string;
  /** This call stored the report (false: it was stored already, by an earlier attempt or a racing worker, or skipped). */
  created: boolean;
  /**
   * Set when nothing was made: the shop has no visit up to the week's end (a
   * new install whose history is not in yet). Nothing is stored, so the week
   * can still be reported once the history arrives.
   */
  skipped: "no-visits" | null;
  mail: MailOutcome | null;
}

export interface ProduceOptions {
  mailer: ReportMailer | null;
  from: string;
  /** Mail the report (the job does; the CLI only with --send). */
  send: boolean;
  /** Send even when a send is on record (the CLI's --resend). */
  resend?: boolean;
  onStep?: (step: ReportStep) => void;
  now?: () => Date;
}

/** Renders and stores the week's report unless stored, then mails it if asked; safe to run any number of times at once. */
export async function produceWeeklyReport(db: Database, shop: string, week: string, options: ProduceOptions): Promise<ProduceResult> {
  const existing = await db.weeklyReport.findUnique({ where: { shop_week: { shop, week } }, select: { week: true } });
  let created = false;
  if (!existing) {
    const sunday = parseIsoWeek(week).sunday;
    const visit = await db.visit.findFirst({ where: { shop, localDate: { lte: sunday } }, select: { shop: true } });
    if (!visit) return { shop, week, created, skipped: "no-visits", mail: null };
    const rendered = await renderWeeklyReport(db, shop, week, options.onStep);
    options.onStep?.("store");
    created = await storeReportOnce(db, shop, { week, ...rendered });
  }
  if (!options.send) return { shop, week, created, skipped: null, mail: null };
  options.onStep?.("mail");
  return { shop, week, created, skipped: null, mail: await mailWeeklyReport(db, shop, week, options) };
}

export async function mailWeeklyReport(db: Database, shop: string, week: string, options: Pick<ProduceOptions, "mailer" | "from" | "resend" | "now">): Promise<MailOutcome> {
  const settings = await db.shopSettings.findUnique({ where: { shop }, select: { reportRecipients: true } });
  const recipients = settings?.reportRecipients ?? [];
  if (recipients.length === 0) {
    await noteNotMailed(db, shop, week, "not mailed: the shop has no report recipients (Settings → report recipients)");
    return { kind: "no-recipients" };
  }
  if (!options.mailer) {
    await noteNotMailed(db, shop, week, "not mailed: SMTP_URL is not set");
    return { kind: "mail-not-configured" };
  }
  const messageId = reportMessageId(shop, week);
  const claim = await claimSend(db, shop, week, { recipients, messageId, resend: options.resend });
  if (!claim.claimed) {
    if (claim.status === "sent") return { kind: "already-sent", messageId: claim.messageId, sentAt: claim.sentAt };
    return { kind: "send-unconfirmed", messageId: claim.messageId };
  }
  const report = await getReport(db, shop, week);
  if (!report) throw new Error(`the report of ${week} for ${shop} vanished while it was being sent`);
  const figures = report.figures as unknown as WeeklyFigures;
  const images = (await getReportAssets(db, shop, week)).map((asset) => ({ name: asset.name, contentType: "image/png" as const, alt: asset.name, data: asset.data }));
  const message = { ...buildReportMessage(figures, images, report.csv, { from: options.from, to: recipients, messageId }), html: report.html };
  try {
    const sent = await options.mailer.send(message);
    await markSent(db, shop, week, { messageId: sent.messageId || messageId, at: (options.now ?? (() => new Date()))() });
    return { kind: "sent", messageId: sent.messageId || messageId, recipients: sent.accepted };
  } catch (error) {
    // The server answered with a refusal, so the mail was not taken: a later attempt may send it.
    if (error instanceof ReportMailError) await markFailed(db, shop, week, error.message);
    throw error;
  }
}
