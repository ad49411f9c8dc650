import { isDecimal, orNull, sumDecimals, tryGidId, utcIsoOrNull, utcMillisOrNull } from "./line-fields";
import { BulkLineError, parseLineItemLine, parseOrderLine } from "./order-lines";
import { copyRow, copyValue, lineItemRow, orderRow, refundRow, type DirectTarget } from "./stage-rows";

/**
 * Lines of the orders bulk file straight to COPY text, for the PostgreSQL
 * server path. A million orders are 3.5 million lines; going through zod
 * (which copies every object it checks), a SyncedOrder with its Date objects
 * and a row of values per record cost more CPU than the database spends
 * storing them. So the lines Shopify writes — the shape ORDERS_BULK_QUERY
 * asks for, times in UTC — are checked and written by hand here, and any line
 * this does not recognise goes through the reference path instead:
 * parseOrderLine / parseLineItemLine and the rows of stage-rows.ts, which
 * either reject it with the line number and the field, or accept it. The two
 * paths write the same bytes for every line the fast one takes (a property
 * test holds them to it: tests/unit/backfill-order-rows.test.ts).
 */

export interface EncodedOrder {
  /** The order's global id, which its line items name as `__parentId`. */
  gid: string;
  id: string;
  /** The bf_order row. */
  row: string;
  /** The bf_refund rows, if any, and how many. */
  refunds: string;
  refundCount: number;
}

export interface EncodedLineItem {
  id: string;
  /** The bf_line_item row. */
  row: string;
}

/** The order a line item line must belong to: the last order line read. */
export interface ParentOrder {
  gid: string;
  id: string;
}

const NULL = "\\N";
const INT_MAX = 2 ** 31 - 1;

/** An order's values once checked, as the bf_order row holds them (before COPY escaping). */
interface OrderFields {
  id: string;
  name: string | null;
  customerId: string | null;
  locationId: string | null;
  sourceName: string | null;
  /** As the line has it; upper-cased here. */
  currency: string;
  total: string;
  subtotal: string | null;
  discounts: string | null;
  refunded: string;
  /** As the line has it; lower-cased here. */
  status: string | null;
  processed: string;
  cancelled: string | null;
  /** The note attributes as JSON. */
  notes: string;
  created: string;
  updated: string;
}

/** The refunds of an order once checked: their bf_refund rows, and the sum of their amounts. */
interface RefundRows {
  rows: string;
  count: number;
  total: string;
}

const NO_REFUNDS: RefundRows = { rows: "", count: 0, total: "0" };

/** A line item's values once checked, as the bf_line_item row holds them (before COPY escaping). */
interface LineItemFields {
  id: string;
  productId: string | null;
  variantId: string | null;
  sku: string | null;
  title: string;
  quantity: number;
  price: string;
}

/** Writes the rows of checked values for one shop and source. */
class RowWriter {
  private readonly shop: string;
  private readonly source: string;

  constructor(readonly target: DirectTarget) {
    this.shop = copyValue(target.shop);
    this.source = copyValue(target.source);
  }

  order(order: OrderFields): string {
    // Money and times were checked to their forms (digits, '-', '.', ':', 'T', 'Z'): nothing to escape.
    return (
      `${this.shop}\t${copyValue(order.id)}\t${copyValue(order.name)}\t${copyValue(order.customerId)}\t${copyValue(order.locationId)}` +
      `\t${order.sourceName === "pos" ? "pos" : "web"}\t${copyValue(order.sourceName)}\t${copyValue(order.currency.toUpperCase())}` +
      `\t${order.total}\t${order.subtotal ?? NULL}\t${order.discounts ?? NULL}\t${order.refunded}` +
      `\t${copyValue(order.status === null ? null : order.status.toLowerCase())}\t${order.processed}\t${order.cancelled ?? NULL}` +
      `\t${copyValue(order.notes)}\t${order.created}\t${order.updated}\t${this.source}\tnow\n`
    );
  }

  refund(id: string, orderId: string, amount: string, createdAtMillis: number): string {
    return `${copyValue(id)}\t${copyValue(orderId)}\t${amount}\t${createdAtMillis}\n`;
  }

  lineItem(parent: ParentOrder, item: LineItemFields): string {
    return (
      `${this.shop}\t${copyValue(parent.id)}\t${copyValue(item.id)}\t${copyValue(item.productId)}\t${copyValue(item.variantId)}` +
      `\t${copyValue(item.sku)}\t${copyValue(item.title)}\t${String(item.quantity)}\t${item.price}\n`
    );
  }
}

/** The note attributes as the reference path stores them. */
function noteAttributesJson(attributes: readonly { key: string; value: string | null }[]): string {
  return attributes.length === 0 ? "[]" : JSON.stringify(attributes.map((attribute) => ({ name: attribute.key, value: attribute.value ?? "" })));
}

