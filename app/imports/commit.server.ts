import type { Prisma } from "../db/generated/client";
import type { ImportCounts } from "./runs.server";

type Tx = Prisma.TransactionClient;

/**
 * Writes a validated import's staged rows as customers, locations, orders and
 * line items, inside the caller's transaction. Set-based (a few statements for
 * any number of rows) but with the sync writer's rules (app/sync/*.server.ts):
 *
 * - Customers: inserted when new, never changed when held. That is exactly what
 *   `upsertCustomer(…, "import")` does with an import's version (null), which
 *   never beats a held one; a deleted or redacted customer is not revived.
 * - Orders: `version` is the run's start. An order is written when new, or when
 *   an earlier import stored it with other content; the version check keeps an
 *   older run (a late retry) from overwriting a newer one. Rows identical to
 *   what is held are not touched, so importing a file again changes nothing.
 *   A redacted customer's orders keep their pseudonym, as in `upsertOrder`.
 * - Line items of an order that was written are replaced.
 */
export async function commitStaged(tx: Tx, shop: string, runId: string, version: Date): Promise<ImportCounts> {
  const customersNew = await tx.$executeRaw`
    INSERT INTO "Customer" (shop, id, email, tags, source, "createdAt", "updatedAt")
    SELECT DISTINCT ON ("customerId") shop, "customerId", email, '{}'::text[], 'import', now(), now()
    FROM "ImportStagedOrder"
    WHERE shop = ${shop} AND "runId" = ${runId} AND "customerId" IS NOT NULL
    -- The email from the customer's latest row that has one.
    ORDER BY "customerId", (email IS NULL), "processedAt" DESC, line DESC
    ON CONFLICT (shop, id) DO NOTHING`;

  await tx.$executeRaw`
    INSERT INTO "Location" (shop, id, name, "createdAt", "updatedAt")
    SELECT DISTINCT shop, "locationId", "locationId", now(), now()
    FROM "ImportStagedOrder"
    WHERE shop = ${shop} AND "runId" = ${runId} AND "locationId" IS NOT NULL
    ON CONFLICT (shop, id) DO NOTHING`;

  const written = await tx.$queryRaw<Array<{ id: string; inserted: boolean }>>`
    WITH changed AS (
      SELECT s.* FROM "ImportStagedOrder" s
      LEFT JOIN "Order" o ON o.shop = s.shop AND o.id = s."orderId"
      WHERE s.shop = ${shop} AND s."runId" = ${runId} AND (
        o.id IS NULL
        OR (CASE WHEN o."customerId" LIKE 'redacted-%' THEN s."customerId" ELSE o."customerId" END,
            o."locationId", o.channel, o.currency, o."totalPrice", o."processedAt")
           IS DISTINCT FROM (s."customerId", s."locationId", s.channel, s.currency, s."totalPrice", s."processedAt")
        OR s.items IS DISTINCT FROM (
          SELECT COALESCE(jsonb_agg(jsonb_build_object('sku', li.sku, 'quantity', li.quantity) ORDER BY li.id::int), '[]'::jsonb)
          FROM "LineItem" li WHERE li.shop = o.shop AND li."orderId" = o.id)
      )
    )
    INSERT INTO "Order" (shop, id, "customerId", "locationId", channel, currency, "totalPrice", "processedAt",
      "noteAttributes", "shopifyUpdatedAt", source, "createdAt", "updatedAt")
    SELECT shop, "orderId", "customerId", "locationId", channel, currency, "totalPrice", "processedAt",
      '[]'::jsonb, ${version}, 'import', now(), now()
    FROM changed
    ON CONFLICT (shop, id) DO UPDATE SET
      "customerId" = CASE WHEN "Order"."customerId" LIKE 'redacted-%' THEN "Order"."customerId" ELSE EXCLUDED."customerId" END,
      "locationId" = EXCLUDED."locationId", channel = EXCLUDED.channel, currency = EXCLUDED.currency,
      "totalPrice" = EXCLUDED."totalPrice", "processedAt" = EXCLUDED."processedAt",
      "shopifyUpdatedAt" = EXCLUDED."shopifyUpdatedAt", source = EXCLUDED.source, "updatedAt" = now()
    WHERE "Order"."shopifyUpdatedAt" < EXCLUDED."shopifyUpdatedAt"
    RETURNING id, (xmax = 0) AS inserted`;

  const writtenIds = written.map((order) => order.id);
  const updatedIds = written.filter((order) => !order.inserted).map((order) => order.id);
  if (updatedIds.length > 0) {
    await tx.$executeRaw`
      DELETE FROM "LineItem" li USING unnest(${updatedIds}::text[]) AS u(id)
      WHERE li.shop = ${shop} AND li."orderId" = u.id`;
  }
  if (writtenIds.length > 0) {
    // An import names products by SKU only: the SKU is the title, and the price is unknown (0).
    await tx.$executeRaw`
      INSERT INTO "LineItem" (shop, "orderId", id, sku, title, quantity, price)
      SELECT s.shop, s."orderId", e.position::text, e.item->>'sku', e.item->>'sku', (e.item->>'quantity')::int, 0
      FROM "ImportStagedOrder" s
      JOIN unnest(${writtenIds}::text[]) AS w(id) ON w.id = s."orderId"
      CROSS JOIN LATERAL jsonb_array_elements(s.items) WITH ORDINALITY AS e(item, position)
      WHERE s.shop = ${shop} AND s."runId" = ${runId}`;
  }

  const [{ rows } = { rows: 0 }] = await tx.$queryRaw<Array<{ rows: number }>>`
    SELECT count(*)::int AS rows FROM "ImportStagedOrder" WHERE shop = ${shop} AND "runId" = ${runId}`;
  await tx.$executeRaw`DELETE FROM "ImportStagedOrder" WHERE shop = ${shop} AND "runId" = ${runId}`;
  const ordersNew = written.length - updatedIds.length;
  return {
    rows,
    ordersNew,
    ordersUpdated: updatedIds.length,
    ordersUnchanged: rows - written.length,
    customersNew,
  };
}
