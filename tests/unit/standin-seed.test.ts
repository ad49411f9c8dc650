import { describe, expect, it } from "vitest";
import { StandinStore } from "../../standin/store.ts";
import { gid } from "../../standin/ids.ts";
import { localParts } from "../../standin/time.ts";

const SHOP = "seeded-cafe.myshopify.com";
const UNTIL = "2025-03-31T18:00:00Z";

function seeded(seed: string | number) {
  const store = new StandinStore({ now: () => new Date(UNTIL) });
  const summary = store.seedCafe(SHOP, { customers: 120, days: 90, seed, until: UNTIL });
  const state = store.shop(SHOP);
  return { store, summary, orders: [...state.orders.values()], customers: [...state.customers.values()] };
}

describe("seedCafe", () => {
  it("produces the same history for the same seed, and another for another seed", () => {
    const a = seeded("cafe");
    const b = seeded("cafe");
    const c = seeded("other");
    expect(JSON.stringify(b.orders)).toBe(JSON.stringify(a.orders));
    expect(JSON.stringify(b.customers)).toBe(JSON.stringify(a.customers));
    expect(JSON.stringify(c.orders)).not.toBe(JSON.stringify(a.orders));
  });

  it("looks like a cafe: POS-heavy, guests, a few cancellations and refunds, names in time order", () => {
    const { orders, summary } = seeded(7);
    const pos = orders.filter((order) => order.sourceName === "pos").length;
    expect(pos / orders.length).toBeGreaterThan(0.85);
    expect(orders.some((order) => order.sourceName === "web")).toBe(true);
    expect(summary.guestOrders).toBeGreaterThan(0);
    expect(orders.filter((order) => order.cancelledAt !== null).length).toBeGreaterThan(0);
    expect(orders.filter((order) => order.refunds.length > 0).length).toBeGreaterThan(summary.cancelledOrders);
    const byName = [...orders].sort((x, y) => x.orderNumber - y.orderNumber).map((order) => order.createdAt);
    expect(byName).toEqual([...byName].sort());
    expect(orders.every((order) => order.createdAt <= UNTIL)).toBe(true);
  });

  // The generator (app/simulate) now plants commuters who come one to five weekdays a week, so
  // their median gap is shorter than the old generator's 5–10 days; what stays is that they are
  // found from the orders alone, and that most of them come back within 12 days.
  it("has weekday-morning regulars, found from the orders alone, who mostly come back within 12 days", () => {
    const { orders, store, summary } = seeded(7);
    const zone = store.shop(SHOP).info.ianaTimezone;
    const visitsByCustomer = new Map<string, Date[]>();
    for (const order of orders) {
      if (!order.customerId) continue;
      visitsByCustomer.set(order.customerId, [...(visitsByCustomer.get(order.customerId) ?? []), new Date(order.createdAt)]);
    }
    const gaps: number[] = [];
    const regulars: string[] = [];
    for (const [customerId, visits] of visitsByCustomer) {
      const weekdayMornings = visits.filter((at) => {
        const local = localParts(at, zone);
        const weekday = new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay();
        return weekday >= 1 && weekday <= 5 && local.hour >= 6 && local.hour < 11;
      });
      if (visits.length < 4 || weekdayMornings.length / visits.length < 0.8) continue;
      regulars.push(customerId);
      visits.sort((x, y) => x.getTime() - y.getTime());
      for (let i = 1; i < visits.length; i++) gaps.push((visits[i]!.getTime() - visits[i - 1]!.getTime()) / 86_400_000);
    }
    gaps.sort((x, y) => x - y);
    expect(gaps.length).toBeGreaterThan(50);
    const median = gaps[Math.floor(gaps.length / 2)] ?? 0;
    expect(median).toBeGreaterThan(1.5);
    expect(median).toBeLessThan(11);
    expect(gaps.filter((gap) => gap <= 12).length / gaps.length).toBeGreaterThan(0.7);
    const planted = new Map(summary.groundTruth.customers.map((customer) => [gid("Customer", Number(customer.id)), customer.pattern]));
    expect(regulars.length).toBeGreaterThan(10);
    for (const customerId of regulars) expect(planted.get(customerId)).toBe("weekday-morning");
  });

  it("reports a ground truth that matches the store: per customer, orders, spend, voids and refunds", () => {
    const { orders, summary } = seeded("truth");
    const cents = (amount: string) => Math.round(Number(amount) * 100);
    const held = new Map<string, { orders: number; spend: number; cancelled: number; refunded: number }>();
    for (const order of orders) {
      if (!order.customerId) continue;
      const tally = held.get(order.customerId) ?? { orders: 0, spend: 0, cancelled: 0, refunded: 0 };
      if (order.cancelledAt) tally.cancelled++;
      else {
        tally.orders++;
        tally.spend += cents(order.totalPrice);
        tally.refunded += order.refunds.reduce((sum, refund) => sum + cents(refund.amount), 0);
      }
      held.set(order.customerId, tally);
    }
    const truth = summary.groundTruth;
    expect(truth.customers).toHaveLength(summary.customers);
    expect(truth.summary.orders).toBe(orders.length);
    for (const customer of truth.customers) {
      const tally = held.get(gid("Customer", Number(customer.id))) ?? { orders: 0, spend: 0, cancelled: 0, refunded: 0 };
      expect({ id: customer.id, orders: customer.orders, spend: cents(customer.spend), cancelled: customer.cancelledOrders, refunded: cents(customer.refunded) }).toEqual({
        id: customer.id,
        ...tally,
      });
    }
    expect(truth.customers.some((customer) => Number(customer.refunded) > 0)).toBe(true);
    expect(truth.customers.some((customer) => customer.cancelledOrders > 0)).toBe(true);
  });
});