function isWholeQuantity(quantity: number): boolean {
  return Number.isInteger(quantity) && Math.abs(quantity) <= INT_MAX;
}

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// Each reader returns `undefined` for a value the fast path does not take.

/** A string, or null when missing; `""` stays `""`. */
function nullableText(value: unknown): string | null | undefined {
  if (typeof value === "string") return value;
  return value === null || value === undefined ? null : undefined;
}

function gid(value: unknown): string | undefined {
  return typeof value === "string" ? (tryGidId(value) ?? undefined) : undefined;
}

/** `{ id: gid }` or missing. */
function reference(value: unknown): string | null | undefined {
  if (value === null || value === undefined) return null;
  return isFields(value) ? gid(value.id) : undefined;
}

/** `{ shopMoney: { amount } }` with a decimal amount. */
function money(value: unknown): string | undefined {
  if (!isFields(value) || !isFields(value.shopMoney)) return undefined;
  const amount = value.shopMoney.amount;
  return typeof amount === "string" && isDecimal(amount) ? amount : undefined;
}

function moneyOrNull(value: unknown): string | null | undefined {
  return value === null || value === undefined ? null : money(value);
}

function time(value: unknown): string | undefined {
  return typeof value === "string" ? (utcIsoOrNull(value) ?? undefined) : undefined;
}

function timeOrNull(value: unknown): string | null | undefined {
  return value === null || value === undefined ? null : time(value);
}

function noteAttributes(value: unknown): string | undefined {
  if (value === null || value === undefined) return "[]";
  if (!Array.isArray(value)) return undefined;
  const attributes: { key: string; value: string | null }[] = [];
  for (const attribute of value) {
    if (!isFields(attribute) || typeof attribute.key !== "string") return undefined;
    const text = nullableText(attribute.value);
    if (text === undefined) return undefined;
    attributes.push({ key: attribute.key, value: text });
  }
  return noteAttributesJson(attributes);
}

/*
 * Shopify's own lines, as text. Shopify writes each line with the fields in
 * the order the query selects them (ORDERS_BULK_QUERY), no spaces,
 * `__parentId` last. A regular expression that matches exactly that form —
 * strings with nothing to unescape, whole numbers written plainly, ids and
 * amounts in their checked forms — reads a line several times faster than
 * JSON.parse and the checks above (V8 compiles it to machine code): it took
 * the importer's CPU for a million orders from ~12 s to ~7.5 s. A line it
 * matches means exactly what JSON.parse would make of it, and is written from
 * the same values; any other line (another field order, an escape, a space)
 * is parsed as JSON. tests/unit/backfill-order-rows.test.ts holds the two
 * paths to the same output.
 */
const PLAIN = String.raw`[^"\\\u0000-\u001f]*`;
const TEXT = `"(${PLAIN})"`;
const NULLABLE_TEXT = `(?:null|${TEXT})`;
const GID = String.raw`gid://shopify/[A-Za-z]+/(\d+)`;
const REFERENCE = String.raw`(?:null|\{"id":"${GID}"\})`;
const MONEY = String.raw`\{"shopMoney":\{"amount":"(-?\d+(?:\.\d+)?)"\}\}`;
const NULLABLE_MONEY = `(?:null|${MONEY})`;
const ATTRIBUTE = String.raw`\{"key":"${PLAIN}","value":(?:null|"${PLAIN}")\}`;
const REFUND = String.raw`\{"id":"${PLAIN}","createdAt":"${PLAIN}","totalRefundedSet":\{"shopMoney":\{"amount":"${PLAIN}"\}\}\}`;
/** A list, captured whole (its few items are read by JSON.parse). */
const LIST = (item: string) => String.raw`(null|\[\]|\[${item}(?:,${item})*\])`;

const LINE_ITEM_LINE = new RegExp(
  String.raw`^\{"id":"${GID}","quantity":(0|-?[1-9]\d{0,8}),"sku":${NULLABLE_TEXT},"title":${TEXT},"variant":${REFERENCE},"product":${REFERENCE},` +
    String.raw`"originalUnitPriceSet":${MONEY},"__parentId":${TEXT}\}$`,
);
const enum ItemGroup { Id = 1, Quantity, Sku, Title, Variant, Product, Price, Parent }

