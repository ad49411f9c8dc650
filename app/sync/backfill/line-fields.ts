import { z } from "zod";

/**
 * Field schemas and conversions shared by the bulk-file line parsers.
 *
 * They run once per line of files with millions of lines (3.5 million for a
 * million orders), so zod checks only the shape — types and nesting, which it
 * compiles to fast code — and the value checks (a gid's prefix, a decimal's
 * digits, a real date) are plain functions called while mapping. Measured on
 * a million orders: zod with its own string checks and transforms took 6.6 s
 * of the 23 s of CPU the parsing costs; shape-only schemas plus these
 * functions reject the same lines, with the field named, for a fraction of that.
 */

export const text = z.string().nullish();
export const idRef = z.object({ id: z.string() }).nullish();
/** Shopify's `MoneyBag`, of which only the shop currency amount is stored. */
export const shopMoney = z.object({ shopMoney: z.object({ amount: z.string() }) });

/** A line whose field has the right type but an unusable value (an impossible date, a malformed amount). */
export class FieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FieldError";
  }
}

const GID_PREFIX = "gid://shopify/";

/** The id at the end of a GraphQL global id `gid://shopify/Type/123`, or null when the value is not one. */
export function tryGidId(value: string): string | null {
  const slash = value.lastIndexOf("/");
  if (!value.startsWith(GID_PREFIX) || slash < GID_PREFIX.length || slash === value.length - 1) return null;
  return value.slice(slash + 1);
}

/** The numeric id of a GraphQL global id `gid://shopify/Type/123` (Shopify's legacy id, as webhooks send it). */
export function gidId(value: string, field: string): string {
  const id = tryGidId(value);
  if (id === null) throw new FieldError(`${field} must be a Shopify global id (got ${JSON.stringify(value.slice(0, 60))})`);
  return id;
}

export function gidIdOrNull(ref: { id: string } | null | undefined, field: string): string | null {
  return ref === null || ref === undefined ? null : gidId(ref.id, field);
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

export function isDecimal(value: string): boolean {
  return DECIMAL.test(value);
}

/** A decimal amount as Shopify sends money: a string, never a float. */
export function decimal(value: string, field: string): string {
  if (!DECIMAL.test(value)) throw new FieldError(`${field} must be a decimal amount (got ${JSON.stringify(value.slice(0, 40))})`);
  return value;
}

/** The exact sum of decimal amounts (each as `decimal` accepts them), as a decimal. */
export function sumDecimals(amounts: readonly string[]): string {
  if (amounts.length === 0) return "0";
  if (amounts.length === 1) return amounts[0] ?? "0";
  const fraction = (amount: string) => (amount.includes(".") ? amount.length - amount.indexOf(".") - 1 : 0);
  const scale = Math.max(...amounts.map(fraction));
  // Scaled to whole units of the finest fraction, the sum is exact.
  const total = amounts.reduce((sum, amount) => sum + BigInt(amount.replace(".", "") + "0".repeat(scale - fraction(amount))), 0n);
  const digits = (total < 0n ? -total : total).toString().padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  return `${total < 0n ? "-" : ""}${whole}${scale > 0 ? `.${digits.slice(digits.length - scale)}` : ""}`;
}

/** Missing, null and "" are all "no value", as in the webhook payloads. */
export function orNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === "" ? null : value;
}

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const FRACTION_POSITIONS = [20, 21, 22];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const digit = (value: string, index: number) => value.charCodeAt(index) - 48;
const two = (value: string, index: number) => digit(value, index) * 10 + digit(value, index + 1);

/**
 * `YYYY-MM-DDTHH:MM:SSZ` or `YYYY-MM-DDTHH:MM:SS.sssZ` as milliseconds; NaN
 * when the string has that shape but is not a real time (2024-02-30), null
 * when it has another shape.
 */
function utcForm(value: string): number | null {
  const fraction = value.length === 24;
  if (value.length !== 20 && !fraction) return null;
  const end = value.length - 1;
  if (value[4] !== "-" || value[7] !== "-" || value[10] !== "T" || value[13] !== ":" || value[16] !== ":" || value[end] !== "Z") return null;
  if (fraction && value[19] !== ".") return null;
  for (const index of DIGIT_POSITIONS) {
    const d = digit(value, index);
    if (d < 0 || d > 9) return Number.NaN;
  }
  let millis = 0;
  if (fraction) {
    for (const index of FRACTION_POSITIONS) {
      const d = digit(value, index);
      if (d < 0 || d > 9) return Number.NaN;
      millis = millis * 10 + d;
    }
  }
  const year = two(value, 0) * 100 + two(value, 2);
  const month = two(value, 5);
  const day = two(value, 8);
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = (DAYS_IN_MONTH[month - 1] ?? 0) + (leap ? 1 : 0);
  const hour = two(value, 11);
  const minute = two(value, 14);
  const second = two(value, 17);
  if (year < 1000 || month < 1 || day < 1 || day > monthDays || hour > 23 || minute > 59 || second > 59) return Number.NaN;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

/** Years PostgreSQL's timestamp input reads back from `toISOString()` (which writes ±YYYYYY beyond them). */
const FIRST_YEAR = 1;
const LAST_YEAR = 9999;

function invalidTime(value: string, field: string): FieldError {
  return new FieldError(`${field} must be an ISO 8601 time (got ${JSON.stringify(value.slice(0, 40))})`);
}

/**
 * Shopify's GraphQL DateTime is always UTC with second precision
 * ("2024-05-01T07:42:10Z"); that form (and the same with milliseconds) is read
 * directly — several times faster than `new Date` over the millions of times
 * in a bulk file, and stricter: `new Date` turns 2024-02-30 into March 1st.
 * Any other form goes through `new Date`.
 */
export function toDate(value: string, field: string): Date {
  const fast = utcForm(value);
  const date = fast === null ? new Date(value) : new Date(fast);
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < FIRST_YEAR || year > LAST_YEAR) throw invalidTime(value, field);
  return date;
}

export function toDateOrNull(value: string | null | undefined, field: string): Date | null {
  return value === undefined || value === null ? null : toDate(value, field);
}

/**
 * The time as `toISOString()` writes it (what the staging rows carry), or null
 * when it is not in one of Shopify's UTC forms; then `toDate` decides. Spares
 * a Date per time on the fast path.
 */
export function utcIsoOrNull(value: string): string | null {
  const fast = utcForm(value);
  if (fast === null || Number.isNaN(fast)) return null;
  return value.length === 24 ? value : `${value.slice(0, 19)}.000Z`;
}

/** Milliseconds since the epoch when the time is in one of Shopify's UTC forms, else null (see utcIsoOrNull). */
export function utcMillisOrNull(value: string): number | null {
  const fast = utcForm(value);
  return fast === null || Number.isNaN(fast) ? null : fast;
}
