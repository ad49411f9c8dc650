import { simulateCafe } from "../app/simulate/simulate.ts";
import type { GroundTruth } from "../app/simulate/ground-truth.ts";
import type { SimOrder } from "../app/simulate/history.ts";
import { locationName } from "../app/simulate/menu.ts";
import type { Persona } from "../app/simulate/rhythms.ts";
import { gid } from "./ids.ts";
import { fromCents } from "./money.ts";
import type { LineItemInput, ShopState, StandinStore } from "./store.ts";

export type { Persona } from "../app/simulate/rhythms.ts";

/**
 * A believable cafe history, the same for the same seed, written into the
 * store through its own API (so ids, totals, cancellations and refunds follow
 * the store's rules). The history itself comes from the one generator,
 * `app/simulate/` (`regulars simulate`): weekday-morning commuters, weekend
 * brunchers, afternoon students and irregulars, walk-in guests without a
 * customer record, order-ahead pickups and online bean orders, a few voided
 * and partly refunded sales. Pass `until` to make it independent of today.
 */

export interface SeedCafeOptions {
  customers: number;
  days: number;
  seed: string | number;
  /** The moment the history ends (default: the store's clock). */
  until?: Date | string;
  name?: string;
  ianaTimezone?: string;
  currencyCode?: string;
  /** Shop locations to spread visits over (1–20). */
  locations?: number;
  /** Share of orders from walk-in guests without a customer record (default 0.2). */
  guestsShare?: number;
}

export interface SeedSummary {
  shop: ShopState;
  customers: number;
  orders: number;
  guestOrders: number;
  cancelledOrders: number;
  refundedOrders: number;
  personas: Record<Persona, number>;
  /** What the generator planted, with the store's customer and location ids. */
  groundTruth: GroundTruth;
}

export function seedCafe(store: StandinStore, shopDomain: string, options: SeedCafeOptions): SeedSummary {
  const shop =
    store.findShop(shopDomain) ??
    store.addShop({
      domain: shopDomain,
      name: options.name,
      ianaTimezone: options.ianaTimezone ?? "Europe/London",
      currencyCode: options.currencyCode ?? "GBP",
      locationName: locationName(0),
    });
  const wantedLocations = Math.min(Math.max(options.locations ?? 2, 1), 20);
  for (let i = shop.locations.length; i < wantedLocations; i++) store.addLocation(shopDomain, { name: locationName(i) });
  const locations = shop.locations.slice(0, wantedLocations);
  const sim = simulateCafe({
    seed: options.seed,
    shop: shopDomain,
    days: options.days,
    until: new Date(options.until ?? store.now()),
    members: options.customers,
    guestsShare: options.guestsShare,
    locations: wantedLocations,
    timezone: shop.info.ianaTimezone,
    currency: shop.info.currencyCode,
  });

  const customerIds = sim.customers.map((customer) => {
    const joinedLater = customer.memberSince !== null && customer.memberSince > customer.createdAt;
    return store.addCustomer(shopDomain, {
      firstName: customer.firstName,
      lastName: customer.lastName,
      email: customer.email,
      phone: customer.phone,
      createdAt: new Date(customer.createdAt),
      updatedAt: new Date(joinedLater && customer.memberSince !== null ? customer.memberSince : customer.createdAt),
      tags: customer.memberSince === null ? [] : ["member"],
      emailMarketingConsent: customer.emailConsent,
      smsMarketingConsent: customer.smsConsent,
    }).id;
  });

  for (const order of sim.orders) {
    const customerId = order.customerIndex === null ? null : (customerIds[order.customerIndex] ?? null);
    const location = order.locationIndex === null ? null : (locations[order.locationIndex] ?? null);
    const added = store.addOrder(shopDomain, {
      lineItems: order.lines.map((entry): LineItemInput => ({
        title: entry.item.title,
        variantTitle: entry.item.variantTitle ?? null,
        sku: entry.item.sku,
        price: entry.item.price,
        quantity: entry.quantity,
        productId: gid("Product", Number(entry.item.productId)),
        variantId: gid("ProductVariant", Number(entry.item.variantId)),
        discount: fromCents(entry.discountCents),
      })),
      customerId,
      locationId: location?.id ?? null,
      sourceName: order.channel,
      createdAt: new Date(order.at),
      noteAttributes: order.pickupAt ? [{ name: "pickup_at", value: order.pickupAt }] : [],
      taxRate: 0.2,
    });
    applyAftermath(store, shopDomain, added.id, order);
  }

  const truth = sim.groundTruth;
  const truthLocations = truth.shop.locations.map((entry, index) => ({ ...entry, id: String(legacy(locations[index]?.id) ?? entry.id) }));
  const groundTruth: GroundTruth = {
    ...truth,
    shop: { ...truth.shop, locations: truthLocations },
    customers: truth.customers.map((entry, index) => ({ ...entry, id: String(legacy(customerIds[index]) ?? entry.id) })),
  };
  const personas: Record<Persona, number> = { commuter: 0, bruncher: 0, student: 0, irregular: 0 };
  for (const customer of sim.customers) personas[customer.persona]++;
  return {
    shop,
    customers: customerIds.length,
    orders: truth.summary.orders,
    guestOrders: truth.summary.guestOrders,
    cancelledOrders: truth.summary.cancelledOrders,
    refundedOrders: truth.summary.refundedOrders,
    personas,
    groundTruth,
  };
}

/** Collection, refund and void, in the order they happened. */
function applyAftermath(store: StandinStore, shopDomain: string, orderId: string, order: SimOrder): void {
  const changes: { at: number; apply: () => void }[] = [];
  if (order.fulfilledAt !== null) {
    const at = new Date(order.fulfilledAt);
    changes.push({ at: order.fulfilledAt, apply: () => store.updateOrder(shopDomain, orderId, { fulfillmentStatus: "fulfilled", updatedAt: at }) });
  }
  const { refund, cancellation } = order;
  if (refund) {
    changes.push({
      at: refund.at,
      apply: () => {
        const lines = store.order(shopDomain, orderId).lineItems;
        const lineItems = refund.lines.map((entry) => ({ lineItemId: lines[entry.lineIndex]?.id ?? "", quantity: entry.quantity }));
        store.refundOrder(shopDomain, orderId, { at: new Date(refund.at), note: "Wrong order", lineItems });
      },
    });
  }
  if (cancellation) {
    changes.push({ at: cancellation.at, apply: () => store.cancelOrder(shopDomain, orderId, { at: new Date(cancellation.at), reason: cancellation.reason }) });
  }
  for (const change of changes.sort((a, b) => a.at - b.at)) change.apply();
}

function legacy(id: string | undefined): number | undefined {
  return id === undefined ? undefined : Number(id.slice(id.lastIndexOf("/") + 1));
}

export function seedSummaryLine(summary: SeedSummary): string {
  const p = summary.personas;
  return (
    `${summary.shop.info.myshopifyDomain}: ${summary.customers} customers (${p.commuter} weekday-morning commuters, ` +
    `${p.bruncher} weekend brunchers, ${p.student} afternoon students, ${p.irregular} irregulars), ${summary.orders} orders ` +
    `(${summary.guestOrders} guests, ${summary.cancelledOrders} cancelled, ${summary.refundedOrders} refunded)`
  );
}
