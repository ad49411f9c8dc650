import type pg from "pg";
import { z } from "zod";
import type { SyncSource } from "../types";
import { LINE_ITEM_COLUMNS, ORDER_COLUMNS, type StagePayload } from "./stage-rows";
import { createStageTables, fillStageTable, sendRows, stage } from "./staging.server";

/**
 * Moves a staged batch into the real tables with exactly the rules of the
 * one-at-a-time writer (`upsertOrder`, `upsertCustomer` in app/sync/), as set
 * operations: a row is written only when it is new or its Shopify `updated_at`
 * is newer than the one held; an order's line items are replaced only when the
 * order was written; a refund is stored once; the refunded total is the sum of
 * the order's refunds. Runs inside the batch's transaction. `$1` is the shop,
 * `$2` the source recorded on written rows.
 */
export interface MergeCounts {
  created: number;
  updated: number;
  /** In the batch but older than (or as old as) the row held: left alone. */
  stale: number;
}

const countsRow = z.object({ created: z.coerce.number().int(), updated: z.coerce.number().int() });

/** Staged refund and customer times are epoch milliseconds; the columns are UTC timestamps without zone (Prisma's DateTime). */
const AT_UTC = (column: string) => `(to_timestamp(${column}::bigint / 1000.0) AT TIME ZONE 'UTC')`;

const WRITE_ORDERS = `
  WITH written AS (
    INSERT INTO "Order" (shop, id, name, "customerId", "locationId", channel, "sourceName", currency,
      "totalPrice", "subtotalPrice", "totalDiscounts", "refundedAmount", "financialStatus", "processedAt",
      "cancelledAt", "noteAttributes", "shopifyCreatedAt", "shopifyUpdatedAt", source, "createdAt", "updatedAt")
    SELECT $1, s.id, s.name, s.customer_id, s.location_id, s.channel, s.source_name, s.currency,
      s.total_price, s.subtotal_price, s.total_discounts, s.refunded_amount, s.financial_status, s.processed_at,
      s.cancelled_at, s.note_attributes, s.shopify_created_at, s.shopify_updated_at, $2, now(), now()
    FROM bf_order s
    ON CONFLICT (shop, id) DO UPDATE SET
      name = EXCLUDED.name,
      -- As upsertOrder: a redacted customer's orders keep their pseudonym.
      "customerId" = CASE WHEN "Order"."customerId" LIKE 'redacted-%' THEN "Order"."customerId" ELSE EXCLUDED."customerId" END,
      "locationId" = EXCLUDED."locationId",
      channel = EXCLUDED.channel, "sourceName" = EXCLUDED."sourceName", currency = EXCLUDED.currency,
      "totalPrice" = EXCLUDED."totalPrice", "subtotalPrice" = EXCLUDED."subtotalPrice",
      "totalDiscounts" = EXCLUDED."totalDiscounts", "financialStatus" = EXCLUDED."financialStatus",
      "processedAt" = EXCLUDED."processedAt", "cancelledAt" = EXCLUDED."cancelledAt",
      "noteAttributes" = EXCLUDED."noteAttributes", "shopifyCreatedAt" = EXCLUDED."shopifyCreatedAt",
      "shopifyUpdatedAt" = EXCLUDED."shopifyUpdatedAt", source = EXCLUDED.source, "updatedAt" = now()
    WHERE "Order"."shopifyUpdatedAt" < EXCLUDED."shopifyUpdatedAt"
    RETURNING id, (xmax = 0) AS inserted
  )
  INSERT INTO bf_written (id, inserted) SELECT id, inserted FROM written`;

// Statements that change a few rows of the big tables (line items of updated
// orders, refunded totals) find them with `= ANY (ARRAY(SELECT …))`: an index
// lookup whatever the planner believes about the shop's row count
// (statistics lag far behind during a backfill, and a join planned on them
// can end up scanning every order of the shop). Reading the shop's refunds is
// left to a join: there are few, and ten thousand index probes per batch cost more.

// Only orders this batch wrote lose their old line items. A new order has
// none: line items are only ever written together with their order, and
// deleted with it (there is no foreign key; see docs/decisions/0009-*).
const DELETE_REPLACED_LINE_ITEMS = `
  DELETE FROM "LineItem"
  WHERE shop = $1 AND "orderId" = ANY (ARRAY(SELECT id FROM bf_written WHERE NOT inserted))`;

