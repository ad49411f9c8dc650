import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import type { SyncSource, SyncedOrder, SyncedRefund } from "./types";

export type UpsertOutcome = "created" | "updated" | "stale";

type Tx = Prisma.TransactionClient;

/**
 * Stores an order with its line items and refunds, idempotently: the row is
 * written only when it is new or its `updated_at` is newer than the one held,
 * so duplicates and late, out-of-order deliveries change nothing.
 */
export async function upsertOrder(db: Database, shop: string, order: SyncedOrder, source: SyncSource): Promise<UpsertOutcome> {
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ inserted: boolean }>>`
      INSERT INTO "Order" (shop, id, name, "customerId", "locationId", channel, "sourceName", currency,
        "totalPrice", "subtotalPrice", "totalDiscounts", "financialStatus", "processedAt", "cancelledAt",
        "noteAttributes", "shopifyCreatedAt", "shopifyUpdatedAt", source, "createdAt", "updatedAt")
      VALUES (${shop}, ${order.id}, ${order.name}, ${order.customerId}, ${order.locationId}, ${order.channel},
        ${order.sourceName}, ${order.currency}, ${order.totalPrice}::numeric, ${order.subtotalPrice}::numeric,
        ${order.totalDiscounts}::numeric, ${order.financialStatus}, ${order.processedAt}, ${order.cancelledAt},
        ${JSON.stringify(order.noteAttributes)}::jsonb, ${order.shopifyCreatedAt}, ${order.shopifyUpdatedAt},
        ${source}, now(), now())
      ON CONFLICT (shop, id) DO UPDATE SET
        name = EXCLUDED.name,
        -- A redacted customer's orders keep their pseudonym: a late update must not re-link them.
        "customerId" = CASE WHEN "Order"."customerId" LIKE 'redacted-%' THEN "Order"."customerId" ELSE EXCLUDED."customerId" END,
        "locationId" = EXCLUDED."locationId",
        channel = EXCLUDED.channel, "sourceName" = EXCLUDED."sourceName", currency = EXCLUDED.currency,
        "totalPrice" = EXCLUDED."totalPrice", "subtotalPrice" = EXCLUDED."subtotalPrice",
        "totalDiscounts" = EXCLUDED."totalDiscounts", "financialStatus" = EXCLUDED."financialStatus",
        "processedAt" = EXCLUDED."processedAt", "cancelledAt" = EXCLUDED."cancelledAt",
        "noteAttributes" = EXCLUDED."noteAttributes", "shopifyCreatedAt" = EXCLUDED."shopifyCreatedAt",
        "shopifyUpdatedAt" = EXCLUDED."shopifyUpdatedAt", source = EXCLUDED.source, "updatedAt" = now()
      WHERE "Order"."shopifyUpdatedAt" < EXCLUDED."shopifyUpdatedAt"
      RETURNING (xmax = 0) AS inserted`;
    const row = rows[0];
    if (!row) return "stale";
    await replaceLineItems(tx, shop, order);
    for (const refund of order.refunds) await insertRefund(tx, shop, refund);
    await recomputeRefunded(tx, shop, order.id);
    return row.inserted ? "created" : "updated";
  });
}

/** Stores a refund once (refunds/create can come before or after its order) and updates the order's refunded total. */
export async function upsertRefund(db: Database, shop: string, refund: SyncedRefund): Promise<"created" | "duplicate"> {
  return db.$transaction(async (tx) => {
    const created = await insertRefund(tx, shop, refund);
    await recomputeRefunded(tx, shop, refund.orderId);
    return created ? "created" : "duplicate";
  });
}

async function replaceLineItems(tx: Tx, shop: string, order: SyncedOrder): Promise<void> {
  await tx.$executeRaw`DELETE FROM "LineItem" WHERE shop = ${shop} AND "orderId" = ${order.id}`;
  if (order.lineItems.length === 0) return;
  const values = order.lineItems.map(
    (item) =>
      Prisma.sql`(${shop}, ${order.id}, ${item.id}, ${item.productId}, ${item.variantId}, ${item.sku}, ${item.title}, ${item.quantity}, ${item.price}::numeric)`,
  );
  await tx.$executeRaw`
    INSERT INTO "LineItem" (shop, "orderId", id, "productId", "variantId", sku, title, quantity, price)
    VALUES ${Prisma.join(values)}
    ON CONFLICT (shop, "orderId", id) DO NOTHING`;
}

async function insertRefund(tx: Tx, shop: string, refund: SyncedRefund): Promise<boolean> {
  const inserted = await tx.$executeRaw`
    INSERT INTO "Refund" (shop, id, "orderId", amount, "createdAt")
    VALUES (${shop}, ${refund.id}, ${refund.orderId}, ${refund.amount}::numeric, ${refund.createdAt})
    ON CONFLICT (shop, id) DO NOTHING`;
  return inserted > 0;
}

async function recomputeRefunded(tx: Tx, shop: string, orderId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE "Order" SET "refundedAmount" =
      (SELECT COALESCE(sum(amount), 0) FROM "Refund" WHERE shop = ${shop} AND "orderId" = ${orderId})
    WHERE shop = ${shop} AND id = ${orderId}`;
}
