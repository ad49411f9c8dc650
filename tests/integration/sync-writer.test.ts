import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertOrder, upsertRefund } from "../../app/sync/orders.server";
import { markCustomerDeleted, upsertCustomer } from "../../app/sync/customers.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";
import { customer, order } from "../support/sync-fixtures";
import { withLineItemsOf } from "../support/line-items";

const SHOP = "north-cafe.myshopify.com";
const OTHER = "south-cafe.myshopify.com";
const later = (iso: string) => new Date(iso);

describe.each(stackKinds().filter((k) => k.queue === "postgres"))("sync writer on $name", (kind) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack(kind);
  });
  afterAll(async () => stack?.stop());

  it("creates an order with its line items, then ignores a duplicate and an older version", async () => {
    const db = stack.runtime.db;
    expect(await upsertOrder(db, SHOP, order(), "webhook")).toBe("created");
    expect(await upsertOrder(db, SHOP, order(), "webhook")).toBe("stale");
    expect(
      await upsertOrder(db, SHOP, order({ totalPrice: "1.00", shopifyUpdatedAt: later("2026-11-01T00:00:00Z") }), "webhook"),
    ).toBe("stale");
    const stored = await withLineItemsOf(db, await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "1001" } } }));
    expect(stored.totalPrice.toString()).toBe("7.4");
    expect(stored.lineItems.map((i) => i.sku).sort()).toEqual(["CROISSANT", "LATTE-OAT"]);
  });

  it("applies a newer version, replacing line items", async () => {
    const db = stack.runtime.db;
    const newer = order({
      shopifyUpdatedAt: later("2026-11-02T09:00:00Z"),
      cancelledAt: later("2026-11-02T09:00:00Z"),
      lineItems: [{ id: "1", productId: "9", variantId: "91", sku: "LATTE-OAT", title: "Oat latte", quantity: 2, price: "3.90" }],
    });
    expect(await upsertOrder(db, SHOP, newer, "webhook")).toBe("updated");
    const stored = await withLineItemsOf(db, await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "1001" } } }));
    expect(stored.cancelledAt?.toISOString()).toBe("2026-11-02T09:00:00.000Z");
    expect(stored.lineItems).toHaveLength(1);
    expect(stored.lineItems[0]?.quantity).toBe(2);
  });

  it("an update that arrives before its create still produces the right row", async () => {
    const db = stack.runtime.db;
    const update = order({ id: "2002", totalPrice: "9.00", shopifyUpdatedAt: later("2026-11-03T10:00:00Z") });
    const create = order({ id: "2002", totalPrice: "8.00", shopifyUpdatedAt: later("2026-11-03T09:00:00Z") });
    expect(await upsertOrder(db, SHOP, update, "webhook")).toBe("created");
    expect(await upsertOrder(db, SHOP, create, "webhook")).toBe("stale");
    const stored = await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "2002" } } });
    expect(stored.totalPrice.toString()).toBe("9");
  });

  it("counts a refund once, whether it comes before or after its order", async () => {
    const db = stack.runtime.db;
    const refund = { id: "r1", orderId: "3003", amount: "2.50", createdAt: later("2026-11-04T10:00:00Z") };
    expect(await upsertRefund(db, SHOP, refund)).toBe("created");
    expect(await upsertRefund(db, SHOP, refund)).toBe("duplicate");
    await upsertOrder(db, SHOP, order({ id: "3003", shopifyUpdatedAt: later("2026-11-04T09:00:00Z") }), "webhook");
    let stored = await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "3003" } } });
    expect(stored.refundedAmount.toString()).toBe("2.5");
    await upsertOrder(db, SHOP, order({ id: "3003", shopifyUpdatedAt: later("2026-11-04T11:00:00Z"), refunds: [refund] }), "webhook");
    stored = await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "3003" } } });
    expect(stored.refundedAmount.toString()).toBe("2.5");
  });

  it("keeps shops apart: the same order id in another shop is another order", async () => {
    const db = stack.runtime.db;
    expect(await upsertOrder(db, OTHER, order({ totalPrice: "99.00" }), "webhook")).toBe("created");
    const mine = await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "1001" } } });
    expect(mine.totalPrice.toString()).toBe("7.4");
  });

  it("upserts customers by version and never revives a deleted one", async () => {
    const db = stack.runtime.db;
    expect(await upsertCustomer(db, SHOP, customer(), "webhook")).toBe("created");
    expect(await upsertCustomer(db, SHOP, customer({ email: "old@example.com", shopifyUpdatedAt: later("2026-09-01T00:00:00Z") }), "webhook")).toBe("stale");
    expect(await upsertCustomer(db, SHOP, customer({ email: "new@example.com", shopifyUpdatedAt: later("2026-10-02T00:00:00Z") }), "webhook")).toBe("updated");
    await markCustomerDeleted(db, SHOP, "501", later("2026-10-03T00:00:00Z"));
    expect(await upsertCustomer(db, SHOP, customer({ shopifyUpdatedAt: later("2026-10-04T00:00:00Z") }), "webhook")).toBe("stale");
    const stored = await db.customer.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "501" } } });
    expect(stored.email).toBe("new@example.com");
    expect(stored.deletedAt).not.toBeNull();
  });

  it("lets any Shopify version replace an imported customer", async () => {
    const db = stack.runtime.db;
    await upsertCustomer(db, SHOP, customer({ id: "777", shopifyUpdatedAt: null, email: "csv@example.com" }), "import");
    expect(await upsertCustomer(db, SHOP, customer({ id: "777", email: "shopify@example.com" }), "webhook")).toBe("updated");
  });
});
