import type { SyncedCustomer, SyncedOrder } from "../types";

/**
 * Records as rows of the staging tables (see staging.server.ts). Every staging
 * column is text: the database casts once, in the merge, whichever way the
 * rows arrived. Times travel as milliseconds since the epoch: exact, and far
 * cheaper to write than ISO strings a million times over.
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

/** Column lists of the staging tables, in row order. */
export const STAGE_COLUMNS = {
  bf_order: [
    "id", "name", "customer_id", "location_id", "channel", "source_name", "currency", "total_price", "subtotal_price",
    "total_discounts", "financial_status", "processed_at", "cancelled_at", "note_attributes", "shopify_created_at",
    "shopify_updated_at",
  ],
  // The shop leads so that the same rows can go straight into "LineItem" (see mergeOrders).
  bf_line_item: ["shop", "order_id", "id", "product_id", "variant_id", "sku", "title", "quantity", "price"],
  bf_refund: ["id", "order_id", "amount", "created_at"],
  bf_customer: [
    "id", "email", "phone", "first_name", "last_name", "email_marketing_state", "email_marketing_at", "sms_marketing_state",
    "sms_marketing_at", "tags", "shopify_created_at", "shopify_updated_at",
  ],
} as const;

export type StageTable = keyof typeof STAGE_COLUMNS;

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
    this.rows += 1;
    if (this.mode === "insert") {
      for (let i = 0; i < values.length; i++) this.columns[i]?.push(values[i] ?? null);
      return;
    }
    let line = copyValue(values[0] ?? null);
    for (let i = 1; i < values.length; i++) line += `\t${copyValue(values[i] ?? null)}`;
    this.piece += `${line}\n`;
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

export interface OrderBuffers {
  bf_order: StageBuffer;
  bf_line_item: StageBuffer;
  bf_refund: StageBuffer;
}

/**
 * `shop` leads each line item row; it is needed only when the rows go straight
 * into "LineItem" (mergeOrders with `lineItems`), the staged path takes the shop from the merge.
 */
export function addOrderRows(buffers: OrderBuffers, order: SyncedOrder, shop: string | null = null): void {
  buffers.bf_order.add([
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
    order.financialStatus,
    epochMs(order.processedAt),
    epochMs(order.cancelledAt),
    JSON.stringify(order.noteAttributes),
    epochMs(order.shopifyCreatedAt),
    epochMs(order.shopifyUpdatedAt),
  ]);
  for (const item of order.lineItems) {
    buffers.bf_line_item.add([shop, order.id, item.id, item.productId, item.variantId, item.sku, item.title, String(item.quantity), item.price]);
  }
  for (const refund of order.refunds) buffers.bf_refund.add([refund.id, refund.orderId, refund.amount, epochMs(refund.createdAt)]);
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
