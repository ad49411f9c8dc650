import type { Database } from "../db/prisma.server";
import { isWebhookTopic, normaliseTopic, type WebhookTopic } from "./topics";
import { webhookBodyError } from "./parse";
import { UnstorablePayloadError, type DeliveryToRecord, type RecordedDelivery } from "./record.server";

/** Largest body accepted: a big order with hundreds of lines is well under this. */
export const MAX_WEBHOOK_BYTES = 2 * 1024 * 1024;

/** What the webhook check says (app/webhooks/signature.server.ts, the library's rules), reduced to what intake needs. */
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

/** The parts of an HTTP request intake reads, whatever server received it. */
export interface IncomingWebhook {
  method: string;
  /** A header's value by its name in lower case. */
  header(name: string): string | undefined;
  /** The body as text, or null once it exceeds `limit` bytes (the rest is not read). */
  readBody(limit: number): Promise<string | null>;
}

export interface IntakeDeps {
  /** Verifies the HMAC over the raw body (app/webhooks/signature.server.ts). */
  validate(rawBody: string, request: IncomingWebhook): WebhookCheck | Promise<WebhookCheck>;
  /**
   * Records the delivery durably under its event id and, unless it was
   * already applied, asks for the shop's drain (app/webhooks/record.server.ts).
   */
  record(delivery: DeliveryToRecord): Promise<RecordedDelivery>;
}

export type IntakeResult = { status: 200 | 400 | 401 | 405 | 413; message: string; duplicate?: boolean };

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

/** Unsigned headers the check may leave to intake (Shopify's names, in lower case). */
const EVENT_ID_HEADER = "x-shopify-event-id";
const TRIGGERED_AT_HEADER = "x-shopify-triggered-at";

/**
 * The whole of webhook intake: verify, record the delivery with its payload,
 * ask for a drain, answer. No processing happens here (Shopify gives 5 s; the
 * work is in the shop's drain job, app/webhooks/drain.server.ts).
 * Nothing is stored for a forged, unsigned or malformed request.
 */
export async function receiveWebhook(deps: IntakeDeps, request: IncomingWebhook): Promise<IntakeResult> {
  if (request.method !== "POST") return { status: 405, message: "webhooks are POSTed" };
  const declared = Number(request.header("content-length") ?? "0");
  if (declared > MAX_WEBHOOK_BYTES) return tooLarge();
  const rawBody = await request.readBody(MAX_WEBHOOK_BYTES);
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
  const malformed = webhookBodyError(topic, rawBody);
  if (malformed !== null) return { status: 400, message: malformed };

  // Shopify's guidance: de-duplicate on the event id (retries reuse it; the webhook id may differ).
  // An empty header counts as absent, as it does for the library.
  const eventId = check.eventId || request.header(EVENT_ID_HEADER) || check.webhookId;
  const triggered = check.triggeredAt || request.header(TRIGGERED_AT_HEADER);
  const triggeredAt = triggered && !Number.isNaN(Date.parse(triggered)) ? new Date(triggered) : null;
  let delivery: RecordedDelivery;
  try {
    delivery = await deps.record({
      shop: check.domain,
      eventId,
      webhookId: check.webhookId,
      topic,
      apiVersion: check.apiVersion,
      triggeredAt,
      payload: rawBody,
    });
  } catch (error) {
    if (error instanceof UnstorablePayloadError) return { status: 400, message: error.message };
    throw error;
  }
  if (!delivery.inserted && delivery.status === "processed") {
    return { status: 200, message: "already processed", duplicate: true };
  }
  return { status: 200, message: "accepted", duplicate: !delivery.inserted };
}

function tooLarge(): IntakeResult {
  return { status: 413, message: `body over ${MAX_WEBHOOK_BYTES} bytes` };
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