const ORDER_LINE = new RegExp(
  String.raw`^\{"id":"(${GID})","name":${NULLABLE_TEXT},"createdAt":${TEXT},"updatedAt":${TEXT},"processedAt":${NULLABLE_TEXT},` +
    String.raw`"cancelledAt":${NULLABLE_TEXT},"sourceName":${NULLABLE_TEXT},"currencyCode":${TEXT},"displayFinancialStatus":${NULLABLE_TEXT},` +
    String.raw`"customer":${REFERENCE},"retailLocation":${REFERENCE},"physicalLocation":${REFERENCE},"customAttributes":${LIST(ATTRIBUTE)},` +
    String.raw`"totalPriceSet":${MONEY},"subtotalPriceSet":${NULLABLE_MONEY},"totalDiscountsSet":${NULLABLE_MONEY},"refunds":${LIST(REFUND)}\}$`,
);
const enum OrderGroup {
  Gid = 1, Id, Name, Created, Updated, Processed, Cancelled, SourceName, Currency, Status, Customer, RetailLocation,
  PhysicalLocation, Attributes, Total, Subtotal, Discounts, Refunds,
}

/** A time in one of Shopify's UTC forms; undefined when missing or in another form. */
const textTime = (text: string | undefined) => (text === undefined ? undefined : (utcIsoOrNull(text) ?? undefined));

/** Encodes bulk-file lines for one shop and source; the rows can go straight into "Order" and "LineItem". */
export class OrderLineEncoder {
  private readonly rows: RowWriter;
  /** Lines that went through the reference path (for tests and diagnostics: Shopify's own lines never should). */
  referenceLines = 0;

  constructor(private readonly target: DirectTarget) {
    this.rows = new RowWriter(target);
  }

  /** An order line; throws BulkLineError when the line is malformed. */
  order(value: unknown, lineNumber: number): EncodedOrder {
    return this.fastOrder(value) ?? this.referenceOrder(value, lineNumber);
  }

  /** A line item line of `parent`; throws BulkLineError when malformed or when it names another order. */
  lineItem(value: unknown, lineNumber: number, parent: ParentOrder | null): EncodedLineItem {
    return (parent && this.fastLineItem(value, parent)) ?? this.referenceLineItem(value, lineNumber, parent);
  }

  /** An order line in Shopify's own form, read without JSON.parse; null for any other line. */
  orderText(line: string): EncodedOrder | null {
    const match = ORDER_LINE.exec(line);
    if (match === null) return null;
    const [gid, id, currency] = [match[OrderGroup.Gid], match[OrderGroup.Id], match[OrderGroup.Currency]];
    const created = textTime(match[OrderGroup.Created]);
    const updated = textTime(match[OrderGroup.Updated]);
    const processed = match[OrderGroup.Processed] === undefined ? null : textTime(match[OrderGroup.Processed]);
    const cancelled = match[OrderGroup.Cancelled] === undefined ? null : textTime(match[OrderGroup.Cancelled]);
    const total = match[OrderGroup.Total];
    if (
      gid === undefined || id === undefined || currency === undefined || currency.length !== 3 || created === undefined || updated === undefined ||
      processed === undefined || cancelled === undefined || total === undefined
    ) {
      return null;
    }
    const attributes = match[OrderGroup.Attributes] ?? "null";
    const notes = attributes === "null" || attributes === "[]" ? "[]" : noteAttributes(JSON.parse(attributes));
    const refundList = match[OrderGroup.Refunds] ?? "null";
    const refunds = refundList === "null" || refundList === "[]" ? NO_REFUNDS : this.fastRefunds(JSON.parse(refundList), id);
    if (notes === undefined || refunds === null) return null;
    const row = this.rows.order({
      id,
      name: orNull(match[OrderGroup.Name]),
      customerId: match[OrderGroup.Customer] ?? null,
      locationId: match[OrderGroup.RetailLocation] ?? match[OrderGroup.PhysicalLocation] ?? null,
      sourceName: orNull(match[OrderGroup.SourceName]),
      currency,
      total,
      subtotal: match[OrderGroup.Subtotal] ?? null,
      discounts: match[OrderGroup.Discounts] ?? null,
      refunded: refunds.total,
      status: orNull(match[OrderGroup.Status]),
      processed: processed ?? created,
      cancelled,
      notes,
      created,
      updated,
    });
    return { gid, id, row, refunds: refunds.rows, refundCount: refunds.count };
  }

  /** A line item line of `parent` in Shopify's own form, read without JSON.parse; null for any other line. */
  lineItemText(line: string, parent: ParentOrder): EncodedLineItem | null {
    const match = LINE_ITEM_LINE.exec(line);
    if (match === null || match[ItemGroup.Parent] !== parent.gid) return null;
    const [id, quantity, title, price] = [match[ItemGroup.Id], match[ItemGroup.Quantity], match[ItemGroup.Title], match[ItemGroup.Price]];
    if (id === undefined || quantity === undefined || title === undefined || price === undefined) return null;
    const item = {
      id,
      productId: match[ItemGroup.Product] ?? null,
      variantId: match[ItemGroup.Variant] ?? null,
      sku: orNull(match[ItemGroup.Sku]),
      title,
      quantity: Number(quantity),
      price,
    };
    return { id, row: this.rows.lineItem(parent, item) };
  }

