import { z } from "zod";
import type { Channel } from "../sync/types";
import { legacyId } from "../sync/types";
import { isCurrencyCode } from "./shop-settings";
import type { FieldResult, ImportItem } from "./types";

/**
 * One cell at a time: each parser takes the trimmed text of a cell and returns
 * its value or a message that says what is wrong and what would be right.
 * Messages name no column or line; the row parser adds those.
 */

const MAX_ID_LENGTH = 255;
const MAX_QUANTITY = 10_000;
const MAX_ITEMS = 500;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DECIMAL = /^(\d{1,14})(?:\.(\d{1,4}))?$/;
/** Half of a UTF-16 pair: a UTF-16 file cut mid-character. PostgreSQL would store it altered (text) or not at all (JSON). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const ok = <T>(value: T): FieldResult<T> => ({ ok: true, value });
const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

/** An id from the other POS (order, customer, location): any printable text up to 255 characters. */
export function parseIdentifier(text: string): FieldResult<string> {
  if (text.length > MAX_ID_LENGTH) return fail(`is longer than ${MAX_ID_LENGTH} characters`);
  if (CONTROL.test(text)) return fail("contains a control character (tab or line break)");
  if (LONE_SURROGATE.test(text)) return fail("contains a broken character (check the file is saved as UTF-8)");
  return ok(text);
}

/** A customer id; Shopify's `gid://shopify/Customer/123` becomes `123`, the id its webhooks use. */
export function parseCustomerId(text: string): FieldResult<string> {
  const id = parseIdentifier(text);
  if (!id.ok) return id;
  return ok(text.startsWith("gid://shopify/Customer/") ? legacyId(text) : text);
}

/** A money amount: dot for decimals, up to 4 places, no symbol, not negative. */
export function parseTotal(text: string): FieldResult<string> {
  if (text === "") return fail("is required, e.g. 4.50");
  const match = DECIMAL.exec(text);
  if (match) {
    const whole = String(Number(match[1]));
    const fraction = (match[2] ?? "").replace(/0+$/, "");
    return ok(fraction === "" ? whole : `${whole}.${fraction}`);
  }
  if (/^-/.test(text)) return fail(`must not be negative (got "${text}"); refunds are not imported`);
  if (/^\d+,\d{1,4}$/.test(text)) return fail(`must use a dot for decimals, e.g. ${text.replace(",", ".")} (got "${text}")`);
  if (/^\d+\.\d{5,}$/.test(text)) return fail(`has more than 4 decimal places (got "${text}")`);
  if (/\d/.test(text) && /[^\d.,\s]/.test(text)) return fail(`must be a plain number without a currency sign, e.g. 4.50 (got "${text}")`);
  return fail(`must be a number like 4.50 (got "${text}")`);
}

/** ISO 4217; empty means the shop's currency. Lower case is accepted. */
export function parseCurrency(text: string, shopCurrency: string): FieldResult<string> {
  if (text === "") return ok(shopCurrency);
  const code = text.toUpperCase();
  if (!isCurrencyCode(code)) return fail(`must be an ISO 4217 currency code such as GBP, EUR or USD (got "${text}")`);
  return ok(code);
}

/** `pos` (at the counter) or `web` (online); empty means pos, since most history from a POS is counter sales. */
export function parseChannel(text: string): FieldResult<Channel> {
  const value = text.toLowerCase();
  if (value === "" || value === "pos") return ok("pos");
  if (value === "web") return ok("web");
  return fail(`must be pos or web (got "${text}")`);
}

const emailSchema = z.email();

export function parseEmail(text: string): FieldResult<string> {
  if (text.length > MAX_ID_LENGTH || !emailSchema.safeParse(text).success) return fail(`is not an email address (got "${text}")`);
  return ok(text);
}

/** `SKU:qty` pairs separated by `;`, e.g. `LATTE-OAT:1;CROISSANT:2`. A SKU may itself contain a colon. */
export function parseItems(text: string): FieldResult<ImportItem[]> {
  const items: ImportItem[] = [];
  const pairs = text.split(";").map((pair) => pair.trim()).filter((pair) => pair !== "");
  if (pairs.length > MAX_ITEMS) return fail(`has more than ${MAX_ITEMS} items`);
  for (const [index, pair] of pairs.entries()) {
    const colon = pair.lastIndexOf(":");
    const sku = colon === -1 ? "" : pair.slice(0, colon).trim();
    const quantityText = colon === -1 ? "" : pair.slice(colon + 1).trim();
    if (colon === -1 || sku === "") {
      return fail(`item ${index + 1} ("${pair}") must be SKU:quantity, e.g. LATTE-OAT:1;CROISSANT:2`);
    }
    if (sku.includes(",")) return fail(`item ${index + 1} ("${pair}") has a comma: separate items with ; (e.g. LATTE-OAT:1;CROISSANT:2)`);
    const skuCheck = parseIdentifier(sku);
    if (!skuCheck.ok) return fail(`item ${index + 1}: SKU ${skuCheck.message}`);
    if (!/^\d+$/.test(quantityText) || Number(quantityText) < 1 || Number(quantityText) > MAX_QUANTITY) {
      return fail(`item ${index + 1} (${sku}) needs a whole quantity from 1 to ${MAX_QUANTITY} (got "${quantityText}")`);
    }
    items.push({ sku, quantity: Number(quantityText) });
  }
  return ok(items);
}
