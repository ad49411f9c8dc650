import { describe, expect, it } from "vitest";
import { DEFAULT_MEMBERS } from "../../app/cli/simulate";
import { CSV_HEADER, csvLines } from "../../app/simulate/csv";
import { simulationEvents } from "../../app/simulate/events";
import { eventPayload, orderAt } from "../../app/simulate/shopify-payloads";
import { simulateCafe, type SimulateOptions } from "../../app/simulate/simulate";
import { toSyncedOrder } from "../../app/simulate/synced";
import { MENU } from "../../app/simulate/menu";

const UNTIL = new Date("2025-05-01T00:00:00+01:00");
const small = (overrides: Partial<SimulateOptions> = {}) =>
  simulateCafe({ seed: 11, shop: "sim-cafe.myshopify.com", days: 60, until: UNTIL, members: 300, ...overrides });

const fingerprint = (options: Partial<SimulateOptions> = {}) => {
  const sim = small(options);
  return JSON.stringify({ orders: sim.orders, customers: sim.customers, truth: sim.groundTruth, csv: [...csvLines(sim)], events: simulationEvents(sim) });
};

describe("simulateCafe", () => {
  it("is the same for the same seed and different for another seed or shop", () => {
    const first = fingerprint();
    expect(fingerprint()).toBe(first);
    expect(fingerprint({ seed: 12 })).not.toBe(first);
    expect(fingerprint({ shop: "other-cafe.myshopify.com" })).not.toBe(first);
  });

  it("takes the length of history in days or in calendar months", () => {
    const months = simulateCafe({ seed: 1, shop: "sim-cafe.myshopify.com", months: 2, until: UNTIL, members: 10 });
    expect(months.days).toHaveLength(61);
    expect(months.settings.days).toBe(61);
    expect(() => simulateCafe({ seed: 1, shop: "sim-cafe.myshopify.com", months: 2, days: 3, until: UNTIL, members: 10 })).toThrow(/either days or months/);
  });

  it("refuses options it cannot honour", () => {
    expect(() => small({ timezone: "Mars/Olympus_Mons" })).toThrow(/IANA time zone/);
    expect(() => small({ guestsShare: 1 })).toThrow();
    expect(() => small({ shop: "not a shop" })).toThrow(/myshopify/);
  });

  it("makes a busy cafe: six months with the default flags are at least 50,000 orders", () => {
    for (const seed of [1, 2]) {
      const until = new Date("2025-09-01T00:00:00+01:00");
      const sim = simulateCafe({ seed, shop: "busy-cafe.myshopify.com", months: 6, until, members: DEFAULT_MEMBERS });
      expect(sim.days.length).toBe(184);
      expect(sim.groundTruth.summary.orders).toBeGreaterThanOrEqual(50_000);
    }
  });

  it("has guests at the requested share, both channels, every location, and orders in time order", () => {
    const sim = small({ members: 600, locations: 3, guestsShare: 0.3 });
    const summary = sim.groundTruth.summary;
    expect(summary.guestOrders / summary.orders).toBeGreaterThan(0.27);
    expect(summary.guestOrders / summary.orders).toBeLessThan(0.33);
    expect(new Set(sim.orders.map((order) => order.channel))).toEqual(new Set(["pos", "web"]));
    expect(new Set(sim.orders.map((order) => order.locationIndex))).toEqual(new Set([0, 1, 2, null]));
    expect(sim.orders.every((order, i) => i === 0 || order.at >= (sim.orders[i - 1]?.at ?? 0))).toBe(true);
    expect(sim.orders.map((order) => order.number)).toEqual(sim.orders.map((_, i) => 1001 + i));
    expect(sim.orders.every((order) => order.at <= UNTIL.getTime())).toBe(true);
    expect(summary.cancelledOrders).toBeGreaterThan(0);
    expect(summary.refundedOrders).toBeGreaterThan(0);
    expect(summary.members).toBeGreaterThan(0);
  });

  it("prices every ticket from the menu, and the ground truth adds up to the orders", () => {
    const sim = small();
    const price = new Map(MENU.map((item) => [item.sku, Math.round(Number(item.price) * 100)]));
    const perCustomer = new Map<string, { orders: number; spend: number; refunded: number; cancelled: number }>();
    for (const order of sim.orders) {
      const synced = toSyncedOrder(sim, order);
      const gross = synced.lineItems.reduce((sum, line) => sum + (price.get(line.sku ?? "") ?? NaN) * line.quantity, 0);
      expect(Math.round(Number(synced.totalPrice) * 100)).toBe(gross - Math.round(Number(synced.totalDiscounts) * 100));
      if (!synced.customerId) continue;
      const tally = perCustomer.get(synced.customerId) ?? { orders: 0, spend: 0, refunded: 0, cancelled: 0 };
      if (synced.cancelledAt) tally.cancelled++;
      else {
        tally.orders++;
        tally.spend += Math.round(Number(synced.totalPrice) * 100);
        tally.refunded += synced.refunds.reduce((sum, refund) => sum + Math.round(Number(refund.amount) * 100), 0);
      }
      perCustomer.set(synced.customerId, tally);
    }
    for (const truth of sim.groundTruth.customers) {
      const tally = perCustomer.get(truth.id) ?? { orders: 0, spend: 0, refunded: 0, cancelled: 0 };
      expect([truth.orders, Math.round(Number(truth.spend) * 100), Math.round(Number(truth.refunded) * 100), truth.cancelledOrders]).toEqual([
        tally.orders,
        tally.spend,
        tally.refunded,
        tally.cancelled,
      ]);
    }
  });

  it("computes refunds as the stand-in does: a void gives the whole total back", () => {
    const sim = small({ members: 800 });
    const aftermath = sim.orders.filter((order) => order.refund || order.cancellation);
    expect(aftermath.length).toBeGreaterThan(10);
    for (const order of aftermath) {
      const final = orderAt(sim, order, Number.POSITIVE_INFINITY);
      const amounts = final.refunds.map((refund) => Math.round(Number(refund.amount) * 100));
      const planted = [order.refund, order.cancellation?.refund].filter((refund) => refund !== null && refund !== undefined);
      expect(amounts).toEqual(planted.map((refund) => refund.amountCents));
      if (order.cancellation) {
        expect(order.cancellation.refund.amountCents).toBe(order.totalCents);
        expect(final.financialStatus).toBe("refunded");
        expect(final.cancelledAt).not.toBeNull();
      }
    }
  });
});

