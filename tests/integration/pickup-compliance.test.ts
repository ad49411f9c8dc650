import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportCustomerData, redactCustomer, redactShop } from "../../app/compliance/personal-data.server";
import { attachCheckout, placeHold } from "../../app/pickup/holds.server";
import { LATTE, createPickupShop } from "../support/pickup-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Pickup data under the compliance webhooks: a customer's holds and pickup
 * orders are exported and then move to the redaction pseudonym (slot counts
 * unchanged, cart and checkout link gone); shop/redact deletes every pickup
 * row of the shop and nothing of another shop.
 */

const NOW = new Date("2026-03-02T08:01:00Z");
const NINE = new Date("2026-03-02T09:00:00Z");
const kind = stackKinds()[0];

describe.runIf(kind)("pickup data and the compliance webhooks", () => {
  let stack: TestStack;
  const db = () => stack.runtime.db;
  const SHOP = "privacy-cafe.myshopify.com";
  const OTHER = "privacy-other.myshopify.com";

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind);
    for (const shop of [SHOP, OTHER]) {
      await createPickupShop(db(), shop);
      const held = await placeHold(db(), { shop, locationId: "1001", slotStart: NINE, customerId: "501", items: [{ variantId: LATTE, quantity: 1 }], now: NOW });
      if (!held.ok) throw new Error(held.message);
      await attachCheckout(db(), shop, held.hold.id, { cartId: "gid://shopify/Cart/abc?key=k", checkoutUrl: `https://${shop}/cart/c/abc` });
      await db().pickupOrder.create({ data: { shop, orderId: "9001", locationId: "1001", slotStart: NINE, holdId: held.hold.id, customerId: "501", items: [{ title: "Oat latte", quantity: 1 }] } });
      await db().pickupOrder.create({ data: { shop, orderId: "9002", locationId: "1001", slotStart: NINE, customerId: null, items: [{ title: "Oat latte", quantity: 1 }] } });
    }
  }, 180_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it("exports the customer's holds and pickup orders", async () => {
    const exported = await exportCustomerData(db(), SHOP, "501");
    expect(exported).toMatchObject({ pickupHolds: [{ customerId: "501", status: "held" }], pickupOrders: [{ orderId: "9001" }] });
  });

  it("customers/redact moves holds and orders to the pseudonym and keeps the slot counts", async () => {
    const before = await db().pickupSlot.findMany({ where: { shop: SHOP } });
    const { pseudonym } = await redactCustomer(db(), SHOP, "501", ["9002"]);
    expect(await db().pickupHold.findMany({ where: { shop: SHOP }, select: { customerId: true, cartId: true, checkoutUrl: true } })).toEqual([{ customerId: pseudonym, cartId: null, checkoutUrl: null }]);
    expect(await db().pickupOrder.findMany({ where: { shop: SHOP }, orderBy: { orderId: "asc" }, select: { orderId: true, customerId: true } })).toEqual([
      { orderId: "9001", customerId: pseudonym },
      { orderId: "9002", customerId: pseudonym }, // named in orders_to_redact
    ]);
    expect(await db().pickupSlot.findMany({ where: { shop: SHOP } })).toEqual(before);
    // The same customer id in another shop is another person.
    expect(await db().pickupHold.findFirst({ where: { shop: OTHER } })).toMatchObject({ customerId: "501", cartId: "gid://shopify/Cart/abc?key=k" });
  });

  it("shop/redact deletes every pickup row of the shop only", async () => {
    await redactShop(db(), SHOP);
    const left = async (shop: string) => ({
      settings: await db().pickupSettings.count({ where: { shop } }),
      menu: await db().pickupMenuItem.count({ where: { shop } }),
      slots: await db().pickupSlot.count({ where: { shop } }),
      holds: await db().pickupHold.count({ where: { shop } }),
      orders: await db().pickupOrder.count({ where: { shop } }),
    });
    expect(await left(SHOP)).toEqual({ settings: 0, menu: 0, slots: 0, holds: 0, orders: 0 });
    expect(await left(OTHER)).toEqual({ settings: 1, menu: 4, slots: 1, holds: 1, orders: 2 });
  });
});
