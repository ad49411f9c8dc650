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

/** The library's storage form of each topic (`BULK_OPERATIONS_FINISH`), back to Shopify's name. */
const BY_STORAGE_FORM = new Map<string, string>(WEBHOOK_TOPICS.map((topic) => [topic.toUpperCase().replace(/\/|\./g, "_"), topic]));

/**
 * Shopify sends `orders/create` in the header, the library reports
 * `ORDERS_CREATE`: accept both. The storage form is looked up, not guessed
 * (`BULK_OPERATIONS_FINISH` is `bulk_operations/finish`).
 */
export function normaliseTopic(value: string): string {
  return value.includes("/") ? value.toLowerCase() : (BY_STORAGE_FORM.get(value.toUpperCase()) ?? value.toLowerCase());
}