describe("the CSV", () => {
  it("has the importer's header and one row per standing order, local time with offset, items as SKU:qty", () => {
    const sim = small();
    const [header, ...rows] = [...csvLines(sim)];
    expect(header).toBe(CSV_HEADER);
    const standing = sim.orders.filter((order) => !order.cancellation);
    expect(rows).toHaveLength(standing.length);
    const customers = new Map(sim.customers.map((customer) => [customer.id, customer]));
    rows.forEach((row, i) => {
      const fields = row.split(",");
      expect(fields).toHaveLength(9);
      const [orderId, customerId, orderedAt, total, currency, location, channel, email, items] = fields;
      const order = standing[i];
      expect(orderId).toBe(order?.id);
      expect(orderedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
      expect(Date.parse(orderedAt ?? "")).toBe(order?.at);
      expect(total).toMatch(/^\d+\.\d\d$/);
      expect(currency).toBe("GBP");
      expect(["pos", "web"]).toContain(channel);
      expect(items).toMatch(/^[A-Z-]+:\d+(;[A-Z-]+:\d+)*$/);
      if (customerId === "") expect(email).toBe("");
      else expect(email).toBe(customers.get(customerId ?? "")?.email);
      if (location !== "") expect(sim.locations.map((l) => l.id)).toContain(location);
    });
    // Local time: a March morning is +00:00 in London, an April one +01:00.
    expect(rows.some((row) => row.includes("-03-10T08:") && row.includes("+00:00"))).toBe(true);
    expect(rows.some((row) => row.includes("-04-10T08:") && row.includes("+01:00"))).toBe(true);
  });
});

describe("the webhook events", () => {
  it("create every customer and order once, in time order, each with its own event id, showing the resource as it was then", () => {
    const sim = small();
    const events = simulationEvents(sim);
    expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
    expect(events.every((event, i) => i === 0 || event.at >= (events[i - 1]?.at ?? 0))).toBe(true);
    const creates = events.filter((event) => event.topic === "orders/create");
    expect(creates.map((event) => event.subject.index)).toEqual(sim.orders.map((order) => order.index));
    expect(events.filter((event) => event.topic === "customers/create")).toHaveLength(sim.customers.length);
    expect(events.filter((event) => event.topic === "orders/cancelled")).toHaveLength(sim.groundTruth.summary.cancelledOrders);
    expect(events.some((event) => event.topic === "customers/update")).toBe(true);
    for (const event of events.filter((candidate) => candidate.topic.startsWith("orders/")).slice(0, 3000)) {
      const payload = eventPayload(sim, event);
      expect(Date.parse(String(payload.updated_at))).toBe(Math.floor(event.at / 1000) * 1000);
      if (event.topic === "orders/create") {
        expect(payload.refunds).toEqual([]);
        expect(payload.cancelled_at).toBeNull();
      }
      if (event.topic === "orders/cancelled") expect(payload.cancelled_at).not.toBeNull();
    }
  });
});