  private fastOrder(line: unknown): EncodedOrder | null {
    if (!isFields(line) || typeof line.id !== "string") return null;
    const id = gid(line.id);
    const name = nullableText(line.name);
    const created = time(line.createdAt);
    const updated = time(line.updatedAt);
    const processed = timeOrNull(line.processedAt);
    const cancelled = timeOrNull(line.cancelledAt);
    const sourceName = nullableText(line.sourceName);
    const currency = line.currencyCode;
    const status = nullableText(line.displayFinancialStatus);
    const customerId = reference(line.customer);
    const retailLocation = reference(line.retailLocation);
    const physicalLocation = reference(line.physicalLocation);
    const notes = noteAttributes(line.customAttributes);
    const total = money(line.totalPriceSet);
    const subtotal = moneyOrNull(line.subtotalPriceSet);
    const discounts = moneyOrNull(line.totalDiscountsSet);
    if (
      id === undefined || name === undefined || created === undefined || updated === undefined || processed === undefined ||
      cancelled === undefined || sourceName === undefined || typeof currency !== "string" || currency.length !== 3 ||
      status === undefined || customerId === undefined || retailLocation === undefined || physicalLocation === undefined ||
      notes === undefined || total === undefined || subtotal === undefined || discounts === undefined
    ) {
      return null;
    }
    const refunds = this.fastRefunds(line.refunds, id);
    if (refunds === null) return null;
    const row = this.rows.order({
      id,
      name: orNull(name),
      customerId,
      locationId: retailLocation ?? physicalLocation,
      sourceName: orNull(sourceName),
      currency,
      total,
      subtotal,
      discounts,
      refunded: refunds.total,
      status: orNull(status),
      processed: processed ?? created,
      cancelled,
      notes,
      created,
      updated,
    });
    return { gid: line.id, id, row, refunds: refunds.rows, refundCount: refunds.count };
  }

  private fastRefunds(value: unknown, orderId: string): RefundRows | null {
    if (value === null || value === undefined) return NO_REFUNDS;
    if (!Array.isArray(value)) return null;
    if (value.length === 0) return NO_REFUNDS;
    const amounts: string[] = [];
    let rows = "";
    for (const refund of value) {
      if (!isFields(refund)) return null;
      const id = gid(refund.id);
      const amount = money(refund.totalRefundedSet);
      const createdAt = typeof refund.createdAt === "string" ? utcMillisOrNull(refund.createdAt) : null;
      if (id === undefined || amount === undefined || createdAt === null) return null;
      rows += this.rows.refund(id, orderId, amount, createdAt);
      amounts.push(amount);
    }
    return { rows, count: value.length, total: sumDecimals(amounts) };
  }

  private referenceOrder(value: unknown, lineNumber: number): EncodedOrder {
    this.referenceLines += 1;
    const { gid, order } = parseOrderLine(value, lineNumber);
    const refunds = order.refunds.map((refund) => copyRow(refundRow(refund))).join("");
    return { gid, id: order.id, row: copyRow(orderRow(order, this.target)), refunds, refundCount: order.refunds.length };
  }

  private fastLineItem(line: unknown, parent: ParentOrder): EncodedLineItem | null {
    if (!isFields(line) || line.__parentId !== parent.gid) return null;
    const id = gid(line.id);
    const quantity = line.quantity;
    const sku = nullableText(line.sku);
    const title = line.title;
    const variantId = reference(line.variant);
    const productId = reference(line.product);
    const price = money(line.originalUnitPriceSet);
    if (
      id === undefined || typeof quantity !== "number" || !isWholeQuantity(quantity) || sku === undefined || typeof title !== "string" ||
      variantId === undefined || productId === undefined || price === undefined
    ) {
      return null;
    }
    return { id, row: this.rows.lineItem(parent, { id, productId, variantId, sku: orNull(sku), title, quantity, price }) };
  }

  private referenceLineItem(value: unknown, lineNumber: number, parent: ParentOrder | null): EncodedLineItem {
    this.referenceLines += 1;
    const { parentId, item } = parseLineItemLine(value, lineNumber);
    if (parent === null || parentId !== parent.gid) throw notFollowingItsOrder(lineNumber, item.id, parentId);
    return { id: item.id, row: copyRow(lineItemRow(parent.id, item, this.target)) };
  }
}

export function notFollowingItsOrder(lineNumber: number, itemId: string, parentId: string): BulkLineError {
  return new BulkLineError(lineNumber, `line item ${itemId} of ${parentId} does not follow its order (the file must group children under their parent)`);
}
