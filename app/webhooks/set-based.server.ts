import type pg from "pg";
import type { SyncedCustomer, SyncedOrder, SyncedRefund } from "../sync/types";
import { StageBuffer, addCustomerRow, addOrderRows, type StagePayload } from "../sync/backfill/stage-rows";
import { createStageTables, fillStageTable, type StageMode } from "../sync/backfill/staging.server";
import { mergeCustomers, mergeOrders } from "../sync/backfill/merge.server";
import { markDeliveriesProcessed } from "./process.server";
import { YIELD_EVERY, yieldToEventLoop } from "./event-loop";
import { carriesPickupHold } from "../pickup/attributes";

/** A delivery whose effect can be written together with others of its kind. */
export type SetBasedDelivery = { eventId: string } & (
  | { kind: "order"; order: SyncedOrder }
  | { kind: "customer"; customer: SyncedCustomer }
  | { kind: "refund"; refund: SyncedRefund }
);

/**
 * Applies a run of consecutive deliveries in one transaction, a statement or
 * a few per kind rather than per delivery, and marks them processed in the
 * same transaction. Orders and customers go through the backfill's merge
 * (the rules of `upsertOrder` and `upsertCustomer`); refunds follow
 * `upsertRefund`: stored once, the order's refunded total the sum of its
 * refunds. Orders are written before refunds, so a refund that arrives in the
 * same run as its order counts against it.
 */
export async function applySetBased(client: pg.ClientBase, mode: StageMode, shop: string, deliveries: SetBasedDelivery[]): Promise<SetBasedOutcome> {
  const outcome: SetBasedOutcome = { customerIds: new Set(), orders: [], pickupOrders: [] };
  if (deliveries.length === 0) return outcome;
  const orders: SyncedOrder[] = [];
  const customers: SyncedCustomer[] = [];
  const refunds: SyncedRefund[] = [];
  for (const delivery of deliveries) {
    if (delivery.kind === "order") orders.push(delivery.order);
    else if (delivery.kind === "customer") customers.push(delivery.customer);
    else refunds.push(delivery.refund);
  }
  // Rows are encoded before the transaction opens: it holds row locks only while it writes.
  const orderRows = await stageOrders(mode, newestById(orders, (o) => o.shopifyUpdatedAt.getTime()));
  const customerRows = stageCustomers(mode, newestById(customers, (c) => c.shopifyUpdatedAt?.getTime() ?? 0));
  await client.query("BEGIN");
  try {
    const orderIds = [...new Set([...orders.map((o) => o.id), ...refunds.map((r) => r.orderId)])];
    if (orderIds.length > 0) {
      // Before the merge: an order moved to another customer changes the visits of the one it left.
      const held = await client.query<{ customerId: string }>(
        `SELECT "customerId" FROM "Order" WHERE shop = $1 AND id = ANY ($2::text[]) AND "customerId" IS NOT NULL`,
        [shop, orderIds],
      );
      for (const row of held.rows) outcome.customerIds.add(row.customerId);
    }
    if (orderRows.count > 0) {
      await createStageTables(client, ["bf_order", "bf_line_item", "bf_refund"]);
      for (const payload of orderRows.payloads) await fillStageTable(client, payload);
      await mergeOrders(client, shop, orderRows.count, "webhook");
    }
    if (customerRows.count > 0) {
      await createStageTables(client, ["bf_customer"]);
      for (const payload of customerRows.payloads) await fillStageTable(client, payload);
      await mergeCustomers(client, shop, customerRows.count, "webhook");
    }
    await writeRefunds(client, shop, refunds);
    await markDeliveriesProcessed(client, shop, deliveries.map((d) => d.eventId));
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
  for (const order of orders) {
    if (carriesPickupHold(order.noteAttributes)) outcome.pickupOrders.push(order);
    if (order.customerId === null) continue;
    outcome.customerIds.add(order.customerId);
    outcome.orders.push({ customerId: order.customerId, noteAttributes: order.noteAttributes, at: order.processedAt });
  }
  return outcome;
}

/** What a run of deliveries changed, for the work that follows it once committed. */
export interface SetBasedOutcome {
  /** Customers whose orders were written, moved away from, or refunded: their analytics are out of date. */
  customerIds: Set<string>;
  /** Orders with a customer, for linking the browser that ordered to the member's push subscriptions. */
  orders: Array<{ customerId: string; noteAttributes: SyncedOrder["noteAttributes"]; at: Date }>;
  /** Orders placed through order-ahead (they carry a pickup hold attribute), guests' included: the pickup queue's intake. */
  pickupOrders: SyncedOrder[];
}

/** The newest version of each record: a set-based write touches a row once. */
function newestById<T extends { id: string }>(records: T[], version: (record: T) => number): T[] {
  const newest = new Map<string, T>();
  for (const record of records) {
    const held = newest.get(record.id);
    if (!held || version(record) >= version(held)) newest.set(record.id, record);
  }
  return [...newest.values()];
}

interface StagedRows {
  count: number;
  payloads: StagePayload[];
}

async function stageOrders(mode: StageMode, orders: SyncedOrder[]): Promise<StagedRows> {
  const buffers = {
    bf_order: new StageBuffer("bf_order", mode),
    bf_line_item: new StageBuffer("bf_line_item", mode),
    bf_refund: new StageBuffer("bf_refund", mode),
  };
  for (const [index, order] of orders.entries()) {
    if (index > 0 && index % YIELD_EVERY === 0) await yieldToEventLoop();
    addOrderRows(buffers, order);
  }
  return { count: orders.length, payloads: Object.values(buffers).map((buffer) => buffer.take()) };
}

function stageCustomers(mode: StageMode, customers: SyncedCustomer[]): StagedRows {
  const buffer = new StageBuffer("bf_customer", mode);
  for (const customer of customers) addCustomerRow(buffer, customer);
  return { count: customers.length, payloads: [buffer.take()] };
}

// As upsertRefund (app/sync/orders.server.ts), for many refunds at once: a
// refund is stored once (an order that has not arrived yet gets its total
// when it does), and each order they belong to holds the sum of its refunds.
const INSERT_REFUNDS = `
  INSERT INTO "Refund" (shop, id, "orderId", amount, "createdAt")
  SELECT $1, r.id, r.order_id, r.amount::numeric, r.created_at AT TIME ZONE 'UTC'
  FROM unnest($2::text[], $3::text[], $4::text[], $5::timestamptz[]) AS r (id, order_id, amount, created_at)
  ON CONFLICT (shop, id) DO NOTHING`;

const UPDATE_REFUNDED = `
  UPDATE "Order" o SET "refundedAmount" = t.total
  FROM (
    SELECT "orderId", sum(amount) AS total FROM "Refund"
    WHERE shop = $1 AND "orderId" = ANY ($2::text[])
    GROUP BY "orderId"
  ) t
  WHERE o.shop = $1 AND o.id = t."orderId" AND o."refundedAmount" IS DISTINCT FROM t.total`;

async function writeRefunds(client: pg.ClientBase, shop: string, refunds: SyncedRefund[]): Promise<void> {
  if (refunds.length === 0) return;
  await client.query(INSERT_REFUNDS, [
    shop,
    refunds.map((r) => r.id),
    refunds.map((r) => r.orderId),
    refunds.map((r) => r.amount),
    refunds.map((r) => r.createdAt.toISOString()),
  ]);
  await client.query(UPDATE_REFUNDED, [shop, [...new Set(refunds.map((r) => r.orderId))]]);
}
