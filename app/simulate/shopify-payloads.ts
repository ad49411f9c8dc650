import { gid } from "../../standin/ids";
import { applyRefund, orderTotals } from "../../standin/orders";
import { StandinStore, type ShopState } from "../../standin/store";
import { emailConsent, smsConsent, titleCase } from "../../standin/store-inputs";
import { isoSeconds } from "../../standin/time";
import type { Customer, LineItem, Order } from "../../standin/types";
import { customerWebhookPayload, orderWebhookPayload, refundWebhookPayload, type JsonObject } from "../../standin/webhooks/payloads";
import { fromCents } from "../../standin/money";
import { assertNever } from "../lib/assert-never";
import type { SimEvent } from "./events";
import type { SimOrder, SimRefund } from "./history";
import type { SimCustomer } from "./population";
import type { Simulation } from "./simulate";

/**
 * Webhook bodies for simulated events, built by the stand-in's own payload
 * builders so the simulator and the stand-in send byte-compatible REST
 * payloads. Each body shows the resource as it was when the event happened:
 * an orders/create carries no later refund, a customer is tagged "member"
 * only from the moment they joined.
 */

const TAX_RATE = 0.2;
const shops = new WeakMap<Simulation, ShopState>();

export function eventPayload(sim: Simulation, event: SimEvent): JsonObject {
  const subject = event.subject;
  switch (subject.kind) {
    case "customer": {
      const customer = simCustomer(sim, subject.index);
      return customerWebhookPayload(shopWith(sim, customerAt(customer, event.at)), customerAt(customer, event.at));
    }
    case "order": {
      const order = simOrder(sim, subject.index);
      return orderWebhookPayload(shopFor(sim, order, event.at), orderAt(sim, order, event.at));
    }
    case "refund": {
      const order = simOrder(sim, subject.index);
      const version = orderAt(sim, order, event.at);
      const refund = version.refunds.find((candidate) => candidate.id === gid("Refund", Number(subject.refundId)));
      if (!refund) throw new Error(`order ${order.id} has no refund ${subject.refundId} at ${new Date(event.at).toISOString()}`);
      return refundWebhookPayload(shopFor(sim, order, event.at), version, refund);
    }
    default:
      return assertNever(subject, "event subject");
  }
}

/** The customer record at a moment: tagged once they joined the membership. */
export function customerAt(customer: SimCustomer, at: number): Customer {
  const joined = customer.memberSince !== null && customer.memberSince <= at;
  const createdAt = isoSeconds(new Date(customer.createdAt));
  return {
    id: gid("Customer", Number(customer.id)),
    email: customer.email,
    phone: customer.phone,
    firstName: customer.firstName,
    lastName: customer.lastName,
    createdAt,
    updatedAt: joined && customer.memberSince !== null ? isoSeconds(new Date(Math.max(customer.memberSince, customer.createdAt))) : createdAt,
    state: "disabled",
    note: null,
    verifiedEmail: true,
    locale: "en",
    tags: joined ? ["member"] : [],
    emailMarketingConsent: emailConsent(customer.emailConsent, true, createdAt),
    smsMarketingConsent: smsConsent(customer.smsConsent, customer.phone !== null, createdAt),
  };
}

