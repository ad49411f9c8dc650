import type { Customer, FinancialStatus, MarketingConsent, MarketingState, NoteAttribute, SmsMarketingConsent } from "./types.ts";

/** What callers hand the store; anything left out gets a plausible default. */

/** When a caller gives a time, it may be a Date or any string Date understands. */
export type TimeInput = Date | string;

export interface ShopInput {
  domain: string;
  name?: string;
  email?: string;
  ianaTimezone?: string;
  currencyCode?: string;
  /** Name of the location created with the shop; `null` creates none. */
  locationName?: string | null;
}

export interface LocationInput {
  name: string;
  address1?: string;
  city?: string;
  zip?: string;
  countryCode?: string;
  isActive?: boolean;
}

export interface CustomerInput {
  email?: string | null;
  phone?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  createdAt?: TimeInput;
  updatedAt?: TimeInput;
  tags?: string[];
  note?: string | null;
  state?: Customer["state"];
  locale?: string;
  emailMarketingConsent?: MarketingState | MarketingConsent | null;
  smsMarketingConsent?: MarketingState | SmsMarketingConsent | null;
}

export interface LineItemInput {
  title: string;
  quantity: number;
  /** Unit price, e.g. "4.50". */
  price: string;
  sku?: string | null;
  variantTitle?: string | null;
  vendor?: string | null;
  variantId?: string | null;
  productId?: string | null;
  /** Discount on the whole line. */
  discount?: string;
}

export interface OrderInput {
  lineItems: LineItemInput[];
  customerId?: string | null;
  locationId?: string | null;
  sourceName?: string;
  createdAt?: TimeInput;
  processedAt?: TimeInput;
  updatedAt?: TimeInput;
  currency?: string;
  email?: string | null;
  noteAttributes?: NoteAttribute[];
  note?: string | null;
  tags?: string[];
  financialStatus?: FinancialStatus;
  gateway?: string;
  /** Share of the (tax-inclusive) price that is tax, e.g. 0.2 for 20 % VAT. */
  taxRate?: number;
  test?: boolean;
}

export function titleCase(handle: string): string {
  return handle
    .split("-")
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(" ");
}

export function emailConsent(
  input: MarketingState | MarketingConsent | null | undefined,
  hasEmail: boolean,
  at: string,
): MarketingConsent | null {
  if (input === null || (!hasEmail && input === undefined)) return null;
  if (input === undefined) return { state: "not_subscribed", optInLevel: "single_opt_in", consentUpdatedAt: null };
  if (typeof input !== "string") return input;
  return {
    state: input,
    optInLevel: "single_opt_in",
    consentUpdatedAt: input === "not_subscribed" ? null : at,
  };
}

export function smsConsent(
  input: MarketingState | SmsMarketingConsent | null | undefined,
  hasPhone: boolean,
  at: string,
): SmsMarketingConsent | null {
  if (input === null || (!hasPhone && input === undefined)) return null;
  if (input === undefined) {
    return { state: "not_subscribed", optInLevel: "single_opt_in", consentUpdatedAt: null, consentCollectedFrom: null };
  }
  if (typeof input !== "string") return input;
  return {
    state: input,
    optInLevel: "single_opt_in",
    consentUpdatedAt: input === "not_subscribed" ? null : at,
    consentCollectedFrom: input === "not_subscribed" ? null : "SHOPIFY",
  };
}
