import { simpleParser, type ParsedMail } from "mailparser";
import { recomputeFeatures } from "../../app/analytics/features.server";
import { rebuildVisits } from "../../app/analytics/visits.server";
import type { Database } from "../../app/db/prisma.server";
import type { CapturedMail } from "../../app/reports/capture-smtp.server";
import { registerInstall } from "../../app/shops/shops.server";
import { upsertOrder } from "../../app/sync/orders.server";
import { order } from "./sync-fixtures";

/**
 * A small cafe for the weekly report (Europe/London, UTC+0 in February):
 * 2026-W08 (16–22 Feb): customers 101–105 each visit once, £4.00 each.
 * 2026-W09 (23 Feb–1 Mar): 101–105 come back (£5.00), 101 twice (£6.00 more),
 * 106–110 are new (£3.00), and one guest order (£2.00) has no customer.
 * So in W09: repurchase 5 of 10, 11 visits by 10 members, 12 orders of £48.
 */
export const REPORT_WEEK = "2026-W09";
export const REPORT_PREVIOUS_WEEK = "2026-W08";

export async function seedReportShop(db: Database, shop: string, options: { recipients?: string[]; name?: string } = {}): Promise<void> {
  await registerInstall(db, { domain: shop, name: options.name ?? "North Cafe", timezone: "Europe/London", currency: "GBP" });
  if (options.recipients) {
    await db.shopSettings.upsert({ where: { shop }, create: { shop, reportRecipients: options.recipients }, update: { reportRecipients: options.recipients } });
  }
  let next = 1;
  const sell = async (customerId: string | null, at: string, total: string) => {
    const id = String(70_000 + next++);
    const processedAt = new Date(at);
    await upsertOrder(db, shop, order({ id, name: `#${id}`, customerId, processedAt, totalPrice: total, subtotalPrice: total, shopifyCreatedAt: processedAt, shopifyUpdatedAt: processedAt, lineItems: [] }), "webhook");
  };
  for (let c = 101; c <= 105; c++) {
    await sell(String(c), "2026-02-17T09:00:00Z", "4.00");
    await sell(String(c), "2026-02-25T09:00:00Z", "5.00");
  }
  await sell("101", "2026-02-27T09:00:00Z", "6.00");
  for (let c = 106; c <= 110; c++) await sell(String(c), "2026-02-26T09:00:00Z", "3.00");
  await sell(null, "2026-02-28T10:00:00Z", "2.00");
  await rebuildVisits(db, shop);
  await recomputeFeatures(db, shop);
}

export async function parseCaptured(mail: CapturedMail): Promise<ParsedMail> {
  // Keep cid: links as sent (the parser would otherwise rewrite them to data: URIs).
  return simpleParser(mail.raw, { keepCidLinks: true });
}
