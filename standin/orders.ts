import { fromCents, toCents } from "./money.ts";
import type { LineItem, Order, Refund } from "./types.ts";

/**
 * Order arithmetic shared by the store, the GraphQL resolvers and the webhook
 * payloads, so "total", "current total" and "refunded" agree everywhere.
 * Prices are tax-inclusive (as at a counter): the tax is the share of the
 * price, not an addition to it.
 */
export function orderTotals(lineItems: readonly LineItem[], taxRate: number) {
  const gross = lineItems.reduce((sum, line) => sum + toCents(line.price) * line.quantity, 0);
  const discounts = lineItems.reduce((sum, line) => sum + toCents(line.totalDiscount), 0);
  const subtotal = gross - discounts;
  const tax = taxRate > 0 ? Math.round(subtotal - subtotal / (1 + taxRate)) : 0;
  return {
    subtotalPrice: fromCents(subtotal),
    totalDiscounts: fromCents(discounts),
    totalTax: fromCents(tax),
    totalPrice: fromCents(subtotal),
  };
}

export function lineItemsTotal(order: Order): string {
  return fromCents(order.lineItems.reduce((sum, line) => sum + toCents(line.price) * line.quantity, 0));
}

export function refundedQuantity(order: Order, lineItemId: string): number {
  let quantity = 0;
  for (const refund of order.refunds) {
    for (const line of refund.refundLineItems) if (line.lineItemId === lineItemId) quantity += line.quantity;
  }
  return quantity;
}

export function totalRefunded(order: Order): string {
  return fromCents(order.refunds.reduce((sum, refund) => sum + toCents(refund.amount), 0));
}

/** What the order is worth now, after refunds: Shopify's `current_total_price`. */
export function currentTotalPrice(order: Order): string {
  return fromCents(Math.max(0, toCents(order.totalPrice) - toCents(totalRefunded(order))));
}

export function currentSubtotalPrice(order: Order): string {
  return fromCents(Math.max(0, toCents(order.subtotalPrice) - toCents(totalRefunded(order))));
}

export interface RefundInput {
  /** Lines to refund; omitted with `restOfOrder` refunds whatever is left. */
  lineItems?: { lineItemId: string; quantity: number }[];
  restOfOrder?: boolean;
  note?: string;
  at?: Date | string;
}

/** The refund amount of a line: its unit price after its share of the line discount. */
function lineRefundCents(line: LineItem, quantity: number): number {
  const unitNet = (toCents(line.price) * line.quantity - toCents(line.totalDiscount)) / line.quantity;
  return Math.round(unitNet * quantity);
}

export function applyRefund(
  order: Order,
  input: RefundInput & { at: string },
  ids: { refundId: string; transactionId: number; nextLineId: () => number },
): Order {
  const requested =
    input.lineItems ??
    (input.restOfOrder
      ? order.lineItems.map((line) => ({ lineItemId: line.id, quantity: line.quantity - refundedQuantity(order, line.id) }))
      : []);
  const refundLineItems = requested
    .filter((line) => line.quantity > 0)
    .map((wanted) => {
      const line = order.lineItems.find((candidate) => candidate.id === wanted.lineItemId);
      if (!line) throw new Error(`order ${order.name} has no line item ${wanted.lineItemId}`);
      const left = line.quantity - refundedQuantity(order, line.id);
      if (wanted.quantity > left) throw new Error(`cannot refund ${wanted.quantity} of ${line.title}: only ${left} left`);
      return {
        id: ids.nextLineId(),
        lineItemId: line.id,
        quantity: wanted.quantity,
        subtotal: fromCents(lineRefundCents(line, wanted.quantity)),
      };
    });
  if (refundLineItems.length === 0) throw new Error(`nothing to refund on order ${order.name}`);
  const refund: Refund = {
    id: ids.refundId,
    createdAt: input.at,
    processedAt: input.at,
    note: input.note ?? null,
    refundLineItems,
    amount: fromCents(refundLineItems.reduce((sum, line) => sum + toCents(line.subtotal), 0)),
    transactionId: ids.transactionId,
    gateway: order.gateway,
  };
  const next: Order = { ...order, refunds: [...order.refunds, refund], updatedAt: input.at };
  const everythingBack = next.lineItems.every((line) => refundedQuantity(next, line.id) >= line.quantity);
  return { ...next, financialStatus: everythingBack ? "refunded" : "partially_refunded" };
}
