import type pg from "pg";
import { Prisma } from "../db/generated/client";
import type { Runtime } from "../runtime.server";
import { assertNever } from "../lib/assert-never";
import { upsertOrder, upsertRefund } from "../sync/orders.server";
import { markCustomerDeleted, upsertCustomer } from "../sync/customers.server";
import { onAppUninstalled } from "../shops/uninstall.server";
import { exportCustomerData, redactCustomer, redactShop } from "../compliance/personal-data.server";
import { onBulkOperationFinished } from "../sync/backfill/finish.server";
import {
  bulkOperationFinishPayload,
  customerDeletePayload,
  customerPayload,
  customerRedactPayload,
  dataRequestPayload,
  orderPayload,
  refundPayload,
  toSyncedCustomer,
  toSyncedOrder,
  toSyncedRefund,
} from "./payloads";
import type { WebhookJob } from "./intake.server";

export type WebhookOutcome = "created" | "updated" | "stale" | "duplicate" | "done";

/**
 * Applies one webhook delivery and marks it processed (dropping its stored
 * payload). Idempotent: a delivery already processed is skipped, and every
 * handler tolerates repeats and reordering by itself.
 */
export async function applyWebhook(runtime: Runtime, job: WebhookJob): Promise<WebhookOutcome> {
  const delivery = await runtime.db.webhookDelivery.findUnique({
    where: { shop_eventId: { shop: job.shop, eventId: job.eventId } },
    select: { status: true },
  });
  if (delivery?.status === "processed") return "duplicate";
  const outcome = await apply(runtime, job);
  // shop/redact deleted the delivery rows with the rest of the shop.
  if (job.topic !== "shop/redact") {
    await runtime.db.webhookDelivery.updateMany({
      where: { shop: job.shop, eventId: job.eventId },
      data: { status: "processed", processedAt: new Date(), error: null, payload: Prisma.DbNull },
    });
  }
  return outcome;
}

/** Marks deliveries applied by a set-based write, inside that write's transaction. */
export async function markDeliveriesProcessed(client: pg.ClientBase, shop: string, eventIds: string[]): Promise<void> {
  await client.query(
    `UPDATE "WebhookDelivery" SET status = 'processed', "processedAt" = now(), error = NULL, payload = NULL
     WHERE shop = $1 AND "eventId" = ANY ($2::text[])`,
    [shop, eventIds],
  );
}

/** Records that a delivery cannot be applied, with the reason; its payload stays for investigation. */
export async function markWebhookFailed(runtime: Runtime, delivery: { shop: string; eventId: string }, reason: string): Promise<void> {
  await runtime.db.webhookDelivery.updateMany({
    where: { shop: delivery.shop, eventId: delivery.eventId },
    data: { status: "failed", error: reason.slice(0, 2000) },
  });
}

async function apply(runtime: Runtime, job: WebhookJob): Promise<WebhookOutcome> {
  const { db } = runtime;
  const { shop, topic } = job;
  const at = job.triggeredAt ? new Date(job.triggeredAt) : new Date();
  switch (topic) {
    case "orders/create":
    case "orders/updated":
    case "orders/paid":
    case "orders/cancelled":
      return upsertOrder(db, shop, toSyncedOrder(orderPayload.parse(job.body)), "webhook");
    case "refunds/create": {
      const result = await upsertRefund(db, shop, toSyncedRefund(refundPayload.parse(job.body)));
      return result === "created" ? "created" : "duplicate";
    }
    case "customers/create":
    case "customers/update":
      return upsertCustomer(db, shop, toSyncedCustomer(customerPayload.parse(job.body)), "webhook");
    case "customers/delete":
      await markCustomerDeleted(db, shop, customerDeletePayload.parse(job.body).id, at);
      return "done";
    case "app/uninstalled":
      await onAppUninstalled(runtime, shop, at);
      return "done";
    case "bulk_operations/finish": {
      const payload = bulkOperationFinishPayload.parse(job.body);
      await onBulkOperationFinished(runtime, shop, {
        adminGraphqlApiId: payload.admin_graphql_api_id,
        status: payload.status,
        errorCode: payload.error_code ?? null,
      });
      return "done";
    }
    case "customers/data_request": {
      const payload = dataRequestPayload.parse(job.body);
      const data = await exportCustomerData(db, shop, payload.customer.id);
      await db.complianceRequest.upsert({
        where: { shop_id: { shop, id: job.eventId } },
        create: { shop, id: job.eventId, topic, customerId: payload.customer.id, completedAt: new Date(), export: { ...data, ordersRequested: payload.orders_requested } },
        update: {},
      });
      return "done";
    }
    case "customers/redact": {
      const payload = customerRedactPayload.parse(job.body);
      await redactCustomer(db, shop, payload.customer.id, payload.orders_to_redact);
      // The request is recorded without the customer's id: that id is what was erased.
      await db.complianceRequest.upsert({
        where: { shop_id: { shop, id: job.eventId } },
        create: { shop, id: job.eventId, topic, completedAt: new Date() },
        update: {},
      });
      return "done";
    }
    case "shop/redact":
      await redactShop(db, shop);
      return "done";
    default:
      return assertNever(topic, "webhook topic");
  }
}
