/**
 * Records the stand-in keeps for each shop. Field names follow the Admin GraphQL
 * API (camelCase); the REST webhook payloads are derived from these in
 * `webhooks/payloads.ts`. Money is a decimal string with two places, as Shopify
 * sends it, so no float ever rounds a price. Timestamps are UTC ISO strings
 * with second precision ("2024-05-01T07:42:10Z"), the GraphQL DateTime form.
 */

export type MarketingState =
  | "subscribed"
  | "not_subscribed"
  | "unsubscribed"
  | "pending"
  | "redacted"
  | "invalid";

export type OptInLevel = "single_opt_in" | "confirmed_opt_in" | "unknown";

export interface MarketingConsent {
  state: MarketingState;
  optInLevel: OptInLevel | null;
  consentUpdatedAt: string | null;
}

export interface SmsMarketingConsent extends MarketingConsent {
  consentCollectedFrom: "SHOPIFY" | "OTHER" | null;
}

export interface ShopInfo {
  /** Numeric shop id, as in `shop_id` of the compliance webhooks. */
  id: number;
  name: string;
  myshopifyDomain: string;
  email: string;
  ianaTimezone: string;
  currencyCode: string;
  createdAt: string;
}

export interface Location {
  id: string;
  name: string;
  isActive: boolean;
  address1: string;
  city: string;
  zip: string;
  countryCode: string;
  createdAt: string;
  updatedAt: string;
}

export interface Customer {
  id: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  createdAt: string;
  updatedAt: string;
  state: "enabled" | "disabled" | "invited" | "declined";
  note: string | null;
  verifiedEmail: boolean;
  locale: string;
  tags: string[];
  emailMarketingConsent: MarketingConsent | null;
  smsMarketingConsent: SmsMarketingConsent | null;
}

export interface LineItem {
  id: string;
  title: string;
  variantTitle: string | null;
  quantity: number;
  sku: string | null;
  vendor: string | null;
  variantId: string | null;
  productId: string | null;
  /** Unit price before discounts. */
  price: string;
  /** Discount allocated to the whole line (all units). */
  totalDiscount: string;
}

export interface NoteAttribute {
  name: string;
  value: string;
}

export type FinancialStatus =
  | "pending"
  | "authorized"
  | "paid"
  | "partially_paid"
  | "partially_refunded"
  | "refunded"
  | "voided";

export interface RefundLineItem {
  id: number;
  lineItemId: string;
  quantity: number;
  subtotal: string;
}

export interface Refund {
  id: string;
  createdAt: string;
  processedAt: string;
  note: string | null;
  refundLineItems: RefundLineItem[];
  /** Money returned to the buyer by this refund. */
  amount: string;
  transactionId: number;
  gateway: string;
}

export interface Order {
  id: string;
  /** "#1001" */
  name: string;
  orderNumber: number;
  email: string | null;
  createdAt: string;
  processedAt: string;
  updatedAt: string;
  cancelledAt: string | null;
  cancelReason: "customer" | "fraud" | "inventory" | "declined" | "other" | null;
  closedAt: string | null;
  currency: string;
  subtotalPrice: string;
  totalDiscounts: string;
  totalTax: string;
  taxesIncluded: boolean;
  totalPrice: string;
  /** "pos" for Shopify POS, "web" for the online store; other channels exist. */
  sourceName: string;
  locationId: string | null;
  customerId: string | null;
  noteAttributes: NoteAttribute[];
  note: string | null;
  tags: string[];
  financialStatus: FinancialStatus;
  fulfillmentStatus: "fulfilled" | "partial" | "restocked" | null;
  gateway: string;
  test: boolean;
  lineItems: LineItem[];
  refunds: Refund[];
}

export type BulkOperationStatus =
  | "CREATED"
  | "RUNNING"
  | "COMPLETED"
  | "FAILED"
  | "CANCELING"
  | "CANCELED"
  | "EXPIRED";

export type BulkOperationErrorCode = "ACCESS_DENIED" | "INTERNAL_SERVER_ERROR" | "TIMEOUT";

export interface BulkOperation {
  id: string;
  shop: string;
  query: string;
  type: "QUERY";
  status: BulkOperationStatus;
  errorCode: BulkOperationErrorCode | null;
  createdAt: string;
  completedAt: string | null;
  objectCount: number;
  rootObjectCount: number;
  fileSize: number | null;
  url: string | null;
  partialDataUrl: string | null;
}

export interface ProductVariant {
  id: string;
  productId: string;
  /** "Default Title" for a product without options, as Shopify names it. */
  title: string;
  price: string;
  sku: string | null;
}

export interface Product {
  id: string;
  title: string;
  handle: string;
  productType: string;
  vendor: string;
  status: "ACTIVE" | "DRAFT" | "ARCHIVED";
  createdAt: string;
  updatedAt: string;
  variants: ProductVariant[];
}

/** A Storefront API token made by `storefrontAccessTokenCreate`. */
export interface StorefrontAccessToken {
  id: string;
  accessToken: string;
  title: string;
  createdAt: string;
}

export interface CartLine {
  id: string;
  merchandiseId: string;
  quantity: number;
}

/** A Storefront API cart; paying its checkout turns it into an order. */
export interface Cart {
  /** `gid://shopify/Cart/<token>?key=<key>`, as Shopify writes cart ids. */
  id: string;
  token: string;
  key: string;
  lines: CartLine[];
  attributes: NoteAttribute[];
  buyerEmail: string | null;
  createdAt: string;
  updatedAt: string;
  /** Set once the checkout is paid: the order it became. */
  orderId: string | null;
}
