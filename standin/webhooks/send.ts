import { createHmac, randomUUID } from "node:crypto";
import type { JsonValue } from "../graphql/execute.ts";

/**
 * Delivers a webhook the way Shopify does: a JSON POST whose raw body is
 * signed with the app's API secret (base64 HMAC-SHA256 in
 * X-Shopify-Hmac-Sha256), with the topic, shop, API version, webhook id
 * (the idempotency key), event id and trigger time in headers.
 * https://shopify.dev/docs/apps/build/webhooks/subscribe/https
 */

export interface WebhookInput {
  shop: string;
  topic: string;
  /** The body: an object to serialise, or a raw string sent exactly as given. */
  payload: JsonValue;
  /** Absolute URL, or a path resolved against the stand-in's `appUrl`. */
  address: string;
  eventId?: string;
  /** Reuse one to simulate Shopify's retry of the same delivery. */
  webhookId?: string;
  triggeredAt?: Date | string;
  apiVersion?: string;
  /**
   * Make the delivery fail verification: `true`/"body" alters the body after
   * signing (a man in the middle); "signature" signs with the wrong secret.
   */
  tamper?: boolean | "body" | "signature";
}

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function signWebhookBody(body: string, secret: string): string {
  return createHmac("sha256", secret).update(body, "utf8").digest("base64");
}

export function buildWebhookRequest(
  input: WebhookInput,
  options: { apiSecret: string; appUrl?: string; defaultApiVersion: string; now: Date },
): WebhookRequest {
  const signed = typeof input.payload === "string" ? input.payload : JSON.stringify(input.payload);
  const tamper = input.tamper === true ? "body" : input.tamper;
  const secret = tamper === "signature" ? `${options.apiSecret}-not` : options.apiSecret;
  const hmac = signWebhookBody(signed, secret);
  const body = tamper === "body" ? `${signed} ` : signed;
  const triggeredAt = input.triggeredAt === undefined ? options.now : new Date(input.triggeredAt);
  let url: string;
  try {
    url = new URL(input.address, options.appUrl).toString();
  } catch {
    throw new Error(`webhook address ${input.address} is not a URL, and no appUrl was given to resolve it against`);
  }
  return {
    url,
    body,
    headers: {
      "Content-Type": "application/json",
      Accept: "*/*",
      "User-Agent": "Shopify-Captain-Hook",
      "X-Shopify-Topic": input.topic,
      "X-Shopify-Hmac-Sha256": hmac,
      "X-Shopify-Shop-Domain": input.shop,
      "X-Shopify-API-Version": input.apiVersion ?? options.defaultApiVersion,
      "X-Shopify-Webhook-Id": input.webhookId ?? randomUUID(),
      "X-Shopify-Event-Id": input.eventId ?? randomUUID(),
      "X-Shopify-Triggered-At": triggeredAt.toISOString(),
    },
  };
}

/** Shopify gives an endpoint five seconds to answer before counting the delivery as failed. */
export const WEBHOOK_TIMEOUT_MS = 5000;

export interface WebhookResponse {
  status: number;
  body: string;
}

export async function deliverWebhook(request: WebhookRequest, timeoutMs = WEBHOOK_TIMEOUT_MS): Promise<WebhookResponse> {
  const response = await fetch(request.url, {
    method: "POST",
    headers: request.headers,
    body: request.body,
    redirect: "manual",
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: response.status, body: await response.text() };
}
