import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PICKUP_HOLD_ATTRIBUTE, PICKUP_LOCATION_ATTRIBUTE, PICKUP_SLOT_ATTRIBUTE } from "../../app/pickup/attributes";
import { placeHold, type PickupHold } from "../../app/pickup/holds.server";
import { takePickupOrders } from "../../app/pickup/intake.server";
import type { SyncedOrder } from "../../app/sync/types";
import { CROISSANT, createPickupShop, FLAT_WHITE, LATTE } from "../support/pickup-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Order intake on real PostgreSQL: an order carrying a pickup hold joins the
 * queue only as far as it matches its hold; every way it can fail to match is
 * flagged for staff, never trusted; the same order delivered again (or
 * updated, or out of order) changes nothing; a hold id from another shop is
 * unknown here.
 */

const at = (iso: string) => new Date(iso);
const minutes = (base: Date, n: number) => new Date(base.getTime() + n * 60_000);
// Monday 2 March 2026, 08:01 in London (GMT).
const NOW = at("2026-03-02T08:01:00Z");
const NINE = at("2026-03-02T09:00:00Z");

describe.each(stackKinds())("pickup order intake on $name", (kind) => {
  let stack: TestStack;
  let shopCount = 0;
  let orderCount = 0;
  const db = () => stack.runtime.db;

  beforeAll(async () => {
    stack = await startTestStack(kind);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function newShop(): Promise<string> {
    const shop = `intake-${++shopCount}.myshopify.com`;
    await createPickupShop(db(), shop);
    return shop;
  }

  async function hold(shop: string, items = [{ variantId: LATTE, quantity: 2 }, { variantId: CROISSANT, quantity: 1 }], customerId: string | null = "501"): Promise<PickupHold> {
    const placed = await placeHold(db(), { shop, locationId: "1001", slotStart: NINE, customerId, items, now: NOW });
    if (!placed.ok) throw new Error(placed.message);
    return placed.hold;
  }

  /** An order as the webhook drain hands it over: the hold's items and attributes unless told otherwise. */
  function order(held: PickupHold | null, overrides: Partial<SyncedOrder> & { attributes?: Record<string, string> } = {}): SyncedOrder {
    const id = String(5_400_000_000_000 + ++orderCount);
    const { attributes, ...rest } = overrides;
    const noteAttributes = Object.entries(
      attributes ?? { [PICKUP_HOLD_ATTRIBUTE]: held?.id ?? "missing", [PICKUP_LOCATION_ATTRIBUTE]: held?.locationId ?? "1001", [PICKUP_SLOT_ATTRIBUTE]: (held?.slotStart ?? NINE).toISOString() },
    ).map(([name, value]) => ({ name, value }));
    return {
      id,
      name: `#${orderCount}`,
      customerId: null,
      locationId: null,
      channel: "web",
      sourceName: "web",
      currency: "GBP",
      totalPrice: "9.60",
      subtotalPrice: "9.60",
      totalDiscounts: "0.00",
      financialStatus: "paid",
      processedAt: minutes(NOW, 2),
      cancelledAt: null,
      noteAttributes,
      shopifyCreatedAt: minutes(NOW, 2),
      shopifyUpdatedAt: minutes(NOW, 2),
      lineItems: (held?.items ?? [{ variantId: LATTE, title: "Oat latte", quantity: 1 }]).map((item, index) => ({
        id: `${id}${index}`,
        productId: null,
        variantId: item.variantId,
        sku: null,
        title: item.title,
        quantity: item.quantity,
        price: "3.60",
      })),
      refunds: [],
      ...rest,
    };
  }

  const stored = (shop: string, orderId: string) => db().pickupOrder.findUnique({ where: { shop_orderId: { shop, orderId } } });
  const slotCounts = async (shop: string, slotStart = NINE) => {
    const slot = await db().pickupSlot.findUnique({ where: { shop_locationId_slotStart: { shop, locationId: "1001", slotStart } } });
    return slot ? [slot.orders, slot.items] : null;
  };

  it("takes in an order that matches its live hold, unflagged, and converts the hold without taking a second place", async () => {
    const shop = await newShop();
    const held = await hold(shop);
    const paid = order(held);
    expect(await takePickupOrders(db(), shop, [paid])).toEqual([{ orderId: paid.id, locationId: "1001", slotStart: NINE, flag: null }]);
    expect(await stored(shop, paid.id)).toMatchObject({
      locationId: "1001",
      slotStart: NINE,
      holdId: held.id,
      customerId: "501",
      state: "new",
      flag: null,
      items: [{ title: "Oat latte", quantity: 2 }, { title: "Croissant", quantity: 1 }],
    });
    expect(await db().pickupHold.findUnique({ where: { shop_id: { shop, id: held.id } } })).toMatchObject({ status: "converted", orderId: paid.id });
    expect(await slotCounts(shop)).toEqual([1, 2]);
  });

  it.each([
    ["slot-mismatch", { [PICKUP_SLOT_ATTRIBUTE]: "2026-03-02T08:30:00.000Z" }],
    ["location-mismatch", { [PICKUP_LOCATION_ATTRIBUTE]: "1002" }],
  ] as const)("flags %s when the order's attributes differ from its hold, and queues it where the hold was", async (flag, changed) => {
    const shop = await newShop();
    const held = await hold(shop);
    const paid = order(held, { attributes: { [PICKUP_HOLD_ATTRIBUTE]: held.id, [PICKUP_LOCATION_ATTRIBUTE]: "1001", [PICKUP_SLOT_ATTRIBUTE]: NINE.toISOString(), ...changed } });
    await takePickupOrders(db(), shop, [paid]);
    expect(await stored(shop, paid.id)).toMatchObject({ flag, locationId: "1001", slotStart: NINE });
    expect(await slotCounts(shop)).toEqual([1, 2]);
  });

  it("flags items-mismatch when the paid items are not the held ones (more of an item, or another item)", async () => {
    const shop = await newShop();
    const held = await hold(shop);
    const more = order(held, { lineItems: [{ id: "1", productId: null, variantId: LATTE, sku: null, title: "Oat latte", quantity: 3, price: "3.60" }, { id: "2", productId: null, variantId: CROISSANT, sku: null, title: "Croissant", quantity: 1, price: "2.40" }] });
    await takePickupOrders(db(), shop, [more]);
    expect(await stored(shop, more.id)).toMatchObject({ flag: "items-mismatch", items: [{ title: "Oat latte", quantity: 3 }, { title: "Croissant", quantity: 1 }] });

    const second = await hold(shop, [{ variantId: FLAT_WHITE, quantity: 1 }]);
    const swapped = order(second, { lineItems: [{ id: "3", productId: null, variantId: LATTE, sku: null, title: "Oat latte", quantity: 1, price: "3.60" }] });
    await takePickupOrders(db(), shop, [swapped]);
    expect((await stored(shop, swapped.id))?.flag).toBe("items-mismatch");
  });

  it("flags expired-hold when the order was processed after the hold ran out, freeing the hold's place for the order's own", async () => {
    const shop = await newShop();
    const held = await hold(shop);
    const late = order(held, { processedAt: minutes(held.expiresAt, 1) });
    await takePickupOrders(db(), shop, [late]);
    expect(await stored(shop, late.id)).toMatchObject({ flag: "expired-hold", locationId: "1001", slotStart: NINE, customerId: "501" });
    expect((await db().pickupHold.findUnique({ where: { shop_id: { shop, id: held.id } } }))?.status).toBe("expired");
    expect(await slotCounts(shop)).toEqual([1, 2]);

    // A hold the member released before paying is just as stale.
    const released = await hold(shop);
    await db().pickupHold.update({ where: { shop_id: { shop, id: released.id } }, data: { status: "released" } });
    const afterRelease = order(released);
    await takePickupOrders(db(), shop, [afterRelease]);
    expect((await stored(shop, afterRelease.id))?.flag).toBe("expired-hold");
  });

  it("flags unknown-hold for a made-up hold id, and takes a place at the slot the order names", async () => {
    const shop = await newShop();
    const invented = order(null, { attributes: { [PICKUP_HOLD_ATTRIBUTE]: "AAAAAAAAAAAAAAAAAAAAAA", [PICKUP_LOCATION_ATTRIBUTE]: "1001", [PICKUP_SLOT_ATTRIBUTE]: NINE.toISOString() } });
    await takePickupOrders(db(), shop, [invented]);
    expect(await stored(shop, invented.id)).toMatchObject({ flag: "unknown-hold", locationId: "1001", slotStart: NINE, holdId: "AAAAAAAAAAAAAAAAAAAAAA" });
    expect(await slotCounts(shop)).toEqual([1, 1]);
  });

  it("flags unknown-hold for a second order that copies a hold already converted by another", async () => {
    const shop = await newShop();
    const held = await hold(shop);
    const first = order(held);
    const copy = order(held);
    await takePickupOrders(db(), shop, [first, copy]);
    expect((await stored(shop, first.id))?.flag).toBeNull();
    expect((await stored(shop, copy.id))?.flag).toBe("unknown-hold");
    expect((await db().pickupHold.findUnique({ where: { shop_id: { shop, id: held.id } } }))?.orderId).toBe(first.id);
  });

  it("treats a hold id from another shop as unknown, leaving the other shop's hold alone", async () => {
    const shopA = await newShop();
    const shopB = await newShop();
    const heldInA = await hold(shopA);
    const inB = order(heldInA);
    await takePickupOrders(db(), shopB, [inB]);
    expect(await stored(shopB, inB.id)).toMatchObject({ flag: "unknown-hold" });
    expect(await stored(shopA, inB.id)).toBeNull();
    expect(await db().pickupHold.findUnique({ where: { shop_id: { shop: shopA, id: heldInA.id } } })).toMatchObject({ status: "held", orderId: null });
  });

  it("is idempotent: create, paid and updated deliveries — together, repeated or out of order — take the order in once", async () => {
    const shop = await newShop();
    const held = await hold(shop);
    const created = order(held);
    const updated = { ...created, shopifyUpdatedAt: minutes(created.shopifyUpdatedAt, 5), financialStatus: "paid" };
    // orders/updated drained before orders/create, then both again, then alone.
    expect(await takePickupOrders(db(), shop, [updated, created])).toHaveLength(1);
    expect(await takePickupOrders(db(), shop, [created, updated])).toEqual([]);
    expect(await takePickupOrders(db(), shop, [created])).toEqual([]);
    expect(await db().pickupOrder.count({ where: { shop } })).toBe(1);
    expect((await stored(shop, created.id))?.flag).toBeNull();
    expect(await slotCounts(shop)).toEqual([1, 2]);

    // A flagged order delivered again takes no second place.
    const invented = order(null, { attributes: { [PICKUP_HOLD_ATTRIBUTE]: "BBBBBBBBBBBBBBBBBBBBBB", [PICKUP_LOCATION_ATTRIBUTE]: "1001", [PICKUP_SLOT_ATTRIBUTE]: NINE.toISOString() } });
    await takePickupOrders(db(), shop, [invented]);
    await takePickupOrders(db(), shop, [invented]);
    expect(await slotCounts(shop)).toEqual([2, 3]);
  });

  it("keeps the member of a guest checkout from the hold, and ignores orders without a pickup hold", async () => {
    const shop = await newShop();
    const held = await hold(shop, undefined, "777");
    const guest = order(held, { customerId: null });
    const counter = order(null, { attributes: { pickup_note: "by the window" } });
    const outcomes = await takePickupOrders(db(), shop, [guest, counter]);
    expect(outcomes.map((outcome) => outcome.orderId)).toEqual([guest.id]);
    expect((await stored(shop, guest.id))?.customerId).toBe("777");
    expect(await stored(shop, counter.id)).toBeNull();
    expect(await takePickupOrders(db(), shop, [counter])).toEqual([]);
  });

  it("queues a flagged order with no readable location or slot at its processed time, so staff still see it", async () => {
    const shop = await newShop();
    const bare = order(null, { attributes: { [PICKUP_HOLD_ATTRIBUTE]: "CCCCCCCCCCCCCCCCCCCCCC", [PICKUP_SLOT_ATTRIBUTE]: "tomorrow" } });
    await takePickupOrders(db(), shop, [bare]);
    expect(await stored(shop, bare.id)).toMatchObject({ flag: "unknown-hold", locationId: "", slotStart: bare.processedAt });
  });
});
