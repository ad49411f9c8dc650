import { fromCents } from "../../standin/money";
import type { SyncedCustomer, SyncedOrder } from "../sync/types";
import type { SimOrder } from "./history";
import type { SimCustomer } from "./population";
import type { Simulation } from "./simulate";

/**
 * A simulated order or customer as it stands at the end of the window, in the
 * shape every sync source produces (`app/sync/types.ts`), so a test can write
 * a simulated cafe straight through the sync writer.
 */

export function toSyncedOrder(sim: Simulation, order: SimOrder): SyncedOrder {
  const customer = order.customerIndex === null ? undefined : sim.customers[order.customerIndex];
  const location = order.locationIndex === null ? undefined : sim.locations[order.locationIndex];
  const refunds = [order.refund, order.cancellation?.refund].filter((refund) => refund !== null && refund !== undefined);
  const changedAt = Math.max(order.at, order.fulfilledAt ?? 0, order.refund?.at ?? 0, order.cancellation?.at ?? 0);
  return {
    id: order.id,
    name: `#${order.number}`,
    customerId: customer?.id ?? null,
    locationId: location?.id ?? null,
    channel: order.channel,
    sourceName: order.channel,
    currency: sim.settings.currency,
    totalPrice: fromCents(order.totalCents),
    subtotalPrice: fromCents(order.totalCents),
    totalDiscounts: fromCents(order.discountCents),
    financialStatus: order.cancellation ? "refunded" : order.refund ? "partially_refunded" : "paid",
    processedAt: new Date(order.at),
    cancelledAt: order.cancellation ? new Date(order.cancellation.at) : null,
    noteAttributes: order.pickupAt ? [{ name: "pickup_at", value: order.pickupAt }] : [],
    shopifyCreatedAt: new Date(order.at),
    shopifyUpdatedAt: new Date(changedAt),
    lineItems: order.lines.map((entry) => ({
      id: entry.id,
      productId: entry.item.productId,
      variantId: entry.item.variantId,
      sku: entry.item.sku,
      title: entry.item.title,
      quantity: entry.quantity,
      price: entry.item.price,
    })),
    refunds: refunds.map((refund) => ({ id: refund.id, orderId: order.id, amount: fromCents(refund.amountCents), createdAt: new Date(refund.at) })),
  };
}

export function toSyncedCustomer(customer: SimCustomer, until: number): SyncedCustomer {
  const joined = customer.memberSince !== null && customer.memberSince <= until;
  return {
    id: customer.id,
    email: customer.email,
    phone: customer.phone,
    firstName: customer.firstName,
    lastName: customer.lastName,
    emailMarketingState: customer.emailConsent.toUpperCase(),
    emailMarketingAt: customer.emailConsent === "subscribed" ? new Date(customer.createdAt) : null,
    smsMarketingState: customer.smsConsent?.toUpperCase() ?? null,
    smsMarketingAt: customer.smsConsent === "subscribed" ? new Date(customer.createdAt) : null,
    tags: joined ? ["member"] : [],
    shopifyCreatedAt: new Date(customer.createdAt),
    shopifyUpdatedAt: new Date(Math.max(customer.createdAt, joined && customer.memberSince !== null ? customer.memberSince : 0)),
  };
}
