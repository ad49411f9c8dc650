import { MAX_PUSH_PLAINTEXT_BYTES, wireBytes, wireMessage, type PushNotification } from "../push/payload";
import type { OfferType, TransactionalTemplate, Variant } from "./definition";

/**
 * The notification a variant becomes: placeholders filled in and the deep
 * link (a storefront path) sent through Shopify's `/discount/CODE?redirect=`
 * link when the member has a code, which applies it at checkout. And the
 * size rule, checked at authoring time, that keeps every variant inside one
 * Web Push message as the push layer sends it (app/push/payload.ts).
 */

export type Notification = Pick<PushNotification, "title" | "body" | "url">;

export { MAX_PUSH_PLAINTEXT_BYTES };

/**
 * The longest click token the push layer puts in a message: base64url of
 * {"d": delivery id of at most 200 characters, "e": expiry in seconds}, a dot
 * and a 22-character tag (app/push/click-token.server.ts).
 */
export const CLICK_TOKEN_MAX_CHARS = base64urlChars(JSON.stringify({ d: "x".repeat(200), e: 99_999_999_999 }).length) + 1 + 22;

/** Unpadded base64url length of `bytes` bytes; arithmetic, so this module also loads in the admin's browser bundle (live preview). */
function base64urlChars(bytes: number): number {
  return Math.floor(bytes / 3) * 4 + (bytes % 3 === 0 ? 0 : (bytes % 3) + 1);
}

export const PLACEHOLDER_PATTERN = /\{([A-Za-z][A-Za-z0-9]*)\}/g;

export interface PlaceholderSpec {
  /** Longest value, in characters. */
  maxChars: number;
  /** Whether the value is plain ASCII (one byte a character) or free text (up to four). */
  ascii: boolean;
  description: string;
}

export const DISCOUNT_CODE_MAX_CHARS = 20;
export const ORDER_NAME_MAX_CHARS = 40;
/** A transactional message's own link (given by the caller) is at most this long. */
export const TEMPLATE_LINK_MAX_CHARS = 200;

const DISCOUNT_PLACEHOLDERS: Record<string, PlaceholderSpec> = {
  code: { maxChars: DISCOUNT_CODE_MAX_CHARS, ascii: true, description: "the member's own discount code" },
  percentOff: { maxChars: 3, ascii: true, description: "the discount, in percent" },
};

const TEMPLATE_PLACEHOLDERS: Record<TransactionalTemplate, Record<string, PlaceholderSpec>> = {
  "order-ready": { orderName: { maxChars: ORDER_NAME_MAX_CHARS, ascii: false, description: "the order's name, e.g. #1042" } },
};

/** An order-ahead invitation names the pickup slot chosen for the member (app/campaigns/order-ahead.ts). */
export const LOCATION_NAME_MAX_CHARS = 60;
const ORDER_AHEAD_PLACEHOLDERS: Record<string, PlaceholderSpec> = {
  slotTime: { maxChars: 5, ascii: true, description: "the pickup slot's time, e.g. 08:10" },
  locationName: { maxChars: LOCATION_NAME_MAX_CHARS, ascii: false, description: "the pickup location's name" },
};

/** The placeholders a campaign's texts may use. */
export function placeholdersFor(campaign: { template: TransactionalTemplate | null; discount: boolean; offerType?: OfferType | null }): Record<string, PlaceholderSpec> {
  if (campaign.template) return TEMPLATE_PLACEHOLDERS[campaign.template];
  const pickup = campaign.offerType === "order-ahead" ? ORDER_AHEAD_PLACEHOLDERS : {};
  return campaign.discount ? { ...DISCOUNT_PLACEHOLDERS, ...pickup } : pickup;
}

/** Fills `{name}` placeholders; an unknown one stays as written (authoring refuses those). */
export function fillPlaceholders(text: string, values: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER_PATTERN, (whole, name: string) => (Object.hasOwn(values, name) ? (values[name] ?? whole) : whole));
}

/** The path a tap opens; with a code, Shopify's discount link applies it and then shows the path. */
export function storefrontLink(path: string, discountCode: string | null): string {
  return discountCode ? `/discount/${encodeURIComponent(discountCode)}?redirect=${encodeURIComponent(path)}` : path;
}

export function renderNotification(
  variant: Pick<Variant, "title" | "body" | "url">,
  options: { values: Readonly<Record<string, string>>; discountCode: string | null },
): Notification {
  const fill = (text: string) => fillPlaceholders(text, options.values);
  return { title: fill(variant.title), body: fill(variant.body), url: storefrontLink(fill(variant.url), options.discountCode) };
}

/**
 * Measures a variant at its largest, as the push layer sends it: every
 * placeholder at its longest value (four bytes a character for free text)
 * and the longest click token. The link itself stays in the app (the token
 * stands for it), so its length does not count.
 */
export function checkNotificationSize(
  variant: Pick<Variant, "title" | "body" | "url">,
  placeholders: Readonly<Record<string, PlaceholderSpec>>,
): { ok: true; bytes: number } | { ok: false; bytes: number; message: string } {
  const longest: Record<string, string> = {};
  for (const [name, spec] of Object.entries(placeholders)) longest[name] = (spec.ascii ? "W" : "😀").repeat(spec.maxChars);
  const notification = renderNotification(variant, { values: longest, discountCode: null });
  const bytes = wireBytes(wireMessage(notification, "x".repeat(CLICK_TOKEN_MAX_CHARS)));
  if (bytes <= MAX_PUSH_PLAINTEXT_BYTES) return { ok: true, bytes };
  const over = bytes - MAX_PUSH_PLAINTEXT_BYTES;
  return {
    ok: false,
    bytes,
    message:
      `the notification takes up to ${bytes.toLocaleString("en")} bytes as sent (title and body with placeholders at their longest, and the tracked link) ` +
      `but one Web Push message carries at most ${MAX_PUSH_PLAINTEXT_BYTES.toLocaleString("en")} (4 KB encrypted): ` +
      `shorten the title or body by at least ${over.toLocaleString("en")} bytes`,
  };
}
