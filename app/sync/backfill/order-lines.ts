import { z } from "zod";
import { channelOf, type SyncedLineItem, type SyncedOrder } from "../types";
import { FieldError, decimal, gidId, gidIdOrNull, idRef, orNull, shopMoney, text, toDate, toDateOrNull } from "./line-fields";

/**
 * Lines of the orders bulk file (see ORDERS_BULK_QUERY), parsed at the edge:
 * a line that does not match is a malformed file, reported with its line
 * number and the field, never a silent gap. zod checks the shape; the value
 * checks run in the mapping (see line-fields.ts for why).
 */
const orderLine = z.object({
  id: z.string(),
  name: text,
  createdAt: z.string(),
  updatedAt: z.string(),
  processedAt: text,
  cancelledAt: text,
  sourceName: text,
  currencyCode: z.string(),
  displayFinancialStatus: text,
  customer: idRef,
  retailLocation: idRef,
  physicalLocation: idRef,
  customAttributes: z.array(z.object({ key: z.string(), value: text })).nullish(),
  totalPriceSet: shopMoney,
  subtotalPriceSet: shopMoney.nullish(),
  totalDiscountsSet: shopMoney.nullish(),
  refunds: z.array(z.object({ id: z.string(), createdAt: z.string(), totalRefundedSet: shopMoney })).nullish(),
});

const lineItemLine = z.object({
  id: z.string(),
  quantity: z.number(),
  sku: text,
  title: z.string(),
  variant: idRef,
  product: idRef,
  originalUnitPriceSet: shopMoney,
  __parentId: z.string(),
});

/** A line of the bulk file that does not have the shape the query asked for. */
export class BulkLineError extends Error {
  constructor(
    readonly lineNumber: number,
    message: string,
  ) {
    super(`bulk file line ${lineNumber}: ${message}`);
    this.name = "BulkLineError";
  }
}

/** Parses with `schema`, or throws BulkLineError naming the line and the first problem. */
export function parseLine<T>(schema: z.ZodType<T>, value: unknown, lineNumber: number): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new BulkLineError(lineNumber, issue ? `${issue.path.join(".") || "line"}: ${issue.message}` : "invalid");
}

/** Runs a mapping that checks values, reporting a bad one against the line. */
export function mapLine<T>(lineNumber: number, map: () => T): T {
  try {
    return map();
  } catch (error) {
    if (error instanceof FieldError) throw new BulkLineError(lineNumber, error.message);
    throw error;
  }
}

const amountOrNull = (bag: { shopMoney: { amount: string } } | null | undefined, field: string) =>
  bag === null || bag === undefined ? null : decimal(bag.shopMoney.amount, field);

/**
 * An order line as a SyncedOrder without its line items (they follow on lines
 * of their own, naming the order's `gid`).
 */
export function parseOrderLine(value: unknown, lineNumber: number): { gid: string; order: SyncedOrder } {
  const line = parseLine(orderLine, value, lineNumber);
  return mapLine(lineNumber, () => {
    const orderId = gidId(line.id, "id");
    if (line.currencyCode.length !== 3) throw new FieldError(`currencyCode must be a 3-letter code (got ${JSON.stringify(line.currencyCode)})`);
    const createdAt = toDate(line.createdAt, "createdAt");
    const sourceName = orNull(line.sourceName);
    const status = orNull(line.displayFinancialStatus);
    const order: SyncedOrder = {
      id: orderId,
      name: orNull(line.name),
      customerId: gidIdOrNull(line.customer, "customer.id"),
      locationId: gidIdOrNull(line.retailLocation ?? line.physicalLocation, "retailLocation.id"),
      channel: channelOf(sourceName),
      sourceName,
      currency: line.currencyCode.toUpperCase(),
      totalPrice: decimal(line.totalPriceSet.shopMoney.amount, "totalPriceSet"),
      subtotalPrice: amountOrNull(line.subtotalPriceSet, "subtotalPriceSet"),
      totalDiscounts: amountOrNull(line.totalDiscountsSet, "totalDiscountsSet"),
      // REST webhooks say "partially_refunded" where GraphQL says PARTIALLY_REFUNDED: store one spelling.
      financialStatus: status === null ? null : status.toLowerCase(),
      processedAt: toDateOrNull(line.processedAt, "processedAt") ?? createdAt,
      cancelledAt: toDateOrNull(line.cancelledAt, "cancelledAt"),
      noteAttributes: (line.customAttributes ?? []).map((attribute) => ({ name: attribute.key, value: attribute.value ?? "" })),
      shopifyCreatedAt: createdAt,
      shopifyUpdatedAt: toDate(line.updatedAt, "updatedAt"),
      lineItems: [],
      refunds: (line.refunds ?? []).map((refund) => ({
        id: gidId(refund.id, "refunds.id"),
        orderId,
        amount: decimal(refund.totalRefundedSet.shopMoney.amount, "refunds.totalRefundedSet"),
        createdAt: toDate(refund.createdAt, "refunds.createdAt"),
      })),
    };
    return { gid: line.id, order };
  });
}

/** A line item line, with the order (a gid) it belongs to. */
export function parseLineItemLine(value: unknown, lineNumber: number): { parentId: string; item: SyncedLineItem } {
  const line = parseLine(lineItemLine, value, lineNumber);
  return mapLine(lineNumber, () => {
    // The column is a 4-byte integer; a larger count is a malformed line, not a database error mid-batch.
    if (!Number.isInteger(line.quantity) || Math.abs(line.quantity) > 2 ** 31 - 1) {
      throw new FieldError(`quantity must be a whole number (got ${line.quantity})`);
    }
    return {
      parentId: line.__parentId,
      item: {
        id: gidId(line.id, "id"),
        productId: gidIdOrNull(line.product, "product.id"),
        variantId: gidIdOrNull(line.variant, "variant.id"),
        sku: orNull(line.sku),
        title: line.title,
        quantity: line.quantity,
        price: decimal(line.originalUnitPriceSet.shopMoney.amount, "originalUnitPriceSet"),
      },
    };
  });
}
