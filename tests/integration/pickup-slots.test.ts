import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeHold } from "../../app/pickup/holds.server";
import { listSlots, PickupError } from "../../app/pickup/slots.server";
import { LATTE, createPickupShop } from "../support/pickup-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The slot table: the opening hours in the shop's time zone (its override
 * first), capacity left from holds, why a slot is closed, the days clocks
 * change, and no view of another shop's location.
 */

const at = (iso: string) => new Date(iso);
const NOW = at("2026-03-02T08:01:00Z"); // Monday, 08:01 in London

describe.each(stackKinds())("pickup slots on $name", (kind) => {
  let stack: TestStack;
  const db = () => stack.runtime.db;
  const SHOP = "slots-cafe.myshopify.com";
  const NIGHT = "slots-night.myshopify.com";

  beforeAll(async () => {
    stack = await startTestStack(kind);
    await createPickupShop(db(), SHOP);
    // A night cafe open Sunday 00:00–03:00 in 30-minute slots, one order each: the nights clocks change.
    await createPickupShop(db(), NIGHT, {
      locationId: "3003",
      settings: { hours: [{ weekday: 7, opens: "00:00", closes: "03:00" }], slotMinutes: 30, capacityOrders: 1, leadMinutes: 0, cutoffMinutes: 0 },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("lists the day's slots with capacity left and the reason closed ones are closed", async () => {
    for (let i = 0; i < 2; i++) expect((await placeHold(db(), { shop: SHOP, locationId: "1001", slotStart: at("2026-03-02T09:00:00Z"), customerId: null, items: [{ variantId: LATTE, quantity: 2 }], now: NOW })).ok).toBe(true);
    for (let i = 0; i < 5; i++) expect((await placeHold(db(), { shop: SHOP, locationId: "1001", slotStart: at("2026-03-02T09:10:00Z"), customerId: null, items: [{ variantId: LATTE, quantity: 1 }], now: NOW })).ok).toBe(true);

    const table = await listSlots(db(), { shop: SHOP, locationId: "1001", date: "2026-03-02", now: NOW });
    expect(table).toMatchObject({ shop: SHOP, locationId: "1001", timezone: "Europe/London", date: "2026-03-02", enabled: true, slotMinutes: 10, capacityOrders: 5, capacityItems: null });
    expect(table.slots).toHaveLength(48); // 07:00 to 14:50
    const byLabel = new Map(table.slots.map((slot) => [slot.label, slot]));
    expect(byLabel.get("07:00")).toMatchObject({ start: at("2026-03-02T07:00:00Z"), open: false, reason: "past" });
    expect(byLabel.get("08:00")).toMatchObject({ open: false, reason: "past" });
    expect(byLabel.get("08:10")).toMatchObject({ open: false, reason: "lead" });
    expect(byLabel.get("08:20")).toEqual({ start: at("2026-03-02T08:20:00Z"), label: "08:20", orders: 0, items: 0, ordersLeft: 5, itemsLeft: null, open: true });
    expect(byLabel.get("09:00")).toMatchObject({ orders: 2, items: 4, ordersLeft: 3, open: true });
    expect(byLabel.get("09:10")).toMatchObject({ orders: 5, ordersLeft: 0, open: false, reason: "full" });
    expect(byLabel.get("14:40")).toMatchObject({ open: true });
    expect(byLabel.get("14:50")).toMatchObject({ open: false, reason: "cutoff" });

    // Sunday: closed all day; the default date is today in the shop's zone (00:30 UTC on Tuesday is still Monday in New York).
    expect((await listSlots(db(), { shop: SHOP, locationId: "1001", date: "2026-03-08", now: NOW })).slots).toEqual([]);
    expect((await listSlots(db(), { shop: SHOP, locationId: "1001", now: NOW })).date).toBe("2026-03-02");
    // Beyond the 14 days members can order ahead: listed, none open.
    const far = await listSlots(db(), { shop: SHOP, locationId: "1001", date: "2026-03-17", now: NOW });
    expect(new Set(far.slots.map((slot) => slot.reason))).toEqual(new Set(["too-far"]));
    expect((await listSlots(db(), { shop: SHOP, locationId: "1001", date: "2026-03-13", now: NOW })).slots.filter((slot) => !slot.open).map((slot) => slot.reason)).toEqual(["cutoff"]);
    const edge = await listSlots(db(), { shop: SHOP, locationId: "1001", date: "2026-03-16", now: NOW }); // 14 days on: up to 08:01
    expect(edge.slots.filter((slot) => slot.open).map((slot) => slot.label)).toEqual(["07:00", "07:10", "07:20", "07:30", "07:40", "07:50", "08:00"]);
  });

  it("follows the shop's time zone override", async () => {
    const shop = "slots-override.myshopify.com";
    await createPickupShop(db(), shop);
    await db().shopSettings.create({ data: { shop, timezoneOverride: "America/New_York" } });
    const table = await listSlots(db(), { shop, locationId: "1001", now: at("2026-03-03T00:30:00Z") });
    expect(table).toMatchObject({ timezone: "America/New_York", date: "2026-03-02" });
    expect(table.slots[0]).toMatchObject({ label: "07:00", start: at("2026-03-02T12:00:00Z") });
  });

  it("has no slots in the hour skipped when clocks go forward, and both repeated slots when they go back", async () => {
    const spring = await listSlots(db(), { shop: NIGHT, locationId: "3003", date: "2026-03-29", now: at("2026-03-28T12:00:00Z") });
    expect(spring.slots.map((slot) => [slot.label, slot.start.toISOString()])).toEqual([
      ["00:00", "2026-03-29T00:00:00.000Z"],
      ["00:30", "2026-03-29T00:30:00.000Z"],
      ["02:00", "2026-03-29T01:00:00.000Z"],
      ["02:30", "2026-03-29T01:30:00.000Z"],
    ]);
    const autumnNow = at("2026-10-24T12:00:00Z");
    const autumn = await listSlots(db(), { shop: NIGHT, locationId: "3003", date: "2026-10-25", now: autumnNow });
    expect(autumn.slots.map((slot) => slot.label)).toEqual(["00:00", "00:30", "01:00", "01:30", "01:00", "01:30", "02:00", "02:30"]);
    // The two 01:00 slots are different slots: each takes its own order.
    const first = autumn.slots[2];
    const second = autumn.slots[4];
    if (!first || !second) throw new Error("missing slots");
    for (const slot of [first, second]) {
      expect((await placeHold(db(), { shop: NIGHT, locationId: "3003", slotStart: slot.start, customerId: null, items: [{ variantId: LATTE, quantity: 1 }], now: autumnNow })).ok).toBe(true);
    }
    const after = await listSlots(db(), { shop: NIGHT, locationId: "3003", date: "2026-10-25", now: autumnNow });
    expect(after.slots.map((slot) => slot.ordersLeft)).toEqual([1, 1, 0, 1, 0, 1, 1, 1]);
    // 01:00 GMT on the spring day does not exist on the wall clock; the instant is 02:00 BST and on the grid.
    expect((await placeHold(db(), { shop: NIGHT, locationId: "3003", slotStart: at("2026-03-29T01:00:00Z"), customerId: null, items: [{ variantId: LATTE, quantity: 1 }], now: at("2026-03-28T12:00:00Z") })).ok).toBe(true);
  });

  it("refuses another shop's location, an unknown shop and a date that is not one", async () => {
    const expectRefusal = async (promise: Promise<unknown>, code: string, message: RegExp) => {
      const error = await promise.then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(PickupError);
      expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
    };
    await expectRefusal(listSlots(db(), { shop: NIGHT, locationId: "1001", now: NOW }), "unknown-location", /location 1001 has no pickup settings in slots-night/);
    await expectRefusal(listSlots(db(), { shop: SHOP, locationId: "3003", now: NOW }), "unknown-location", /location 3003 has no pickup settings/);
    await expectRefusal(listSlots(db(), { shop: "nobody.myshopify.com", locationId: "1001", now: NOW }), "unknown-shop", /not known to Regulars/);
    await expectRefusal(listSlots(db(), { shop: SHOP, locationId: "1001", date: "2026-02-30", now: NOW }), "bad-date", /calendar date like 2026-03-02/);
  });
});
