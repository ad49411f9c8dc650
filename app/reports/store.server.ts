import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import type { ChartAsset } from "./charts";

/**
 * Stored reports (docs/decisions on exactly one report per shop and week).
 *
 * - Writing: the report and its charts go in one transaction whose INSERT
 *   does nothing when (shop, week) exists; a racing writer waits on the key,
 *   then inserts nothing, and everyone reads back the one row.
 * - Mailing: a send starts by moving the row to `sending` in one UPDATE
 *   guarded by its status; only the caller that moved it sends. A row left in
 *   `sending` (the process died mid-send) is never sent again automatically:
 *   at most once, since the SMTP server may already have taken the mail.
 *
 * Every read and write names the shop.
 */

export const REPORT_STATUSES = ["rendered", "sending", "sent", "failed"] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

export interface StoredReportSummary {
  week: string;
  status: string;
  generatedAt: Date;
  sentAt: Date | null;
  recipients: string[];
  attempts: number;
  error: string | null;
}

export interface RenderedReport {
  week: string;
  figures: unknown;
  html: string;
  csv: string;
  assets: ChartAsset[];
}

/** Stores a report unless the week's report exists; true when this call wrote it. */
export async function storeReportOnce(db: Database, shop: string, report: RenderedReport): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const inserted = await tx.$queryRaw<Array<{ week: string }>>`
      INSERT INTO "WeeklyReport" (shop, week, status, figures, html, csv)
      VALUES (${shop}, ${report.week}, 'rendered', ${JSON.stringify(report.figures)}::jsonb, ${report.html}, ${report.csv})
      ON CONFLICT (shop, week) DO NOTHING
      RETURNING week`;
    if (inserted.length === 0) return false;
    await tx.weeklyReportAsset.createMany({
      data: report.assets.map((asset) => ({ shop, week: report.week, name: asset.name, contentType: asset.contentType, data: new Uint8Array(asset.data) })),
    });
    return true;
  });
}

export type SendClaim = { claimed: true; attempts: number } | { claimed: false; status: string; sentAt: Date | null; messageId: string | null };

/**
 * Claims the week's report for one send: true for exactly one caller while
 * the report is rendered or its last send failed (or, with `resend`, whatever
 * its state). Records the recipients and the Message-ID before the send.
 */
export async function claimSend(db: Database, shop: string, week: string, claim: { recipients: string[]; messageId: string; resend?: boolean }): Promise<SendClaim> {
  const statuses = claim.resend ? ["rendered", "failed", "sending", "sent"] : ["rendered", "failed"];
  const rows = await db.$queryRaw<Array<{ attempts: number }>>`
    UPDATE "WeeklyReport"
    SET status = 'sending', attempts = attempts + 1, recipients = ${claim.recipients}::text[], "messageId" = ${claim.messageId}, error = NULL
    WHERE shop = ${shop} AND week = ${week} AND status IN (${Prisma.join(statuses)})
    RETURNING attempts`;
  const row = rows[0];
  if (row) return { claimed: true, attempts: row.attempts };
  const current = await db.weeklyReport.findUnique({ where: { shop_week: { shop, week } }, select: { status: true, sentAt: true, messageId: true } });
  if (!current) throw new Error(`no report of ${week} is stored for ${shop}`);
  return { claimed: false, ...current };
}

export async function markSent(db: Database, shop: string, week: string, sent: { messageId: string; at: Date }): Promise<void> {
  await db.weeklyReport.updateMany({ where: { shop, week, status: "sending" }, data: { status: "sent", sentAt: sent.at, messageId: sent.messageId, error: null } });
}

export async function markFailed(db: Database, shop: string, week: string, error: string): Promise<void> {
  await db.weeklyReport.updateMany({ where: { shop, week, status: "sending" }, data: { status: "failed", error } });
}

/** Notes why a rendered report was not mailed (no recipients, no SMTP server) without changing its state. */
export async function noteNotMailed(db: Database, shop: string, week: string, reason: string): Promise<void> {
  await db.weeklyReport.updateMany({ where: { shop, week, status: "rendered" }, data: { error: reason } });
}

export async function listReports(db: Database, shop: string, options: { take?: number } = {}): Promise<StoredReportSummary[]> {
  return db.weeklyReport.findMany({
    where: { shop },
    orderBy: { week: "desc" },
    take: options.take ?? 104,
    select: { week: true, status: true, generatedAt: true, sentAt: true, recipients: true, attempts: true, error: true },
  });
}

export async function getReport(db: Database, shop: string, week: string) {
  return db.weeklyReport.findUnique({ where: { shop_week: { shop, week } }, include: { assets: { select: { name: true, contentType: true } } } });
}

export async function getReportAsset(db: Database, shop: string, week: string, name: string): Promise<{ contentType: string; data: Buffer } | null> {
  const asset = await db.weeklyReportAsset.findUnique({ where: { shop_week_name: { shop, week, name } }, select: { contentType: true, data: true } });
  return asset ? { contentType: asset.contentType, data: Buffer.from(asset.data) } : null;
}

export async function getReportAssets(db: Database, shop: string, week: string): Promise<Array<{ name: string; contentType: string; data: Buffer }>> {
  const assets = await db.weeklyReportAsset.findMany({ where: { shop, week }, orderBy: { name: "asc" } });
  return assets.map((asset) => ({ name: asset.name, contentType: asset.contentType, data: Buffer.from(asset.data) }));
}
