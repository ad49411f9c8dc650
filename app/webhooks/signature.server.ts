import { createHmac, timingSafeEqual } from "node:crypto";
import { WEBHOOK_HEADER_NAMES } from "@shopify/shopify-api";
import type { WebhookCheck } from "./intake.server";

type HeaderSet = (typeof WEBHOOK_HEADER_NAMES)[keyof typeof WEBHOOK_HEADER_NAMES];

const lower = (name: string) => String(name).toLowerCase();
const HEADER_SETS = Object.values(WEBHOOK_HEADER_NAMES) as HeaderSet[];
const WEBHOOKS = HEADER_SETS.find((set) => "eventId" in set) ?? HEADER_SETS[0];
const EVENTS = HEADER_SETS.find((set) => set !== WEBHOOKS);

/**
 * Shopify's webhook check, done with node:crypto's HMAC on the calling
 * thread: the same rules as the library's `webhooks.validate` (which header
 * set, which headers are required, the signature a base64 HMAC-SHA256 of the
 * raw body under the app's secret, compared in constant time), without the
 * asynchronous WebCrypto key import and signing and the header
 * canonicalisation it does for every request, which were a third of what a
 * webhook cost the web process (docs/decisions/0016-webhook-signature-check.md).
 * tests/unit/webhook-signature.test.ts holds it to the library's verdict.
 *
 * The topic is reported as sent (`orders/create`), not in the library's storage form.
 */
export function checkWebhookSignature(secret: string, rawBody: string, header: (lowerCaseName: string) => string | undefined): WebhookCheck {
  // The library reads the Events header set when its signature header has a value.
  const set = EVENTS !== undefined && header(lower(EVENTS.hmac)) ? EVENTS : WEBHOOKS;
  if (set === undefined) throw new Error("the Shopify library names no webhook headers");
  if (rawBody.length === 0) return { valid: false, reason: "missing_body" };
  const signature = header(lower(set.hmac));
  if (!signature) return { valid: false, reason: "missing_hmac" };
  if (!signatureMatches(secret, rawBody, signature)) return { valid: false, reason: "invalid_hmac" };

  const required = { topic: set.topic, domain: set.domain, apiVersion: set.apiVersion, webhookId: set.webhookId };
  const values: Record<string, string> = {};
  const missingHeaders: string[] = [];
  for (const [field, name] of Object.entries(required)) {
    const value = header(lower(name));
    if (value) values[field] = value;
    else missingHeaders.push(name);
  }
  if (missingHeaders.length > 0) return { valid: false, reason: "missing_headers", missingHeaders };
  const triggeredAt = header(lower(set.triggeredAt));
  const eventId = "eventId" in set ? header(lower(set.eventId)) : undefined;
  return {
    valid: true,
    topic: values.topic ?? "",
    domain: values.domain ?? "",
    apiVersion: values.apiVersion ?? "",
    webhookId: values.webhookId ?? "",
    ...(triggeredAt ? { triggeredAt } : {}),
    ...(eventId ? { eventId } : {}),
  };
}

function signatureMatches(secret: string, rawBody: string, signature: string): boolean {
  const expected = Buffer.from(createHmac("sha256", secret).update(rawBody, "utf8").digest("base64"), "latin1");
  const given = Buffer.from(signature, "utf8");
  return given.length === expected.length && timingSafeEqual(given, expected);
}
