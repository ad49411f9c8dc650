import { localDateOf } from "../analytics/local-dates";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import type { Database } from "../db/prisma.server";
import { recordAudit } from "../audit/audit.server";

/**
 * The shop's data retention period (ShopSettings.dataRetentionDays): every
 * day, orders processed before the period (with their line items and
 * refunds), visits on local days before it, webhook deliveries received
 * before it (those already applied), and pushes created before it (those no
 * longer queued) are deleted for that shop. Customers, members and their
 * consent records stay (membership is ongoing); member features and cohorts
 * follow at the next recompute, which is requested when anything was
 * deleted. Running it twice deletes nothing the second time.
 */

export interface RetentionOutcome {
  shop: string;
  /** Null when the shop keeps everything. */
  retentionDays: number | null;
  cutoff: string | null;
  deleted: { orders: number; lineItems: number; refunds: number; visits: number; webhookDeliveries: number; pushDeliveries: number };
}

const NOTHING = { orders: 0, lineItems: 0, refunds: 0, visits: 0, webhookDeliveries: 0, pushDeliveries: 0 };

export async function applyRetention(db: Database, shop: string, now: Date = new Date()): Promise<RetentionOutcome> {
  const settings = await db.shopSettings.findUnique({ where: { shop }, select: { dataRetentionDays: true } });
  const days = settings?.dataRetentionDays ?? null;
  if (days === null) return { shop, retentionDays: null, cutoff: null, deleted: NOTHING };
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`shop ${shop}: ShopSettings.dataRetentionDays must be a whole number of days ≥ 1 (is ${days})`);
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const { timezone } = await shopAnalyticsSettings(db, shop);
  const cutoffDay = localDateOf(cutoff, timezone).toISOString().slice(0, 10);

  const deleted = await db.$transaction(async (tx) => {
    const lineItems = await tx.$executeRaw`
      DELETE FROM "LineItem" li USING "Order" o
      WHERE li.shop = ${shop} AND o.shop = ${shop} AND li."orderId" = o.id AND o."processedAt" < ${cutoff}::timestamp`;
    const refunds = await tx.$executeRaw`
      DELETE FROM "Refund" r USING "Order" o
      WHERE r.shop = ${shop} AND o.shop = ${shop} AND r."orderId" = o.id AND o."processedAt" < ${cutoff}::timestamp`;
    const orders = await tx.$executeRaw`DELETE FROM "Order" WHERE shop = ${shop} AND "processedAt" < ${cutoff}::timestamp`;
    const visits = await tx.$executeRaw`DELETE FROM "Visit" WHERE shop = ${shop} AND "localDate" < ${cutoffDay}::date`;
    const webhookDeliveries = await tx.$executeRaw`DELETE FROM "WebhookDelivery" WHERE shop = ${shop} AND "receivedAt" < ${cutoff}::timestamp AND status <> 'received'`;
    const pushDeliveries = await tx.$executeRaw`DELETE FROM "PushDelivery" WHERE shop = ${shop} AND "createdAt" < ${cutoff}::timestamp AND status <> 'queued'`;
    const counts = { orders, lineItems, refunds, visits, webhookDeliveries, pushDeliveries };
    if (Object.values(counts).some((n) => n > 0)) {
      await recordAudit(tx, { shop, actor: "system", action: "retention.delete", target: "data", details: { retentionDays: days, cutoff: cutoff.toISOString(), deleted: counts } });
    }
    return counts;
  });
  return { shop, retentionDays: days, cutoff: cutoff.toISOString(), deleted };
}

/** True when a retention run deleted anything the analytics were built from. */
export function retentionChangedAnalytics(outcome: RetentionOutcome): boolean {
  return outcome.deleted.orders > 0 || outcome.deleted.visits > 0;
}
