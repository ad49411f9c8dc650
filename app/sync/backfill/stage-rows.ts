import { sumDecimals } from "./line-fields";
import type { SyncSource, SyncedCustomer, SyncedLineItem, SyncedOrder, SyncedRefund } from "../types";

/**
 * Records as rows of the staging tables (see staging.server.ts).
 *
 * Order rows are laid out exactly as the "Order" table's columns, in the
 * text its types read (times as ISO 8601 UTC, money as decimals), so the same
 * bytes can go either into the staging table, to be merged, or straight into
 * "Order" when every order of a batch is new (see writeNewOrders). Line item
 * rows likewise match "LineItem". The other tables stay all text, cast once in
 * the merge; their times travel as milliseconds since the epoch.
 *
 * A record is encoded as soon as it is complete, so a batch waiting for its
 * transaction is a few long strings rather than millions of small objects —
 * which keeps the garbage collector out of the way on files of millions of lines.
 */
export type StageValue = string | null;

/**
 * How rows reach the staging tables: COPY … FROM STDIN on a PostgreSQL server,
 * a parameterised INSERT … SELECT FROM unnest(…) on the embedded database.
 */
export type StageMode = "copy" | "insert";

/** Where rows that may skip the staging tables are going: they carry the shop and the source themselves. */
export interface DirectTarget {
  shop: string;
  source: SyncSource;
}

const TIME = "timestamp(3)";
const MONEY = "numeric(18,4)";

/** Columns of the staging tables with their types, in row order. */
export const STAGE_TABLES = {
  // "Order"'s columns, in the order of ORDER_COLUMNS. Shop, source, the row's
  // updatedAt and the refunded total (the sum of the order's refunds in the
  // file) are only read when the rows go straight into "Order" (whose
  // createdAt then takes its default, now()); the merge takes them from its
  // parameters and the Refund rows.
  bf_order: [
    ["shop", "text"], ["id", "text"], ["name", "text"], ["customer_id", "text"], ["location_id", "text"], ["channel", "text"],
    ["source_name", "text"], ["currency", "text"], ["total_price", MONEY], ["subtotal_price", MONEY], ["total_discounts", MONEY],
    ["refunded_amount", MONEY], ["financial_status", "text"], ["processed_at", TIME], ["cancelled_at", TIME], ["note_attributes", "jsonb"],
    ["shopify_created_at", TIME], ["shopify_updated_at", TIME], ["source", "text"], ["updated_at", TIME],
  ],
  // The shop leads so that the same rows can go straight into "LineItem" (see mergeOrders).
  bf_line_item: [
    ["shop", "text"], ["order_id", "text"], ["id", "text"], ["product_id", "text"], ["variant_id", "text"], ["sku", "text"],
    ["title", "text"], ["quantity", "text"], ["price", "text"],
  ],
  bf_refund: [["id", "text"], ["order_id", "text"], ["amount", "text"], ["created_at", "text"]],
  bf_customer: [
    ["id", "text"], ["email", "text"], ["phone", "text"], ["first_name", "text"], ["last_name", "text"], ["email_marketing_state", "text"],
    ["email_marketing_at", "text"], ["sms_marketing_state", "text"], ["sms_marketing_at", "text"], ["tags", "text"],
    ["shopify_created_at", "text"], ["shopify_updated_at", "text"],
  ],
  // The orders a batch wrote (merge: from its RETURNING; all new: the batch's ids).
  bf_written: [["id", "text"], ["inserted", "boolean"]],
  // The refunded totals the merge recomputed (not rows of the file).
  bf_refunded: [["id", "text"], ["total", "numeric"]],
} as const satisfies Record<string, readonly (readonly [string, string])[]>;

export type StageTable = keyof typeof STAGE_TABLES;

const names = (columns: readonly (readonly [string, string])[]) => columns.map(([name]) => name);

/** Column names of each staging table, in row order. */
export const STAGE_COLUMNS: Record<StageTable, string[]> = {
  bf_order: names(STAGE_TABLES.bf_order),
  bf_line_item: names(STAGE_TABLES.bf_line_item),
  bf_refund: names(STAGE_TABLES.bf_refund),
  bf_customer: names(STAGE_TABLES.bf_customer),
  bf_written: names(STAGE_TABLES.bf_written),
  bf_refunded: names(STAGE_TABLES.bf_refunded),
};

/** "Order"'s columns as bf_order rows hold them. */
export const ORDER_COLUMNS = [
  "shop", "id", "name", '"customerId"', '"locationId"', "channel", '"sourceName"', "currency", '"totalPrice"', '"subtotalPrice"',
  '"totalDiscounts"', '"refundedAmount"', '"financialStatus"', '"processedAt"', '"cancelledAt"', '"noteAttributes"', '"shopifyCreatedAt"',
  '"shopifyUpdatedAt"', "source", '"updatedAt"',
];

/** "LineItem"'s columns as bf_line_item rows hold them. */
export const LINE_ITEM_COLUMNS = ["shop", '"orderId"', "id", '"productId"', '"variantId"', "sku", "title", "quantity", "price"];

/** PostgreSQL reads this as the transaction's start time, as `now()`: what the merge writes as updatedAt. */
const NOW = "now";

/** One staging table's rows, ready to send. */
export type StagePayload =
  | { table: StageTable; rows: number; kind: "copy"; pieces: Buffer[] }
  | { table: StageTable; rows: number; kind: "insert"; columns: StageValue[][] };