/** The order at a moment: created, then collected, refunded or voided as those happened. */
export function orderAt(sim: Simulation, order: SimOrder, at: number): Order {
  const customer = order.customerIndex === null ? null : simCustomer(sim, order.customerIndex);
  const location = order.locationIndex === null ? undefined : sim.locations[order.locationIndex];
  const placed = isoSeconds(new Date(order.at));
  const lineItems: LineItem[] = order.lines.map((entry) => ({
    id: gid("LineItem", Number(entry.id)),
    title: entry.item.title,
    variantTitle: entry.item.variantTitle ?? null,
    quantity: entry.quantity,
    sku: entry.item.sku,
    vendor: titleCase(sim.settings.shop.replace(/\.myshopify\.com$/, "")),
    variantId: gid("ProductVariant", Number(entry.item.variantId)),
    productId: gid("Product", Number(entry.item.productId)),
    price: entry.item.price,
    totalDiscount: fromCents(entry.discountCents),
  }));
  let version: Order = {
    id: gid("Order", Number(order.id)),
    name: `#${order.number}`,
    orderNumber: order.number,
    email: customer?.email ?? null,
    createdAt: placed,
    processedAt: placed,
    updatedAt: placed,
    cancelledAt: null,
    cancelReason: null,
    closedAt: order.channel === "pos" ? placed : null,
    currency: sim.settings.currency,
    ...orderTotals(lineItems, TAX_RATE),
    taxesIncluded: true,
    sourceName: order.channel,
    locationId: location ? gid("Location", Number(location.id)) : null,
    customerId: customer ? gid("Customer", Number(customer.id)) : null,
    noteAttributes: order.pickupAt ? [{ name: "pickup_at", value: order.pickupAt }] : [],
    note: null,
    tags: [],
    financialStatus: "paid",
    fulfillmentStatus: order.channel === "pos" ? "fulfilled" : null,
    gateway: "shopify_payments",
    test: false,
    lineItems,
    refunds: [],
  };
  const changes: { at: number; apply: (current: Order) => Order }[] = [];
  const { fulfilledAt, refund, cancellation } = order;
  if (fulfilledAt !== null) {
    const when = isoSeconds(new Date(fulfilledAt));
    changes.push({ at: fulfilledAt, apply: (current) => ({ ...current, fulfillmentStatus: "fulfilled", closedAt: when, updatedAt: when }) });
  }
  if (refund) changes.push({ at: refund.at, apply: (current) => refunded(current, refund) });
  if (cancellation) {
    const when = isoSeconds(new Date(cancellation.at));
    changes.push({
      at: cancellation.at,
      apply: (current) => ({ ...refunded(current, cancellation.refund), cancelledAt: when, cancelReason: cancellation.reason, closedAt: when, financialStatus: "refunded", updatedAt: when }),
    });
  }
  // In the order they happened: a refund can come before a shipped order is delivered.
  for (const change of changes.sort((a, b) => a.at - b.at)) if (change.at <= at) version = change.apply(version);
  return version;
}

/** Through the stand-in's `applyRefund`, so amounts are computed as the stand-in (and Shopify) compute them. */
function refunded(order: Order, refund: SimRefund): Order {
  const lineIds = refund.lines.map((entry) => entry.refundLineId);
  let next = 0;
  return applyRefund(
    order,
    {
      at: isoSeconds(new Date(refund.at)),
      note: refund.lines.length === order.lineItems.length ? "Order cancelled" : "Wrong order",
      lineItems: refund.lines.map((entry) => ({ lineItemId: order.lineItems[entry.lineIndex]?.id ?? "", quantity: entry.quantity })),
    },
    { refundId: gid("Refund", Number(refund.id)), transactionId: refund.transactionId, nextLineId: () => lineIds[next++] ?? 0 },
  );
}

function shopFor(sim: Simulation, order: SimOrder, at: number): ShopState {
  const customer = order.customerIndex === null ? null : simCustomer(sim, order.customerIndex);
  return shopWith(sim, customer ? customerAt(customer, at) : null);
}

/** The stand-in's shop record for the simulated shop, holding just the one customer a payload embeds. */
function shopWith(sim: Simulation, customer: Customer | null): ShopState {
  let shop = shops.get(sim);
  if (!shop) {
    const store = new StandinStore({ now: () => sim.settings.until });
    shop = store.addShop({ domain: sim.settings.shop, ianaTimezone: sim.settings.timezone, currencyCode: sim.settings.currency, locationName: null });
    shops.set(sim, shop);
  }
  return { ...shop, customers: new Map(customer ? [[customer.id, customer]] : []) };
}

function simCustomer(sim: Simulation, index: number): SimCustomer {
  const customer = sim.customers[index];
  if (!customer) throw new Error(`the simulation has no customer #${index}`);
  return customer;
}

function simOrder(sim: Simulation, index: number): SimOrder {
  const order = sim.orders[index];
  if (!order) throw new Error(`the simulation has no order #${index}`);
  return order;
}