// No ON CONFLICT: the assembler keeps one line per (order, line item), the
// order's old lines were just deleted, and the order's row lock (taken by the
// write above) keeps a concurrent webhook from adding any before commit.
const INSERT_LINE_ITEMS = `
  INSERT INTO "LineItem" (${LINE_ITEM_COLUMNS.join(", ")})
  SELECT $1, l.order_id, l.id, l.product_id, l.variant_id, l.sku, l.title, l.quantity::int, l.price::numeric
  FROM bf_line_item l JOIN bf_written w ON w.id = l.order_id`;

const INSERT_REFUNDS = `
  INSERT INTO "Refund" (shop, id, "orderId", amount, "createdAt")
  SELECT $1, r.id, r.order_id, r.amount::numeric, ${AT_UTC("r.created_at")}
  FROM bf_refund r JOIN bf_written w ON w.id = r.order_id
  ON CONFLICT (shop, id) DO NOTHING`;

// The refunded total of every written order is the sum of its Refund rows (which may include refunds that
// arrived by webhook before the order did). A new order was inserted with the sum of the refunds it came
// with, so only orders with Refund rows or updated ones are looked at, and only totals that differ change.
const COLLECT_REFUNDED = `
  INSERT INTO bf_refunded (id, total)
  SELECT w.id, COALESCE(t.total, 0)
  FROM bf_written w
  LEFT JOIN (
    SELECT r."orderId", sum(r.amount) AS total
    FROM "Refund" r
    JOIN bf_written w2 ON w2.id = r."orderId"
    WHERE r.shop = $1
    GROUP BY r."orderId"
  ) t ON t."orderId" = w.id
  WHERE t."orderId" IS NOT NULL OR NOT w.inserted`;

const UPDATE_REFUNDED = `
  UPDATE "Order" o SET "refundedAmount" = c.total
  FROM bf_refunded c
  WHERE o.shop = $1 AND o.id = ANY (ARRAY(SELECT id FROM bf_refunded)) AND o.id = c.id
    AND o."refundedAmount" IS DISTINCT FROM c.total`;

/**
 * Merges the staged orders (bf_order, bf_refund) and their line items, which
 * are either staged already (bf_line_item) or passed as `lineItems`. Passed,
 * they are sent here rather than staged up front: when every order of
 * the batch was written — always, on a first backfill — they go by COPY
 * straight into "LineItem", skipping a staging table and a join for the
 * biggest table of the file. Otherwise they are staged and only those of
 * written orders are inserted.
 */
export async function mergeOrders(
  client: pg.ClientBase,
  shop: string,
  staged: number,
  source: SyncSource = "backfill",
  lineItems?: StagePayload,
): Promise<MergeCounts> {
  await createStageTables(client, ["bf_written"]);
  await client.query(WRITE_ORDERS, [shop, source]);
  const written = countsRow.parse(
    (await client.query(`SELECT count(*) FILTER (WHERE inserted) AS created, count(*) FILTER (WHERE NOT inserted) AS updated FROM bf_written`)).rows[0],
  );
  if (written.updated > 0) await client.query(DELETE_REPLACED_LINE_ITEMS, [shop]);
  if (lineItems?.kind === "copy" && written.created + written.updated === staged) {
    await sendRows(client, { table: '"LineItem"', columns: LINE_ITEM_COLUMNS }, lineItems);
  } else {
    if (lineItems) await stage(client, lineItems);
    await client.query(INSERT_LINE_ITEMS, [shop]);
  }
  await writeRefunds(client, shop);
  return withStale(written, staged);
}

/** Refunds of the written orders (bf_written, bf_refund), and the refunded totals of those orders. */
async function writeRefunds(client: pg.ClientBase, shop: string): Promise<void> {
  await client.query(INSERT_REFUNDS, [shop]);
  await createStageTables(client, ["bf_refunded"]);
  await client.query(COLLECT_REFUNDED, [shop]);
  await client.query(UPDATE_REFUNDED, [shop]);
}

/** The payloads of a batch whose rows carry their shop and source (see DirectTarget), in COPY text. */
export interface NewOrderPayloads {
  orders: StagePayload;
  lineItems: StagePayload;
  refunds: StagePayload;
  /** The batch's order ids as bf_written rows (`id`, true). */
  written: StagePayload;
}

