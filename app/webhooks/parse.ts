import type { z } from "zod";
import { assertNever } from "../lib/assert-never";
import {
  bulkOperationFinishPayload,
  customerDeletePayload,
  customerPayload,
  customerRedactPayload,
  dataRequestPayload,
  orderPayload,
  refundPayload,
  shopRedactPayload,
} from "./payloads";
import type { WebhookTopic } from "./topics";

/** The payload schema for a topic; `app/uninstalled` carries the shop and nothing the app reads. */
export function payloadSchema(topic: WebhookTopic): z.ZodType | null {
  switch (topic) {
    case "orders/create":
    case "orders/updated":
    case "orders/paid":
    case "orders/cancelled":
      return orderPayload;
    case "refunds/create":
      return refundPayload;
    case "customers/create":
    case "customers/update":
      return customerPayload;
    case "customers/delete":
      return customerDeletePayload;
    case "bulk_operations/finish":
      return bulkOperationFinishPayload;
    case "customers/data_request":
      return dataRequestPayload;
    case "customers/redact":
      return customerRedactPayload;
    case "shop/redact":
      return shopRedactPayload;
    case "app/uninstalled":
      return null;
    default:
      return assertNever(topic, "webhook topic");
  }
}

export type ParsedBody = { ok: true; body: unknown } | { ok: false; error: string };

/** JSON-parses and validates a webhook body for its topic; the error names the first bad field. */
export function parseWebhookBody(topic: WebhookTopic, rawBody: string): ParsedBody {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return { ok: false, error: "body is not JSON" };
  }
  const schema = payloadSchema(topic);
  if (!schema) return { ok: true, body: json };
  const result = schema.safeParse(json);
  if (result.success) return { ok: true, body: json };
  const issue = result.error.issues[0];
  return { ok: false, error: `${topic} payload: ${issue?.path.join(".") || "body"} ${issue?.message ?? "is invalid"}` };
}
