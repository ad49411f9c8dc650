import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactCustomer, redactShop } from "../../app/compliance/personal-data.server";
import type { Database } from "../../app/db/prisma.server";
import { upsertOrder } from "../../app/sync/orders.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";
import { order } from "../support/sync-fixtures";

/**
 * "LineItem" has no foreign key to "Order" (docs/decisions/0009-*): nothing in
 * the database deletes an order's line items with it, so every path that
 * deletes or moves orders must leave no line item behind without its order.
 */

const SHOP = "lines-north.myshopify.com";
const OTHER = "lines-south.myshopify.com";

async function lineItemsOf(db: Database, shop: string): Promise<number> {
  return db.lineItem.count({ where: { shop } });
}

/** Line items whose order is not in the Order table, in any shop. */
async function orphanLineItems(db: Database): Promise<number> {
  const rows = await db.$queryRaw<Array<{ n: bigint }>>`
    SELECT count(*) AS n FROM "LineItem" li
    WHERE NOT EXISTS (SELECT 1 FROM "Order" o WHERE o.shop = li.shop AND o.id = li."orderId")`;
  return Number(rows[0]?.n ?? -1);
}

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("line items without a foreign key on $name", (kind) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack(kind);
  });
  afterAll(async () => stack?.stop());

  it("the schema holds no foreign key from LineItem", async () => {
    const rows = await stack.runtime.db.$queryRaw<Array<{ n: bigint }>>`
      SELECT count(*) AS n FROM pg_constraint WHERE conrelid = '"LineItem"'::regclass AND contype = 'f'`;
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it("shop/redact deletes the shop's line items with its orders, and no other shop's", async () => {
    const db = stack.runtime.db;
    for (const shop of [SHOP, OTHER]) {
      await upsertOrder(db, shop, order({ id: "1" }), "webhook");
      await upsertOrder(db, shop, order({ id: "2", customerId: null }), "webhook");
    }
    expect(await lineItemsOf(db, SHOP)).toBe(4);
    const otherBefore = await lineItemsOf(db, OTHER);

    await redactShop(db, SHOP);

    expect(await db.order.count({ where: { shop: SHOP } })).toBe(0);
    expect(await lineItemsOf(db, SHOP)).toBe(0);
    expect(await lineItemsOf(db, OTHER)).toBe(otherBefore);
    expect(await orphanLineItems(db)).toBe(0);
  });

  it("customers/redact keeps the orders and their line items together under the pseudonym", async () => {
    const db = stack.runtime.db;
    await upsertOrder(db, SHOP, order({ id: "3", customerId: "777" }), "webhook");
    const before = await db.lineItem.findMany({ where: { shop: SHOP, orderId: "3" }, orderBy: { id: "asc" } });
    expect(before).toHaveLength(2);

    const { pseudonym } = await redactCustomer(db, SHOP, "777", ["3"]);

    expect((await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "3" } } })).customerId).toBe(pseudonym);
    expect(await db.lineItem.findMany({ where: { shop: SHOP, orderId: "3" }, orderBy: { id: "asc" } })).toEqual(before);
    expect(await orphanLineItems(db)).toBe(0);
  });

  it("a newer version of an order replaces its line items, leaving none of the old ones", async () => {
    const db = stack.runtime.db;
    await upsertOrder(db, OTHER, order({ id: "4" }), "webhook");
    const newer = order({
      id: "4",
      shopifyUpdatedAt: new Date("2026-11-03T08:15:00Z"),
      lineItems: [{ id: "9", productId: null, variantId: null, sku: "FLAT-WHITE", title: "Flat white", quantity: 1, price: "3.40" }],
    });
    expect(await upsertOrder(db, OTHER, newer, "webhook")).toBe("updated");
    expect((await db.lineItem.findMany({ where: { shop: OTHER, orderId: "4" } })).map((item) => item.id)).toEqual(["9"]);
    expect(await orphanLineItems(db)).toBe(0);
  });
});