/** PostgreSQL's unique_violation: one of the batch's orders is held already. */
const UNIQUE_VIOLATION = "23505";

/**
 * Writes a batch of orders none of which the database holds — every batch of
 * a shop's first backfill — by COPYing its rows straight into "Order" and
 * "LineItem": for a new order the merge's rules come down to inserting it,
 * and this skips the staging table, the upsert and its RETURNING for the
 * biggest tables of the file. If any order is held already (a webhook wrote
 * it, or the file is imported again), the unique key refuses the COPY: it is
 * rolled back to the savepoint and the caller merges the batch instead.
 * Returns false then. Runs inside the batch's transaction.
 */
export async function writeNewOrders(client: pg.ClientBase, shop: string, payloads: NewOrderPayloads): Promise<boolean> {
  await client.query("SAVEPOINT bf_new_orders");
  try {
    await sendRows(client, { table: '"Order"', columns: ORDER_COLUMNS }, payloads.orders);
  } catch (error) {
    if (!(error instanceof Error && "code" in error && error.code === UNIQUE_VIOLATION)) throw error;
    await client.query("ROLLBACK TO SAVEPOINT bf_new_orders");
    return false;
  }
  await client.query("RELEASE SAVEPOINT bf_new_orders");
  await sendRows(client, { table: '"LineItem"', columns: LINE_ITEM_COLUMNS }, payloads.lineItems);
  // The refund rules are the merge's: a refund stored once, each order's
  // refunded total the sum of its Refund rows — including refunds that came
  // by webhook before their order did, which is why every order is listed.
  await createStageTables(client, ["bf_written", "bf_refund"]);
  await fillStageTable(client, payloads.written);
  await fillStageTable(client, payloads.refunds);
  await writeRefunds(client, shop);
  return true;
}

const WRITE_CUSTOMERS = `
  WITH written AS (
    INSERT INTO "Customer" (shop, id, email, phone, "firstName", "lastName", "emailMarketingState",
      "emailMarketingAt", "smsMarketingState", "smsMarketingAt", tags, "shopifyCreatedAt", "shopifyUpdatedAt",
      source, "createdAt", "updatedAt")
    SELECT $1, s.id, s.email, s.phone, s.first_name, s.last_name, s.email_marketing_state,
      ${AT_UTC("s.email_marketing_at")}, s.sms_marketing_state, ${AT_UTC("s.sms_marketing_at")}, s.tags::text[],
      ${AT_UTC("s.shopify_created_at")}, ${AT_UTC("s.shopify_updated_at")}, $2, now(), now()
    FROM bf_customer s
    ON CONFLICT (shop, id) DO UPDATE SET
      email = EXCLUDED.email, phone = EXCLUDED.phone, "firstName" = EXCLUDED."firstName",
      "lastName" = EXCLUDED."lastName", "emailMarketingState" = EXCLUDED."emailMarketingState",
      "emailMarketingAt" = EXCLUDED."emailMarketingAt", "smsMarketingState" = EXCLUDED."smsMarketingState",
      "smsMarketingAt" = EXCLUDED."smsMarketingAt", tags = EXCLUDED.tags,
      "shopifyCreatedAt" = EXCLUDED."shopifyCreatedAt", "shopifyUpdatedAt" = EXCLUDED."shopifyUpdatedAt",
      source = EXCLUDED.source, "updatedAt" = now()
    WHERE "Customer"."deletedAt" IS NULL AND "Customer"."redactedAt" IS NULL
      AND COALESCE("Customer"."shopifyUpdatedAt", '-infinity'::timestamp) < COALESCE(EXCLUDED."shopifyUpdatedAt", '-infinity'::timestamp)
    RETURNING (xmax = 0) AS inserted
  )
  SELECT count(*) FILTER (WHERE inserted) AS created, count(*) FILTER (WHERE NOT inserted) AS updated FROM written`;

export async function mergeCustomers(client: pg.ClientBase, shop: string, staged: number, source: SyncSource = "backfill"): Promise<MergeCounts> {
  const result = await client.query(WRITE_CUSTOMERS, [shop, source]);
  return withStale(countsRow.parse(result.rows[0]), staged);
}

function withStale(counts: { created: number; updated: number }, staged: number): MergeCounts {
  return { ...counts, stale: staged - counts.created - counts.updated };
}
