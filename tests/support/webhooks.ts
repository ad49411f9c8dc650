import { randomUUID } from "node:crypto";
import { buildWebhookRequest, type WebhookInput } from "../../standin";

/** The demo's API secret: the app in DEMO mode verifies webhooks with it. */
export const DEMO_API_SECRET = "regulars-demo-api-secret";

export interface SentWebhook {
  status: number;
  text: string;
  eventId: string;
}

/** Signs and POSTs a webhook exactly as Shopify does, to `${origin}/webhooks/<topic>`. */
export async function sendWebhook(
  origin: string,
  input: Omit<WebhookInput, "address"> & { address?: string },
  secret = DEMO_API_SECRET,
): Promise<SentWebhook> {
  const eventId = input.eventId ?? randomUUID();
  const request = buildWebhookRequest(
    { ...input, eventId, address: input.address ?? `${origin}/webhooks/${input.topic}` },
    { apiSecret: secret, defaultApiVersion: "2025-10", now: new Date() },
  );
  const response = await fetch(request.url, { method: "POST", headers: request.headers, body: request.body });
  return { status: response.status, text: await response.text(), eventId };
}
