import type { StandinStore } from "../store.ts";
import {
  bulkOperationFinishPayload,
  customerDeletePayload,
  customersDataRequestPayload,
  customersRedactPayload,
  customerWebhookPayload,
  orderWebhookPayload,
  refundWebhookPayload,
  shopRedactPayload,
  shopWebhookPayload,
  type JsonObject,
} from "./payloads.ts";

/** The topics the stand-in can build a payload for from its store. */
export const WEBHOOK_TOPICS = [
  "orders/create",
  "orders/updated",
  "orders/paid",
  "orders/cancelled",
  "refunds/create",
  "customers/create",
  "customers/update",
  "customers/delete",
  "app/uninstalled",
  "bulk_operations/finish",
  "customers/data_request",
  "customers/redact",
  "shop/redact",
] as const;

export type WebhookTopic = (typeof WEBHOOK_TOPICS)[number];

function assertNever(value: never): never {
  throw new Error(`unhandled webhook topic ${String(value)}`);
}

/**
 * The body Shopify would send for `topic` about `resourceId` (an order,
 * refund, customer or bulk operation gid; none for app/uninstalled and
 * shop/redact), built from the store as it is now.
 */
export function webhookPayload(store: StandinStore, shop: string, topic: WebhookTopic, resourceId?: string): JsonObject {
  const state = store.shop(shop);
  const need = (what: string): string => {
    if (!resourceId) throw new Error(`${topic} needs the id of the ${what}`);
    return resourceId;
  };
  switch (topic) {
    case "orders/create":
    case "orders/updated":
    case "orders/paid":
    case "orders/cancelled":
      return orderWebhookPayload(state, store.order(shop, need("order")));
    case "refunds/create": {
      const refundId = need("refund");
      for (const order of state.orders.values()) {
        const refund = order.refunds.find((candidate) => candidate.id === refundId);
        if (refund) return refundWebhookPayload(state, order, refund);
      }
      throw new Error(`shop ${shop} has no refund ${refundId}`);
    }
    case "customers/create":
    case "customers/update":
      return customerWebhookPayload(state, store.customer(shop, need("customer")));
    case "customers/delete":
      return customerDeletePayload(need("customer"));
    case "customers/data_request":
      return customersDataRequestPayload(state, store.customer(shop, need("customer")));
    case "customers/redact":
      return customersRedactPayload(state, store.customer(shop, need("customer")));
    case "app/uninstalled":
      return shopWebhookPayload(state);
    case "shop/redact":
      return shopRedactPayload(state);
    case "bulk_operations/finish": {
      const id = need("bulk operation");
      const operation = state.bulkOperations.find((candidate) => candidate.id === id);
      if (!operation) throw new Error(`shop ${shop} has no bulk operation ${id}`);
      return bulkOperationFinishPayload(state, operation);
    }
    default:
      return assertNever(topic);
  }
}
