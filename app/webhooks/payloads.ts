import { z } from "zod";
import { channelOf, type SyncedCustomer, type SyncedLineItem, type SyncedOrder, type SyncedRefund } from "../sync/types";

/**
 * Shopify's REST webhook payloads (snake_case), parsed at the edge. Only the
 * fields the product uses are read; unknown fields are ignored, a missing or
 * mistyped required field makes the delivery malformed (400).
 */
const id = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]).transform(String);
// Money is stored as numeric(18,4): an amount of 10^14 or more would fail the write (and, unrefused, the drain every time).
const MONEY_LIMIT = 1e14;
const money = z
  .union([z.string().regex(/^-?\d+(\.\d+)?$/), z.number()])
  .refine((v) => Math.abs(Number(v)) < MONEY_LIMIT, "must be an amount below 100,000,000,000,000")
  .transform(String);
// PostgreSQL's timestamp holds far fewer years than a JavaScript Date; no real order is outside 1–9999.
const timestamp = z
  .string()
  .refine((v) => {
    const year = new Date(v).getUTCFullYear();
    return !Number.isNaN(year) && year >= 1 && year <= 9999;
  }, "must be an ISO 8601 time")
  .transform((v) => new Date(v));
const nullableTimestamp = z.union([timestamp, z.null()]).optional().transform((v) => v ?? null);
const optionalText = z.string().nullish().transform((v) => (v === undefined || v === "" ? null : v));

const consent = z
  .object({ state: z.string().nullish(), consent_updated_at: z.string().nullish() })
  .nullish()
  .transform((c) => ({
    // REST spells the state in lower case; GraphQL (and so the backfill) in upper case.
    state: c?.state ? c.state.toUpperCase() : null,
    at: c?.consent_updated_at && !Number.isNaN(Date.parse(c.consent_updated_at)) ? new Date(c.consent_updated_at) : null,
  }));

export const customerPayload = z.object({
  id,
  email: optionalText,
  phone: optionalText,
  first_name: optionalText,
  last_name: optionalText,
  tags: z.string().nullish().transform((t) => (t ? t.split(",").map((s) => s.trim()).filter(Boolean) : [])),
  created_at: nullableTimestamp,
  updated_at: timestamp,
  email_marketing_consent: consent,
  sms_marketing_consent: consent,
});

const lineItem = z.object({
  id,
  product_id: id.nullish(),
  variant_id: id.nullish(),
  sku: optionalText,
  title: z.string(),
  // Stored as a 32-bit integer.
  quantity: z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1),
  price: money,
});

const transaction = z.object({
  amount: money,
  kind: z.string().nullish(),
  status: z.string().nullish(),
});

export const refundPayload = z.object({
  id,
  order_id: id,
  created_at: timestamp,
  transactions: z.array(transaction).default([]),
});

export const orderPayload = z.object({
  id,
  name: optionalText,
  customer: z.object({ id }).passthrough().nullish(),
  location_id: id.nullish(),
  source_name: optionalText,
  currency: z.string().length(3),
  total_price: money,
  subtotal_price: money.nullish(),
  total_discounts: money.nullish(),
  financial_status: optionalText,
  processed_at: nullableTimestamp,
  created_at: timestamp,
  updated_at: timestamp,
  cancelled_at: nullableTimestamp,
  note_attributes: z
    .array(z.object({ name: z.string(), value: z.union([z.string(), z.number(), z.boolean(), z.null()]) }))
    .default([]),
  line_items: z.array(lineItem).default([]),
  refunds: z.array(refundPayload.omit({ order_id: true }).extend({ order_id: id.optional() })).default([]),
});

export const customerDeletePayload = z.object({ id });

export const bulkOperationFinishPayload = z.object({
  admin_graphql_api_id: z.string(),
  completed_at: z.string().nullish(),
  created_at: z.string().nullish(),
  error_code: z.string().nullish(),
  status: z.string(),
  type: z.string().nullish(),
});

const complianceCustomer = z.object({ id, email: optionalText, phone: optionalText });

export const dataRequestPayload = z.object({
  shop_domain: z.string(),
  customer: complianceCustomer,
  orders_requested: z.array(id).default([]),
  data_request: z.object({ id }).nullish(),
});

export const customerRedactPayload = z.object({
  shop_domain: z.string(),
  customer: complianceCustomer,
  orders_to_redact: z.array(id).default([]),
});

export const shopRedactPayload = z.object({ shop_domain: z.string() });

/** Successful refund transactions are what left the till. */
export function refundAmount(transactions: Array<z.infer<typeof transaction>>): string {
  const cents = transactions
    .filter((t) => (t.kind ?? "refund") === "refund" && (t.status ?? "success") === "success")
    .reduce((sum, t) => sum + Math.round(Number(t.amount) * 10_000), 0);
  return (cents / 10_000).toFixed(4);
}

export function toSyncedRefund(payload: z.infer<typeof refundPayload>): SyncedRefund {
  return { id: payload.id, orderId: payload.order_id, amount: refundAmount(payload.transactions), createdAt: payload.created_at };
}

export function toSyncedOrder(payload: z.infer<typeof orderPayload>): SyncedOrder {
  const lineItems: SyncedLineItem[] = payload.line_items.map((item) => ({
    id: item.id,
    productId: item.product_id ?? null,
    variantId: item.variant_id ?? null,
    sku: item.sku,
    title: item.title,
    quantity: item.quantity,
    price: item.price,
  }));
  return {
    id: payload.id,
    name: payload.name,
    customerId: payload.customer?.id ?? null,
    locationId: payload.location_id ?? null,
    channel: channelOf(payload.source_name),
    sourceName: payload.source_name,
    currency: payload.currency.toUpperCase(),
    totalPrice: payload.total_price,
    subtotalPrice: payload.subtotal_price ?? null,
    totalDiscounts: payload.total_discounts ?? null,
    financialStatus: payload.financial_status,
    processedAt: payload.processed_at ?? payload.created_at,
    cancelledAt: payload.cancelled_at,
    noteAttributes: payload.note_attributes.map((a) => ({ name: a.name, value: a.value === null ? "" : String(a.value) })),
    shopifyCreatedAt: payload.created_at,
    shopifyUpdatedAt: payload.updated_at,
    lineItems,
    refunds: payload.refunds.map((r) => ({
      id: r.id,
      orderId: payload.id,
      amount: refundAmount(r.transactions),
      createdAt: r.created_at,
    })),
  };
}

export function toSyncedCustomer(payload: z.infer<typeof customerPayload>): SyncedCustomer {
  return {
    id: payload.id,
    email: payload.email,
    phone: payload.phone,
    firstName: payload.first_name,
    lastName: payload.last_name,
    emailMarketingState: payload.email_marketing_consent.state,
    emailMarketingAt: payload.email_marketing_consent.at,
    smsMarketingState: payload.sms_marketing_consent.state,
    smsMarketingAt: payload.sms_marketing_consent.at,
    tags: payload.tags,
    shopifyCreatedAt: payload.created_at,
    shopifyUpdatedAt: payload.updated_at,
  };
}
