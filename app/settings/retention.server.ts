import { localDateOf } from "../analytics/local-dates";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import type { Database } from "../db/prisma.server";
import { recordAudit } from "../audit/audit.server";

/**
 * The shop's data retention period (ShopSettings.dataRetentionDays): every
 * day, orders processed before the period are anonymised — no longer linked
 * to a customer (they count as guest orders: traffic, not customer metrics)
 * and without their note attributes, which can carry what the buyer typed —
 * while their totals, line items and refunds stay for the shop's own trade
 * figures. Pickup orders of that time lose their customer too. Visits on
 * local days before the period (derived, customer-linked) are deleted, and so
 * are webhook deliveries received before it (those already applied) and
 * pushes created before it (those no longer queued). Customers, members and
 * their consent records stay (membership is ongoing); member features and
 * cohorts follow at the next recompute, which is requested when anything
 * changed. Running it twice changes nothing the second time.
 */

export interface RetentionOutcome {
  shop: string;
  /** Null when the shop keeps everything. */
  retentionDays: number | null;
  cutoff: string | null;
  anonymised: { orders: number; pickupOrders: number };
  deleted: { visits: number; webhookDeliveries: number; pushDeliveries: number };
}

const NOTHING = { anonymised: { orders: 0, pickupOrders: 0 }, deleted: { visits: 0, webhookDeliveries: 0, pushDeliveries: 0 } };

export async function applyRetention(db: Database, shop: string, now: Date = new Date()): Promise<RetentionOutcome> {
  const settings = await db.shopSettings.findUnique({ where: { shop }, select: { dataRetentionDays: true } });
  const days = settings?.dataRetentionDays ?? null;
  if (days === null) return { shop, retentionDays: null, cutoff: null, ...NOTHING };
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`shop ${shop}: ShopSettings.dataRetentionDays must be a whole number of days ≥ 1 (is ${days})`);
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const { timezone } = await shopAnalyticsSettings(db, shop);
  const cutoffDay = localDateOf(cutoff, timezone).toISOString().slice(0, 10);

  const outcome = await db.$transaction(async (tx) => {
    const orders = await tx.$executeRaw`
      UPDATE "Order" SET "customerId" = NULL, "noteAttributes" = '[]'::jsonb, "updatedAt" = now()
      WHERE shop = ${shop} AND "processedAt" < ${cutoff}::timestamp
        AND ("customerId" IS NOT NULL OR "noteAttributes" <> '[]'::jsonb)`;
    const pickupOrders = await tx.$executeRaw`
      UPDATE "PickupOrder" SET "customerId" = NULL, "updatedAt" = now()
      WHERE shop = ${shop} AND "slotStart" < ${cutoff}::timestamp AND "customerId" IS NOT NULL`;
    const visits = await tx.$executeRaw`DELETE FROM "Visit" WHERE shop = ${shop} AND "localDate" < ${cutoffDay}::date`;
    const webhookDeliveries = await tx.$executeRaw`DELETE FROM "WebhookDelivery" WHERE shop = ${shop} AND "receivedAt" < ${cutoff}::timestamp AND status <> 'received'`;
    const pushDeliveries = await tx.$executeRaw`DELETE FROM "PushDelivery" WHERE shop = ${shop} AND "createdAt" < ${cutoff}::timestamp AND status <> 'queued'`;
    const changed = { anonymised: { orders, pickupOrders }, deleted: { visits, webhookDeliveries, pushDeliveries } };
    if ([...Object.values(changed.anonymised), ...Object.values(changed.deleted)].some((n) => n > 0)) {
      await recordAudit(tx, { shop, actor: "system", action: "retention.apply", target: "data", details: { retentionDays: days, cutoff: cutoff.toISOString(), ...changed } });
    }
    return changed;
  });
  return { shop, retentionDays: days, cutoff: cutoff.toISOString(), ...outcome };
}

/** True when a retention run changed anything the analytics are built from. */
export function retentionChangedAnalytics(outcome: RetentionOutcome): boolean {
  return outcome.anonymised.orders > 0 || outcome.deleted.visits > 0;
}
