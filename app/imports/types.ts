import type { Channel } from "../sync/types";

/**
 * The shapes of a CSV import of order history from another POS
 * (docs/import.md is the merchant's description of the format).
 */

/** One problem with the file, where a spreadsheet user can find it. */
export interface RowError {
  /** The line in the file (1 is the header). */
  line: number;
  /** The column's header name, or null when the problem is the whole line. */
  column: string | null;
  message: string;
}

export interface ImportItem {
  sku: string;
  quantity: number;
}

/** A row that passed validation, before it has an order id. */
export interface ImportRow {
  line: number;
  /** The `order_id` cell as written, or null when the id is derived from the row. */
  givenOrderId: string | null;
  /** Null for a guest order. */
  customerId: string | null;
  orderedAt: Date;
  /** Decimal text, normalised (no leading zeros, no trailing fraction zeros). */
  total: string;
  currency: string;
  locationId: string | null;
  channel: Channel;
  email: string | null;
  items: ImportItem[];
}

/** A validated row with the order id it is stored under. */
export interface StagedRow extends ImportRow {
  orderId: string;
}

/** What validating a row needs to know about the shop. */
export interface ShopContext {
  timezone: string;
  currency: string;
  /** Rows more than a day after this are refused (a future order is a typo). */
  now: Date;
}

export type ImportStatus = "queued" | "validating" | "importing" | "completed" | "rejected" | "failed";

export type FieldResult<T> = { ok: true; value: T } | { ok: false; message: string };
