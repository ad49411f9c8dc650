import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../app/db/prisma.server";
import { PickupError } from "../../app/pickup/errors";
import { pickupMetrics, pickupWeekMetrics, PickupMetricsInputError, recentPickupMetrics } from "../../app/pickup/metrics.server";
import { createPickupShop } from "../support/pickup-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Pickup metrics over seeded orders and pickups: a week in which London's
 * clocks go back (the repeated 01:00 hour is one hour of the wall clock),
 * counter orders at their processed time and pickups at their slot time,
 * cancelled orders left out, and another shop's identical ids never mixed in.
 */

const SHOP = "metrics-cafe.myshopify.com";
const OTHER = "metrics-rival.myshopify.com";
const LOCATION = "1001";
const at = (iso: string) => new Date(iso);

async function counterOrder(db: Database, shop: string, id: string, processedAt: string, options: { location?: string | null; cancelled?: boolean } = {}) {
  await db.order.create({
    data: {
      shop,
      id,
      channel: options.location === null ? "web" : "pos",
      locationId: options.location === undefined ? LOCATION : options.location,
      currency: "GBP",
      totalPrice: 4.5,
      processedAt: at(processedAt),
      cancelledAt: options.cancelled ? at(processedAt) : null,
      shopifyUpdatedAt: at(processedAt),
      source: "webhook",
    },
  });
}

async function pickupOrder(
  db: Database,
  shop: string,
  id: string,
  slotStart: string,
  stamps: { readyAt?: string; pickedUpAt?: string; noShowAt?: string; paidAt: string; orderLocation?: string | null },
) {
  await counterOrder(db, shop, id, stamps.paidAt, { location: stamps.orderLocation ?? null });
  const state = stamps.noShowAt ? "no-show" : stamps.pickedUpAt ? "picked-up" : stamps.readyAt ? "ready" : "new";
  await db.pickupOrder.create({
    data: {
      shop,
      orderId: id,
      locationId: LOCATION,
      slotStart: at(slotStart),
      items: [{ title: "Flat white", quantity: 1 }],
      state,
      readyAt: stamps.readyAt ? at(stamps.readyAt) : null,
      pickedUpAt: stamps.pickedUpAt ? at(stamps.pickedUpAt) : null,
      noShowAt: stamps.noShowAt ? at(stamps.noShowAt) : null,
    },
  });
}

