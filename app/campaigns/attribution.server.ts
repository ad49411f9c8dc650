import type { Database } from "../db/prisma.server";

/**
 * Conversions: an order by the member within the campaign's attribution
 * window after their send time: the time they were sent, or, for the
 * holdout, the time they would have been. Cancelled orders do not count;
 * revenue is the window's orders less refunds. Only members who were
 * eligible have a send time, so both arms are measured the same way.
 *
 * Written onto the recipient rows (first order, its id, the window's
 * revenue) and rewritten only when they change, so running it on every
 * campaign run and before every report is cheap and idempotent. A refund or
 * cancellation that arrives later moves the figures with it.
 */
export async function recordConversions(db: Database, shop: string, campaignId: string, now: Date): Promise<number> {
  return db.$executeRaw`
    WITH windows AS (
      SELECT r."customerId", r."scheduledFor" AS opens,
        r."scheduledFor" + make_interval(hours => c."attributionHours") AS closes
      FROM "CampaignRecipient" r JOIN "Campaign" c ON c.shop = r.shop AND c.id = r."campaignId"
      WHERE r.shop = ${shop} AND r."campaignId" = ${campaignId} AND r."scheduledFor" IS NOT NULL AND r."scheduledFor" <= ${now}::timestamp
    ),
    converted AS (
      SELECT w."customerId",
        min(o."processedAt") AS first_at,
        (array_agg(o.id ORDER BY o."processedAt", o.id))[1] AS first_order,
        sum(o."totalPrice" - o."refundedAmount") AS revenue
      FROM windows w
      JOIN "Order" o ON o.shop = ${shop} AND o."customerId" = w."customerId"
        AND o."processedAt" >= w.opens AND o."processedAt" < w.closes AND o."cancelledAt" IS NULL
      GROUP BY w."customerId"
    ),
    wanted AS (
      SELECT w."customerId", c.first_at, c.first_order, c.revenue
      FROM windows w LEFT JOIN converted c ON c."customerId" = w."customerId"
    )
    UPDATE "CampaignRecipient" r
    SET "convertedAt" = wanted.first_at, "conversionOrderId" = wanted.first_order, revenue = wanted.revenue
    FROM wanted
    WHERE r.shop = ${shop} AND r."campaignId" = ${campaignId} AND r."customerId" = wanted."customerId"
      AND (r."convertedAt" IS DISTINCT FROM wanted.first_at
        OR r."conversionOrderId" IS DISTINCT FROM wanted.first_order
        OR r.revenue IS DISTINCT FROM wanted.revenue)`;
}
