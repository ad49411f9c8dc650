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

/** The numeric id of a GraphQL global id `gid://shopify/Type/123` (Shopify's legacy id, as webhooks send it). */
export function gidId(value: string, field: string): string {
  const slash = value.lastIndexOf("/");
  if (!value.startsWith(GID_PREFIX) || slash < GID_PREFIX.length || slash === value.length - 1) {
    throw new FieldError(`${field} must be a Shopify global id (got ${JSON.stringify(value.slice(0, 60))})`);
  }
  return value.slice(slash + 1);
}

export function gidIdOrNull(ref: { id: string } | null | undefined, field: string): string | null {
  return ref === null || ref === undefined ? null : gidId(ref.id, field);
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A decimal amount as Shopify sends money: a string, never a float. */
export function decimal(value: string, field: string): string {
  if (!DECIMAL.test(value)) throw new FieldError(`${field} must be a decimal amount (got ${JSON.stringify(value.slice(0, 40))})`);
  return value;
}

/** Missing, null and "" are all "no value", as in the webhook payloads. */
export function orNull(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === "" ? null : value;
}

const DIGIT_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18];
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const digit = (value: string, index: number) => value.charCodeAt(index) - 48;
const two = (value: string, index: number) => digit(value, index) * 10 + digit(value, index + 1);

/**
 * `YYYY-MM-DDTHH:MM:SSZ` as milliseconds; NaN when the string has that shape
 * but is not a real time (2024-02-30), null when it has another shape.
 */
function utcSecondsForm(value: string): number | null {
  if (value.length !== 20 || value[4] !== "-" || value[7] !== "-" || value[10] !== "T" || value[13] !== ":" || value[16] !== ":" || value[19] !== "Z") {
    return null;
  }
  for (const index of DIGIT_POSITIONS) {
    const d = digit(value, index);
    if (d < 0 || d > 9) return Number.NaN;
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
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/**
 * Shopify's GraphQL DateTime is always UTC with second precision
 * ("2024-05-01T07:42:10Z"); that form is read directly (several times faster
 * than `new Date` over the millions of times in a bulk file), any other form
 * goes through `new Date`.
 */
export function toDate(value: string, field: string): Date {
  const fast = utcSecondsForm(value);
  const date = fast === null ? new Date(value) : new Date(fast);
  if (Number.isNaN(date.getTime())) throw new FieldError(`${field} must be an ISO 8601 time (got ${JSON.stringify(value.slice(0, 40))})`);
  return date;
}

export function toDateOrNull(value: string | null | undefined, field: string): Date | null {
  return value === undefined || value === null ? null : toDate(value, field);
}
