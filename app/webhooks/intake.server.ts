import type { Database } from "../db/prisma.server";
import { isWebhookTopic, normaliseTopic, type WebhookTopic } from "./topics";
import { parseWebhookBody } from "./parse";

/** Largest body accepted: a big order with hundreds of lines is well under this. */
export const MAX_WEBHOOK_BYTES = 2 * 1024 * 1024;

/** What the library's HMAC check says (`shopify.api.webhooks.validate`), reduced to what intake needs. */
export type WebhookCheck =
  | { valid: true; topic: string; domain: string; webhookId: string; apiVersion: string; eventId?: string; triggeredAt?: string }
  | { valid: false; reason: string; missingHeaders?: string[] };

export interface WebhookJob {
  shop: string;
  topic: WebhookTopic;
  eventId: string;
  webhookId: string;
  apiVersion: string;
  triggeredAt: string | null;
  body: unknown;
}

export interface IntakeDeps {
  db: Database;
  /** Verifies the HMAC over the raw body through the Shopify library. */
  validate(rawBody: string, request: Request): Promise<WebhookCheck>;
  /** Asks for the shop's received deliveries to be applied (one drain per shop runs at a time). */
  requestDrain(shop: string): Promise<void>;
}

export type IntakeResult = { status: 200 | 400 | 401 | 405 | 413; message: string; duplicate?: boolean };

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

/**
 * The whole of webhook intake: verify, record the delivery with its payload,
 * ask for a drain, answer. No processing happens here (Shopify gives 5 s; the
 * work is in the shop's drain job, app/webhooks/drain.server.ts).
 * Nothing is stored for a forged, unsigned or malformed request.
 */
export async function receiveWebhook(deps: IntakeDeps, request: Request): Promise<IntakeResult> {
  if (request.method !== "POST") return { status: 405, message: "webhooks are POSTed" };
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_WEBHOOK_BYTES) return tooLarge();
  const rawBody = await readLimited(request, MAX_WEBHOOK_BYTES);
  if (rawBody === null) return tooLarge();

  const check = await deps.validate(rawBody, request);
  if (!check.valid) {
    if (check.reason === "missing_headers") {
      return { status: 400, message: `missing headers: ${(check.missingHeaders ?? []).join(", ")}` };
    }
    if (check.reason === "missing_body") return { status: 400, message: "empty body" };
    return { status: 401, message: "signature invalid" };
  }
  const topic = normaliseTopic(check.topic);
  if (!isWebhookTopic(topic)) return { status: 400, message: `unsupported topic ${check.topic}` };
  if (!SHOP_DOMAIN.test(check.domain)) return { status: 400, message: "invalid shop domain" };
  const parsed = parseWebhookBody(topic, rawBody);
  if (!parsed.ok) return { status: 400, message: parsed.error };

  // Shopify's guidance: de-duplicate on the event id (retries reuse it; the webhook id may differ).
  const eventId = check.eventId ?? check.webhookId;
  const triggeredAt = check.triggeredAt && !Number.isNaN(Date.parse(check.triggeredAt)) ? new Date(check.triggeredAt) : null;
  // A retry of a delivery that failed gets another chance; one already applied has no second effect.
  const rows = await deps.db.$queryRaw<Array<{ inserted: boolean; status: string }>>`
    INSERT INTO "WebhookDelivery" (shop, "eventId", "webhookId", topic, "apiVersion", "triggeredAt", payload)
    VALUES (${check.domain}, ${eventId}, ${check.webhookId}, ${topic}, ${check.apiVersion}, ${triggeredAt}, ${rawBody}::jsonb)
    ON CONFLICT (shop, "eventId") DO UPDATE SET
      status = CASE WHEN "WebhookDelivery".status = 'failed' THEN 'received' ELSE "WebhookDelivery".status END
    RETURNING (xmax = 0) AS inserted, status`;
  const delivery = rows[0];
  if (delivery && !delivery.inserted && delivery.status === "processed") {
    return { status: 200, message: "already processed", duplicate: true };
  }
  // New, or seen but not yet applied (a crash may have lost its drain job):
  // asking for a drain again is safe, there is at most one per shop.
  await deps.requestDrain(check.domain);
  return { status: 200, message: "accepted", duplicate: delivery ? !delivery.inserted : false };
}

function tooLarge(): IntakeResult {
  return { status: 413, message: `body over ${MAX_WEBHOOK_BYTES} bytes` };
}

/** Reads the body as text, giving up (null) past `limit` bytes without buffering the rest. */
async function readLimited(request: Request, limit: number): Promise<string | null> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Deliveries recorded but still unapplied after `olderThanMs`: their drain was
 * lost (a crash between recording and enqueueing). The heartbeat asks again.
 */
export async function hasStaleDeliveries(db: Database, shop: string, olderThanMs: number, now = new Date()): Promise<boolean> {
  const row = await db.webhookDelivery.findFirst({
    where: { shop, status: "received", receivedAt: { lt: new Date(now.getTime() - olderThanMs) } },
    select: { eventId: true },
  });
  return row !== null;
}
