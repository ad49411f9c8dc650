/**
 * The shapes every source of trade data is turned into before it is stored:
 * a webhook, a bulk-operation backfill and a CSV import all produce these, and
 * one writer stores them. Money is a decimal string (exact); ids are Shopify's
 * numeric legacy ids as text, or an importer's own ids.
 */
export type SyncSource = "webhook" | "backfill" | "import";
export type Channel = "pos" | "web";

export interface SyncedLineItem {
  id: string;
  productId: string | null;
  variantId: string | null;
  sku: string | null;
  title: string;
  quantity: number;
  price: string;
}

export interface SyncedRefund {
  id: string;
  orderId: string;
  amount: string;
  createdAt: Date;
}

export interface NoteAttribute {
  name: string;
  value: string;
}

export interface SyncedOrder {
  id: string;
  name: string | null;
  /** Null for a guest order. */
  customerId: string | null;
  locationId: string | null;
  channel: Channel;
  sourceName: string | null;
  currency: string;
  totalPrice: string;
  subtotalPrice: string | null;
  totalDiscounts: string | null;
  financialStatus: string | null;
  processedAt: Date;
  cancelledAt: Date | null;
  noteAttributes: NoteAttribute[];
  shopifyCreatedAt: Date | null;
  /** The version: an older one never overwrites a newer one. */
  shopifyUpdatedAt: Date;
  lineItems: SyncedLineItem[];
  refunds: SyncedRefund[];
}

export interface SyncedCustomer {
  id: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  emailMarketingState: string | null;
  emailMarketingAt: Date | null;
  smsMarketingState: string | null;
  smsMarketingAt: Date | null;
  tags: string[];
  shopifyCreatedAt: Date | null;
  /** The version; null for an imported customer, which any Shopify version replaces. */
  shopifyUpdatedAt: Date | null;
}

/** Shopify's POS orders carry source_name "pos"; everything else came through the online store or an app. */
export function channelOf(sourceName: string | null | undefined): Channel {
  return sourceName === "pos" ? "pos" : "web";
}

/** "gid://shopify/Order/123" → "123"; a bare id passes through. */
export function legacyId(id: string | number): string {
  const text = String(id);
  const slash = text.lastIndexOf("/");
  return slash === -1 ? text : text.slice(slash + 1);
}