describe.each(stackKinds())("pickup metrics on $name", (kind) => {
  let stack: TestStack;
  const db = () => stack.runtime.db;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    await createPickupShop(db(), SHOP, { timezone: "Europe/London", locationId: LOCATION });
    await createPickupShop(db(), OTHER, { timezone: "Europe/London", locationId: LOCATION });
    // Monday 19 October 2026, British Summer Time (UTC+1).
    await counterOrder(db(), SHOP, "1", "2026-10-19T07:05:00Z"); // 08:05
    await counterOrder(db(), SHOP, "2", "2026-10-19T07:20:00Z"); // 08:20
    await counterOrder(db(), SHOP, "3", "2026-10-19T07:40:00Z"); // 08:40
    await counterOrder(db(), SHOP, "4", "2026-10-19T11:00:00Z"); // 12:00
    await counterOrder(db(), SHOP, "5", "2026-10-19T07:30:00Z", { cancelled: true });
    await counterOrder(db(), SHOP, "6", "2026-10-18T22:30:00Z"); // 23:30 on the Sunday before: outside
    // Tuesday: two pickups for the 08:00 and 08:10 slots, paid at 06:00; counted at their slots.
    await pickupOrder(db(), SHOP, "10", "2026-10-20T07:00:00Z", { paidAt: "2026-10-20T05:00:00Z", readyAt: "2026-10-20T06:58:00Z", pickedUpAt: "2026-10-20T07:04:00Z", orderLocation: LOCATION });
    await pickupOrder(db(), SHOP, "11", "2026-10-20T07:10:00Z", { paidAt: "2026-10-20T05:00:00Z", readyAt: "2026-10-20T07:15:00Z", noShowAt: "2026-10-20T07:40:00Z" });
    // Sunday 25 October: clocks go back at 02:00 BST (01:00 UTC). 01:30 happens twice.
    await counterOrder(db(), SHOP, "20", "2026-10-25T00:30:00Z"); // 01:30 BST
    await counterOrder(db(), SHOP, "21", "2026-10-25T01:30:00Z"); // 01:30 GMT
    await counterOrder(db(), SHOP, "22", "2026-10-25T08:10:00Z"); // 08:10 GMT
    await counterOrder(db(), SHOP, "23", "2026-10-25T23:30:00Z"); // 23:30 GMT, last hour of the week
    await counterOrder(db(), SHOP, "24", "2026-10-26T00:10:00Z"); // Monday after: outside

    // The other shop: the same order and location ids, busy at 14:00, with pickups never readied on time.
    for (const [index, minute] of [0, 5, 10, 15, 20, 25, 30].entries()) await counterOrder(db(), OTHER, String(index + 1), `2026-10-19T13:${String(minute).padStart(2, "0")}:00Z`);
    await pickupOrder(db(), OTHER, "10", "2026-10-20T13:00:00Z", { paidAt: "2026-10-20T12:00:00Z", readyAt: "2026-10-20T13:30:00Z", pickedUpAt: "2026-10-20T13:40:00Z" });
    await pickupOrder(db(), OTHER, "11", "2026-10-20T13:10:00Z", { paidAt: "2026-10-20T12:00:00Z", readyAt: "2026-10-20T13:30:00Z" });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("gives the week's figures per location in shop-local hours", async () => {
    const [location, ...rest] = await pickupWeekMetrics(db(), SHOP, { from: "2026-10-19", to: "2026-10-26" });
    expect(rest).toEqual([]);
    expect(location).toMatchObject({
      locationId: LOCATION,
      name: "High Street",
      orders: 10,
      pickupOrders: 2,
      peakHours: [8],
      peakOrders: 6,
      peakPickupOrders: 2,
      peakPickupShare: 2 / 6,
      tradingDays: 3,
      ordersPer15MinAtPeak: 6 / (3 * 4),
      busiest15MinAtPeak: 2,
    });
    expect(location?.all).toEqual({ pickupOrders: 2, readied: 2, onTimeRate: 0.5, avgMinutesToReady: 1.5, avgMinutesToPickedUp: 4, noShows: 1 });
    expect(location?.hours.map((h) => [h.hour, h.orders])).toEqual([
      [1, 2],
      [8, 6],
      [12, 1],
      [23, 1],
    ]);
  });

  it("buckets by the wall clock on both sides of a clock change", async () => {
    // Summer 08:05 (07:05Z) and winter 08:10 (08:10Z) share hour 8; the two 01:30s share hour 1.
    const [sunday] = await pickupWeekMetrics(db(), SHOP, { from: "2026-10-25", to: "2026-10-26" });
    expect(sunday?.hours.map((h) => [h.hour, h.orders])).toEqual([
      [1, 2],
      [8, 1],
      [23, 1],
    ]);
    const [monday] = await pickupWeekMetrics(db(), SHOP, { from: "2026-10-19", to: "2026-10-20" });
    expect(monday?.hours.map((h) => [h.hour, h.orders])).toEqual([
      [8, 3],
      [12, 1],
    ]);
  });

  it("keeps each shop's figures to its own orders", async () => {
    const [other] = await pickupWeekMetrics(db(), OTHER, { from: "2026-10-19", to: "2026-10-26" });
    expect(other).toMatchObject({ orders: 9, pickupOrders: 2, peakHours: [14], peakOrders: 9, peakPickupShare: 2 / 9 });
    expect(other?.all).toMatchObject({ onTimeRate: 0, avgMinutesToReady: 25, avgMinutesToPickedUp: 40, noShows: 0 });
    const [mine] = await pickupWeekMetrics(db(), SHOP, { from: "2026-10-19", to: "2026-10-26" });
    expect(mine?.hours.some((h) => h.hour === 14)).toBe(false);
  });

  it("takes a peak share and the last days before today", async () => {
    const wide = await pickupMetrics(db(), SHOP, { from: "2026-10-19", to: "2026-10-26", peakShare: 0.7 });
    expect(wide.locations[0]?.peakHours).toEqual([1, 8]);
    const recent = await recentPickupMetrics(db(), SHOP, { days: 7, now: at("2026-10-26T09:00:00Z") });
    expect([recent.from, recent.to, recent.timezone, recent.locations[0]?.orders]).toEqual(["2026-10-19", "2026-10-26", "Europe/London", 10]);
  });

  it("refuses bad ranges and unknown shops", async () => {
    await expect(pickupMetrics(db(), SHOP, { from: "2026-10-26", to: "2026-10-19" })).rejects.toThrow(PickupMetricsInputError);
    await expect(pickupMetrics(db(), SHOP, { from: "2026-02-30", to: "2026-03-02" })).rejects.toThrow(/calendar date/);
    await expect(pickupMetrics(db(), SHOP, { from: "2026-10-19", to: "2026-10-26", peakShare: 0 })).rejects.toThrow(/peakShare/);
    await expect(pickupMetrics(db(), "nowhere.myshopify.com", { from: "2026-10-19", to: "2026-10-26" })).rejects.toThrow(PickupError);
  });
});
