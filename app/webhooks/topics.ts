/**
 * The webhook topics Regulars subscribes to (shopify.app.toml declares each
 * with its URI `/webhooks/<topic>`), and which compliance topics Shopify
 * sends to every app.
 */
export const SYNC_TOPICS = [
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
] as const;

export const COMPLIANCE_TOPICS = ["customers/data_request", "customers/redact", "shop/redact"] as const;

export const WEBHOOK_TOPICS = [...SYNC_TOPICS, ...COMPLIANCE_TOPICS] as const;
export type WebhookTopic = (typeof WEBHOOK_TOPICS)[number];

export function isWebhookTopic(value: string): value is WebhookTopic {
  return (WEBHOOK_TOPICS as readonly string[]).includes(value);
}

/** Shopify sends `orders/create` in the header, the library reports `ORDERS_CREATE`: accept both. */
export function normaliseTopic(value: string): string {
  return value.includes("/") ? value.toLowerCase() : value.toLowerCase().replace("_", "/");
}
