import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import {
  attachCheckout,
  convertHold,
  expireHolds,
  getHold,
  placeHold,
  releaseHold,
  takeOrderPlace,
  type PlaceHoldInput,
} from "../../app/pickup/holds.server";
import { savePickupSettings } from "../../app/pickup/settings.server";
import { CAFE_SETTINGS, CROISSANT, createPickupShop, FLAT_WHITE, LATTE, pickupRowCounts, SOLD_OUT } from "../support/pickup-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Holds on real PostgreSQL: many members racing for the last places of a slot
 * get exactly the capacity, expired holds give their place back exactly once
 * (also while others are taking places), bad input stores nothing, and a shop
 * cannot hold in another shop's location.
 */

const at = (iso: string) => new Date(iso);
const minutes = (base: Date, n: number) => new Date(base.getTime() + n * 60_000);
// Monday 2 March 2026, 08:01 in London (GMT): the cafe opened at 07:00.
const NOW = at("2026-03-02T08:01:00Z");
const NINE = at("2026-03-02T09:00:00Z");
const latte = (quantity = 1) => [{ variantId: LATTE, quantity }];

describe.each(stackKinds())("pickup holds on $name", (kind) => {
  let stack: TestStack;
  let racers: Database;
  let shopCount = 0;
  const db = () => stack.runtime.db;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    // A pool of many connections, so the racing holds really run at once on a server.
    racers = createPrismaClient(stack.runtime.database.url, { maxConnections: 40 });
  });
  afterAll(async () => {
    await racers?.$disconnect();
    await stack?.stop();
  });

  async function newShop(settings: Partial<typeof CAFE_SETTINGS> = {}): Promise<string> {
    const shop = `holds-${++shopCount}.myshopify.com`;
    await createPickupShop(db(), shop, { settings });
    return shop;
  }
  const hold = (shop: string, overrides: Partial<PlaceHoldInput> = {}) =>
    placeHold(db(), { shop, locationId: "1001", slotStart: NINE, customerId: "501", items: latte(), now: NOW, ...overrides });

  it("places a hold with an unguessable id and counts its place and drinks", async () => {
    const shop = await newShop();
    const result = await hold(shop, { items: [{ variantId: LATTE, quantity: 2 }, { variantId: CROISSANT, quantity: 1 }, { variantId: `gid://shopify/ProductVariant/${LATTE}`, quantity: 1 }] });
    if (!result.ok) throw new Error(result.message);
    expect(result.hold.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(result.hold).toMatchObject({ shop, locationId: "1001", slotStart: NINE, customerId: "501", status: "held", itemCount: 4, drinkCount: 3, expiresAt: minutes(NOW, 10) });
    expect(result.hold.items).toEqual([
      { variantId: LATTE, productId: "30001", title: "Oat latte", quantity: 3, price: "3.6000", isDrink: true },
      { variantId: CROISSANT, productId: "30003", title: "Croissant", quantity: 1, price: "2.4000", isDrink: false },
    ]);
    const slot = await db().pickupSlot.findUniqueOrThrow({ where: { shop_locationId_slotStart: { shop, locationId: "1001", slotStart: NINE } } });
    expect([slot.orders, slot.items]).toEqual([1, 3]);
    const other = await hold(shop);
    expect(other.ok && other.hold.id !== result.hold.id).toBe(true);
  });

  it("200 concurrent holds on a slot with capacity 5 produce exactly 5 successful holds", async () => {
    const shop = await newShop({ capacityOrders: 5 });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => placeHold(racers, { shop, locationId: "1001", slotStart: NINE, customerId: String(1000 + i), items: latte(), now: NOW })),
    );
    const won = results.filter((r) => r.ok);
    expect(won).toHaveLength(5);
    expect(results.filter((r) => !r.ok).map((r) => (r.ok ? "" : r.code))).toEqual(Array.from({ length: 195 }, () => "slot-full"));
    expect(await pickupRowCounts(db(), shop)).toEqual({ holds: 5, slots: 1, taken: 5 });
    expect(await db().pickupHold.count({ where: { shop, status: "held" } })).toBe(5);
  });

  it("concurrent holds against a drinks capacity never exceed it", async () => {
    const shop = await newShop({ capacityOrders: null, capacityItems: 7 });
    const results = await Promise.all(Array.from({ length: 60 }, () => placeHold(racers, { shop, locationId: "1001", slotStart: NINE, customerId: null, items: latte(2), now: NOW })));
    expect(results.filter((r) => r.ok)).toHaveLength(3);
    const slot = await db().pickupSlot.findUniqueOrThrow({ where: { shop_locationId_slotStart: { shop, locationId: "1001", slotStart: NINE } } });
    expect([slot.orders, slot.items]).toEqual([3, 6]);
    // One drink still fits, two do not; the message says how many are left.
    const two = await hold(shop, { items: latte(2) });
    expect(two).toMatchObject({ ok: false, code: "slot-full", message: expect.stringContaining("room for 1 more drink") });
    expect((await hold(shop, { items: [{ variantId: FLAT_WHITE, quantity: 1 }, { variantId: CROISSANT, quantity: 3 }] })).ok).toBe(true);
    expect((await hold(shop, { items: [{ variantId: CROISSANT, quantity: 2 }] })).ok).toBe(true); // food does not count against drinks
  });

  it("refuses bad input with a clear message and stores nothing", async () => {
    const shop = await newShop();
    const disabledShop = await newShop({ enabled: false });
    const otherShop = `holds-other-${shopCount}.myshopify.com`;
    await createPickupShop(db(), otherShop, { locationId: "2002" });

    const cases: Array<[string, Partial<PlaceHoldInput>, string, string, RegExp]> = [
      ["slot in the past", { slotStart: at("2026-03-02T07:50:00Z") }, "slot-past", "slotStart", /already started/],
      ["slot that has just started", { slotStart: at("2026-03-02T08:00:00Z") }, "slot-past", "slotStart", /already started/],
      ["slot sooner than the lead time", { slotStart: at("2026-03-02T08:10:00Z") }, "slot-lead", "slotStart", /needs? 10 minutes to prepare/],
      ["slot after closing", { slotStart: at("2026-03-02T16:00:00Z") }, "slot-closed", "slotStart", /closed for pickup at 2026-03-02 16:00/],
      ["slot on a closed day (Sunday)", { slotStart: at("2026-03-08T10:00:00Z") }, "slot-closed", "slotStart", /closed for pickup at 2026-03-08 10:00/],
      ["slot within the cut-off", { slotStart: at("2026-03-02T14:50:00Z") }, "slot-cutoff", "slotStart", /15 minutes before closing time \(15:00\)/],
      ["slot off the grid", { slotStart: at("2026-03-02T09:05:00Z") }, "slot-not-on-grid", "slotStart", /every 10 minutes/],
      ["slot with seconds", { slotStart: at("2026-03-02T09:00:30Z") }, "slot-not-on-grid", "slotStart", /every 10 minutes/],
      ["slot too far ahead", { slotStart: at("2026-04-01T09:00:00Z") }, "slot-too-far", "slotStart", /14 days ahead/],
      ["invalid date", { slotStart: new Date(Number.NaN) }, "slot-not-on-grid", "slotStart", /choose a pickup slot/],
      ["unknown location", { locationId: "9999" }, "unknown-location", "locationId", /no pickup location 9999/],
      ["malformed location", { locationId: "high-street" }, "unknown-location", "locationId", /Shopify location id/],
      ["another shop's location", { locationId: "2002" }, "unknown-location", "locationId", /no pickup location 2002/],
      ["item not on the menu", { items: [{ variantId: "49999", quantity: 1 }] }, "item-not-on-menu", "items.0.variantId", /cannot be ordered ahead/],
      ["item unavailable", { items: [{ variantId: LATTE, quantity: 1 }, { variantId: SOLD_OUT, quantity: 1 }] }, "item-unavailable", "items.1.variantId", /Pumpkin spice is not available/],
      ["item that is not a variant", { items: [{ variantId: "latte", quantity: 1 }] }, "item-not-on-menu", "items.0.variantId", /does not name a product variant/],
      ["quantity zero", { items: latte(0) }, "quantity-invalid", "items.0.quantity", /at least 1 \(got 0\)/],
      ["quantity negative", { items: latte(-2) }, "quantity-invalid", "items.0.quantity", /at least 1 \(got -2\)/],
      ["quantity not whole", { items: latte(1.5) }, "quantity-invalid", "items.0.quantity", /whole number \(got 1.5\)/],
      ["quantity as text", { items: [{ variantId: LATTE, quantity: "2" }] }, "quantity-invalid", "items.0.quantity", /whole number \(got "2"\)/],
      ["quantity too large", { items: latte(21) }, "quantity-invalid", "items.0.quantity", /at most 20 of one item/],
      ["empty cart", { items: [] }, "cart-empty", "items", /at least one item/],
      ["no cart", { items: undefined }, "cart-empty", "items", /at least one item/],
      ["customer id that is not Shopify's", { customerId: "ada@example.com" }, "bad-customer", "customerId", /Shopify customer id/],
    ];
    for (const [name, overrides, code, field, message] of cases) {
      const result = await hold(shop, overrides);
      expect(result, name).toMatchObject({ ok: false, code, field });
      expect(result.ok ? "" : result.message, name).toMatch(message);
    }
    expect(await hold(disabledShop)).toMatchObject({ ok: false, code: "pickup-disabled", field: "locationId" });
    expect(await hold("nowhere.myshopify.com")).toMatchObject({ ok: false, code: "unknown-shop", field: "shop" });
    for (const name of [shop, disabledShop, otherShop]) expect(await pickupRowCounts(db(), name), name).toEqual({ holds: 0, slots: 0, taken: 0 });
    // The same request with valid input succeeds: the refusals above were about the input.
    expect((await hold(shop)).ok).toBe(true);
  });

  it("expired holds give their place back once; expiry is idempotent", async () => {
    const shop = await newShop({ capacityOrders: 2 });
    const first = await hold(shop);
    const second = await hold(shop, { now: minutes(NOW, 3) });
    expect(first.ok && second.ok).toBe(true);
    expect(await hold(shop, { now: minutes(NOW, 5) })).toMatchObject({ ok: false, code: "slot-full" });

    expect(await expireHolds(db(), { shop, now: minutes(NOW, 9) })).toEqual({ expired: 0 });
    expect(await expireHolds(db(), { shop, now: minutes(NOW, 10) })).toEqual({ expired: 1 });
    expect(await expireHolds(db(), { shop, now: minutes(NOW, 10) })).toEqual({ expired: 0 });
    expect(await pickupRowCounts(db(), shop)).toEqual({ holds: 2, slots: 1, taken: 1 });
    if (!first.ok) throw new Error("unreachable");
    expect(await releaseHold(db(), shop, first.hold.id)).toEqual({ released: false, status: "expired" });
    expect(await pickupRowCounts(db(), shop)).toMatchObject({ taken: 1 });

    // A hold past its expiry frees its place when the next member asks, without waiting for the job.
    expect((await hold(shop, { now: minutes(NOW, 11) })).ok).toBe(true);
    expect((await hold(shop, { now: minutes(NOW, 13) })).ok).toBe(true);
    expect(await db().pickupHold.count({ where: { shop, status: "expired" } })).toBe(2);
    expect(await pickupRowCounts(db(), shop)).toMatchObject({ taken: 2 });
  });

  it("expiry racing new holds: each expired place is taken at most once", async () => {
    const shop = await newShop({ capacityOrders: 5 });
    for (let i = 0; i < 5; i++) expect((await hold(shop, { customerId: String(600 + i) })).ok).toBe(true);
    const later = minutes(NOW, 11);
    const racing = await Promise.all([
      ...Array.from({ length: 4 }, () => expireHolds(racers, { shop, now: later })),
      ...Array.from({ length: 40 }, (_, i) => placeHold(racers, { shop, locationId: "1001", slotStart: NINE, customerId: String(700 + i), items: latte(), now: later })),
    ]);
    const expired = racing.slice(0, 4).reduce((sum, r) => sum + ("expired" in r ? r.expired : 0), 0);
    const won = racing.slice(4).filter((r) => "ok" in r && r.ok);
    expect(won).toHaveLength(5);
    expect(expired).toBeLessThanOrEqual(5); // the rest were expired by the holds themselves
    expect(await db().pickupHold.count({ where: { shop, status: "expired" } })).toBe(5);
    expect(await db().pickupHold.count({ where: { shop, status: "held" } })).toBe(5);
    expect(await pickupRowCounts(db(), shop)).toEqual({ holds: 10, slots: 1, taken: 5 });
  });

  it("releasing a hold frees its place once, whoever asks twice", async () => {
    const shop = await newShop({ capacityOrders: 1 });
    const placed = await hold(shop, { items: latte(2) });
    if (!placed.ok) throw new Error(placed.message);
    const releases = await Promise.all(Array.from({ length: 10 }, () => releaseHold(racers, shop, placed.hold.id)));
    expect(releases.filter((r) => r.released)).toHaveLength(1);
    expect(await pickupRowCounts(db(), shop)).toEqual({ holds: 1, slots: 1, taken: 0 });
    const slot = await db().pickupSlot.findFirstOrThrow({ where: { shop } });
    expect(slot.items).toBe(0);
    expect(await releaseHold(db(), "holds-other.myshopify.com", placed.hold.id)).toEqual({ released: false, status: null });
  });

  it("order intake converts a live hold, flags what cannot be trusted, and counts every order once", async () => {
    const shop = await newShop({ capacityOrders: 2 });
    const live = await hold(shop);
    const late = await hold(shop, { items: latte(2) });
    if (!live.ok || !late.ok) throw new Error("holds not placed");

    const paidAt = minutes(NOW, 4);
    expect(await convertHold(db(), shop, live.hold.id, { orderId: "9001", at: paidAt })).toMatchObject({ status: "converted", hold: { status: "converted", orderId: "9001" } });
    expect(await convertHold(db(), shop, live.hold.id, { orderId: "9001", at: paidAt })).toMatchObject({ status: "converted" });
    expect(await convertHold(db(), shop, live.hold.id, { orderId: "9002", at: paidAt })).toMatchObject({ status: "taken", hold: { orderId: "9001" } });
    expect(await releaseHold(db(), shop, live.hold.id)).toEqual({ released: false, status: "converted" });
    expect(await expireHolds(db(), { shop, now: minutes(NOW, 60) })).toEqual({ expired: 1 }); // only the other hold
    expect(await pickupRowCounts(db(), shop)).toMatchObject({ taken: 1 });

    // The late hold expired before its order was paid: the order takes a place of its own, even over capacity.
    expect(await convertHold(db(), shop, late.hold.id, { orderId: "9003", at: minutes(NOW, 30) })).toMatchObject({ status: "expired" });
    expect(await convertHold(db(), shop, "no-such-hold", { orderId: "9004", at: paidAt })).toEqual({ status: "unknown" });
    // Orders 9003 and 9004, each in the transaction that records it.
    for (let order = 0; order < 2; order++) {
      await db().$transaction((tx) => takeOrderPlace(tx, { shop, locationId: "1001", slotStart: NINE, drinkCount: 1 }));
    }
    const slot = await db().pickupSlot.findFirstOrThrow({ where: { shop } });
    expect([slot.orders, slot.items]).toEqual([3, 3]); // the converted hold and two flagged orders, over the capacity of 2
    expect(await hold(shop)).toMatchObject({ ok: false, code: "slot-full" });
    expect(await db().pickupHold.count({ where: { shop, status: "held" } })).toBe(0);
  });

  it("a held hold past its expiry is expired by intake so the order's place is counted once", async () => {
    const shop = await newShop({ capacityOrders: 3 });
    const placed = await hold(shop);
    if (!placed.ok) throw new Error(placed.message);
    expect(await convertHold(db(), shop, placed.hold.id, { orderId: "9100", at: minutes(NOW, 10) })).toMatchObject({ status: "expired", hold: { status: "expired" } });
    expect(await pickupRowCounts(db(), shop)).toMatchObject({ taken: 0 });
  });

  it("attaches a checkout only to a live hold of the same shop", async () => {
    const shop = await newShop();
    const placed = await hold(shop);
    if (!placed.ok) throw new Error(placed.message);
    const checkout = { cartId: "gid://shopify/Cart/c1-abc?key=k1", checkoutUrl: "https://demo-cafe.myshopify.com/cart/c/c1-abc" };
    expect(await attachCheckout(db(), "holds-other.myshopify.com", placed.hold.id, checkout)).toMatchObject({ ok: false, code: "hold-not-found" });
    expect(await attachCheckout(db(), shop, placed.hold.id, { ...checkout, cartId: "cart-1" })).toMatchObject({ ok: false, field: "cartId" });
    expect(await attachCheckout(db(), shop, placed.hold.id, { ...checkout, checkoutUrl: "javascript:alert(1)" })).toMatchObject({ ok: false, field: "checkoutUrl" });
    expect(await attachCheckout(db(), shop, placed.hold.id, checkout)).toMatchObject({ ok: true, hold: { cartId: checkout.cartId, checkoutUrl: checkout.checkoutUrl } });
    await releaseHold(db(), shop, placed.hold.id);
    expect(await attachCheckout(db(), shop, placed.hold.id, checkout)).toMatchObject({ ok: false, code: "hold-not-found" });
    expect(await getHold(db(), "holds-other.myshopify.com", placed.hold.id)).toBeNull();
  });

  it("settings saved for one shop's location are not another shop's", async () => {
    const shop = await newShop();
    const saved = await savePickupSettings(db(), "holds-stranger.myshopify.com", "1001", { ...CAFE_SETTINGS, capacityOrders: 1 });
    expect(saved.ok).toBe(true);
    expect((await hold(shop)).ok).toBe(true);
    expect((await hold(shop)).ok).toBe(true); // still this shop's capacity of 5, not the stranger's 1
  });

  it("expiry without a shop covers every shop with pickup", async () => {
    const shops = [await newShop(), await newShop()];
    for (const shop of shops) expect((await hold(shop)).ok).toBe(true);
    const { expired } = await expireHolds(db(), { now: minutes(NOW, 10) });
    expect(expired).toBeGreaterThanOrEqual(2);
    for (const shop of shops) expect(await pickupRowCounts(db(), shop)).toEqual({ holds: 1, slots: 1, taken: 0 });
  });
});
