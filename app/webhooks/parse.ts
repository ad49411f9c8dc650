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

/**
 * JSON-parses and validates a webhook body for its topic: null when it is
 * valid, else what is wrong (naming the first bad field). Intake keeps only
 * the raw body; the parsed one is dropped here rather than held while the
 * delivery is written.
 */
/** `\u0000` preceded by an even number of backslashes: an escaped NUL, not the text "\u0000". */
const ESCAPED_NUL = /(?<!\\)(?:\\\\)*\\u0000/;

export function webhookBodyError(topic: WebhookTopic, rawBody: string): string | null {
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return "body is not JSON";
  }
  // PostgreSQL text cannot hold a NUL: such a delivery could be recorded but never applied.
  if (rawBody.includes("\\u0000") && ESCAPED_NUL.test(rawBody)) return "body holds a NUL character (\\u0000), which cannot be stored";
  const schema = payloadSchema(topic);
  if (!schema) return null;
  const result = schema.safeParse(json);
  if (result.success) return null;
  const issue = result.error.issues[0];
  return `${topic} payload: ${issue?.path.join(".") || "body"} ${issue?.message ?? "is invalid"}`;
}