/**
 * COPY text is built a row at a time by string concatenation, which V8 keeps
 * as a tree of the small strings it joined; turning each piece into bytes
 * early lets those die young instead of being promoted and traced by the GC.
 */
const PIECE_SIZE = 1 << 14;

/** Accumulates one staging table's rows in the form the mode sends them in. */
export class StageBuffer {
  private rows = 0;
  private pieces: Buffer[] = [];
  private piece = "";
  private columns: StageValue[][];

  constructor(
    readonly table: StageTable,
    readonly mode: StageMode,
  ) {
    this.columns = this.emptyColumns();
  }

  add(values: readonly StageValue[]): void {
    if (this.mode === "insert") {
      this.rows += 1;
      for (let i = 0; i < values.length; i++) this.columns[i]?.push(values[i] ?? null);
      return;
    }
    this.addText(copyRow(values));
  }

  /** Rows already in COPY text (`copy` mode only): one or more lines, each ending in a newline. */
  addText(text: string, rows = 1): void {
    if (this.mode !== "copy") throw new Error(`${this.table} takes COPY text only in copy mode`);
    this.rows += rows;
    this.piece += text;
    if (this.piece.length >= PIECE_SIZE) {
      this.pieces.push(Buffer.from(this.piece));
      this.piece = "";
    }
  }

  /** The rows added so far; the buffer starts empty again. */
  take(): StagePayload {
    const rows = this.rows;
    this.rows = 0;
    if (this.mode === "insert") {
      const columns = this.columns;
      this.columns = this.emptyColumns();
      return { table: this.table, rows, kind: "insert", columns };
    }
    if (this.piece.length > 0) this.pieces.push(Buffer.from(this.piece));
    const pieces = this.pieces;
    this.pieces = [];
    this.piece = "";
    return { table: this.table, rows, kind: "copy", pieces };
  }

  private emptyColumns(): StageValue[][] {
    return this.mode === "insert" ? STAGE_COLUMNS[this.table].map(() => []) : [];
  }
}

const epochMs = (date: Date | null): StageValue => (date === null ? null : String(date.getTime()));
const isoTime = (date: Date | null): StageValue => (date === null ? null : date.toISOString());

export interface OrderBuffers {
  bf_order: StageBuffer;
  bf_line_item: StageBuffer;
  bf_refund: StageBuffer;
}

/** The bf_order row of an order (its line items and refunds are rows of their own). */
export function orderRow(order: SyncedOrder, target: DirectTarget | null): StageValue[] {
  return [
    target?.shop ?? null,
    order.id,
    order.name,
    order.customerId,
    order.locationId,
    order.channel,
    order.sourceName,
    order.currency,
    order.totalPrice,
    order.subtotalPrice,
    order.totalDiscounts,
    sumDecimals(order.refunds.map((refund) => refund.amount)),
    order.financialStatus,
    isoTime(order.processedAt),
    isoTime(order.cancelledAt),
    JSON.stringify(order.noteAttributes),
    isoTime(order.shopifyCreatedAt),
    isoTime(order.shopifyUpdatedAt),
    target?.source ?? null,
    NOW,
  ];
}

export function lineItemRow(orderId: string, item: SyncedLineItem, target: DirectTarget | null): StageValue[] {
  return [target?.shop ?? null, orderId, item.id, item.productId, item.variantId, item.sku, item.title, String(item.quantity), item.price];
}

/**
 * An order's rows. With a `target` (shop and source) they can also go straight
 * into "Order" and "LineItem" (see mergeOrders and writeNewOrders); without
 * one, only through the staging tables, where the merge supplies both.
 */
export function addOrderRows(buffers: OrderBuffers, order: SyncedOrder, target: DirectTarget | null = null): void {
  buffers.bf_order.add(orderRow(order, target));
  for (const item of order.lineItems) buffers.bf_line_item.add(lineItemRow(order.id, item, target));
  for (const refund of order.refunds) buffers.bf_refund.add(refundRow(refund));
}

export function refundRow(refund: SyncedRefund): StageValue[] {
  return [refund.id, refund.orderId, refund.amount, epochMs(refund.createdAt)];
}

export function addCustomerRow(buffer: StageBuffer, customer: SyncedCustomer): void {
  buffer.add([
    customer.id,
    customer.email,
    customer.phone,
    customer.firstName,
    customer.lastName,
    customer.emailMarketingState,
    epochMs(customer.emailMarketingAt),
    customer.smsMarketingState,
    epochMs(customer.smsMarketingAt),
    arrayLiteral(customer.tags),
    epochMs(customer.shopifyCreatedAt),
    epochMs(customer.shopifyUpdatedAt),
  ]);
}

/** A PostgreSQL array literal of text elements, each quoted: `{"a","b \"c\""}`. */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/[\\"]/g, "\\$&")}"`).join(",")}}`;
}

const COPY_SPECIAL = /[\\\n\r\t]/;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/** One value in COPY's text format: `\N` for null; backslash, tab and line breaks escaped. */
export function copyValue(value: StageValue): string {
  if (value === null) return "\\N";
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\n\r\t]/g, (c) => COPY_ESCAPES[c] ?? c) : value;
}

/** One row in COPY's text format, newline included. */
export function copyRow(values: readonly StageValue[]): string {
  let line = copyValue(values[0] ?? null);
  for (let i = 1; i < values.length; i++) line += `\t${copyValue(values[i] ?? null)}`;
  return `${line}\n`;
}
