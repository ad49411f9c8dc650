import pg from "pg";
import type { Runtime } from "../runtime.server";
import type { SyncedCustomer, SyncedOrder } from "../sync/types";
import { StageBuffer, addCustomerRow, addOrderRows } from "../sync/backfill/stage-rows";
import { createStageTables, fillStageTable, stageModeFor, type StageMode } from "../sync/backfill/staging.server";
import { mergeCustomers, mergeOrders } from "../sync/backfill/merge.server";
import { customerPayload, orderPayload, toSyncedCustomer, toSyncedOrder } from "./payloads";
import { isWebhookTopic, type WebhookTopic } from "./topics";
import { applyWebhook, markDeliveriesProcessed, markWebhookFailed } from "./process.server";

/** Deliveries applied per transaction. */
export const DRAIN_BATCH = 500;

interface Delivery {
  eventId: string;
  webhookId: string;
  topic: WebhookTopic;
  apiVersion: string;
  triggeredAt: Date | null;
  payload: unknown;
}

export interface DrainResult {
  applied: number;
  failed: number;
  batches: number;
}

/**
 * Applies a shop's received webhook deliveries in arrival order, a batch at a
 * time. Orders and customers — nearly all the traffic — are written with
 * set-based statements (the same merge the backfill uses, with the same
 * rules as the one-at-a-time writer); every other topic is applied one by one
 * after them. One drain runs per shop at a time (the job's deduplication), and
 * every step is idempotent, so a crash anywhere only means work is redone.
 */
export async function drainWebhooks(runtime: Runtime, shop: string): Promise<DrainResult> {
  const result: DrainResult = { applied: 0, failed: 0, batches: 0 };
  const client = new pg.Client({ connectionString: runtime.database.url });
  await client.connect();
  try {
    for (;;) {
      const batch = await nextBatch(client, shop);
      if (batch.length === 0) return result;
      result.batches += 1;
      const { setBased, oneByOne, malformed } = partition(batch);
      for (const bad of malformed) {
        await markWebhookFailed(runtime, { shop, eventId: bad.eventId }, bad.error);
        result.failed += 1;
      }
      await writeSetBased(client, runtime, shop, setBased);
      result.applied += setBased.length;
      for (const delivery of oneByOne) {
        await applyWebhook(runtime, {
          shop,
          topic: delivery.topic,
          eventId: delivery.eventId,
          webhookId: delivery.webhookId,
          apiVersion: delivery.apiVersion,
          triggeredAt: delivery.triggeredAt?.toISOString() ?? null,
          body: delivery.payload,
        });
        result.applied += 1;
      }
    }
  } finally {
    await client.end();
  }
}

async function nextBatch(client: pg.Client, shop: string): Promise<Delivery[]> {
  const { rows } = await client.query<{
    eventId: string;
    webhookId: string;
    topic: string;
    apiVersion: string | null;
    triggeredAt: Date | null;
    payload: unknown;
  }>(
    `SELECT "eventId", "webhookId", topic, "apiVersion", "triggeredAt", payload FROM "WebhookDelivery"
     WHERE shop = $1 AND status = 'received' ORDER BY "receivedAt", "eventId" LIMIT $2`,
    [shop, DRAIN_BATCH],
  );
  return rows.flatMap((row) =>
    isWebhookTopic(row.topic) ? [{ ...row, topic: row.topic, apiVersion: row.apiVersion ?? "" }] : [],
  );
}

interface Partitioned {
  setBased: Array<{ eventId: string } & ({ kind: "order"; order: SyncedOrder } | { kind: "customer"; customer: SyncedCustomer })>;
  oneByOne: Delivery[];
  malformed: Array<{ eventId: string; error: string }>;
}

function partition(batch: Delivery[]): Partitioned {
  const result: Partitioned = { setBased: [], oneByOne: [], malformed: [] };
  for (const delivery of batch) {
    if (delivery.payload === null) {
      result.malformed.push({ eventId: delivery.eventId, error: "delivery has no stored payload" });
      continue;
    }
    switch (delivery.topic) {
      case "orders/create":
      case "orders/updated":
      case "orders/paid":
      case "orders/cancelled": {
        const parsed = orderPayload.safeParse(delivery.payload);
        if (parsed.success) result.setBased.push({ eventId: delivery.eventId, kind: "order", order: toSyncedOrder(parsed.data) });
        else result.malformed.push({ eventId: delivery.eventId, error: parsed.error.issues[0]?.message ?? "invalid order" });
        break;
      }
      case "customers/create":
      case "customers/update": {
        const parsed = customerPayload.safeParse(delivery.payload);
        if (parsed.success) result.setBased.push({ eventId: delivery.eventId, kind: "customer", customer: toSyncedCustomer(parsed.data) });
        else result.malformed.push({ eventId: delivery.eventId, error: parsed.error.issues[0]?.message ?? "invalid customer" });
        break;
      }
      default:
        result.oneByOne.push(delivery);
    }
  }
  return result;
}

/**
 * COPY cannot go through the embedded database's socket. DATABASE_URL can
 * point at an embedded database another process serves (tests do), so ask the
 * server rather than trusting the configuration.
 */
async function stageModeOf(client: pg.Client, runtime: Runtime): Promise<StageMode> {
  if (runtime.database.kind === "embedded") return stageModeFor("embedded");
  const { rows } = await client.query<{ version: string }>("SELECT version()");
  return stageModeFor(rows[0]?.version.includes("PGlite") ? "embedded" : "postgres");
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

async function writeSetBased(client: pg.Client, runtime: Runtime, shop: string, deliveries: Partitioned["setBased"]): Promise<void> {
  if (deliveries.length === 0) return;
  const mode = await stageModeOf(client, runtime);
  const orders = newestById(
    deliveries.flatMap((d) => (d.kind === "order" ? [d.order] : [])),
    (o) => o.shopifyUpdatedAt.getTime(),
  );
  const customers = newestById(
    deliveries.flatMap((d) => (d.kind === "customer" ? [d.customer] : [])),
    (c) => c.shopifyUpdatedAt?.getTime() ?? 0,
  );
  await client.query("BEGIN");
  try {
    if (orders.length > 0) {
      const buffers = { bf_order: new StageBuffer("bf_order", mode), bf_line_item: new StageBuffer("bf_line_item", mode), bf_refund: new StageBuffer("bf_refund", mode) };
      for (const order of orders) addOrderRows(buffers, order);
      await createStageTables(client, ["bf_order", "bf_line_item", "bf_refund"]);
      for (const buffer of Object.values(buffers)) await fillStageTable(client, buffer.take());
      await mergeOrders(client, shop, orders.length, "webhook");
    }
    if (customers.length > 0) {
      const buffer = new StageBuffer("bf_customer", mode);
      for (const customer of customers) addCustomerRow(buffer, customer);
      await createStageTables(client, ["bf_customer"]);
      await fillStageTable(client, buffer.take());
      await mergeCustomers(client, shop, customers.length, "webhook");
    }
    await markDeliveriesProcessed(client, shop, deliveries.map((d) => d.eventId));
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
