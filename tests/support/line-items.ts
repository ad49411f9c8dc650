import type { LineItem } from "../../app/db/generated/client";
import type { Database } from "../../app/db/prisma.server";

/**
 * Orders with their line items attached (by line item id), as
 * `include: { lineItems: true }` gave before "LineItem" lost its relation to
 * "Order" (docs/decisions/0009-line-items-without-foreign-key.md). Read from
 * the LineItem table itself, so a test sees exactly what is stored there.
 */
export async function withLineItems<T extends { shop: string; id: string }>(db: Database, orders: T[]): Promise<Array<T & { lineItems: LineItem[] }>> {
  const byOrder = new Map<string, LineItem[]>();
  for (const shop of new Set(orders.map((order) => order.shop))) {
    const ids = orders.filter((order) => order.shop === shop).map((order) => order.id);
    const items = await db.lineItem.findMany({ where: { shop, orderId: { in: ids } }, orderBy: [{ orderId: "asc" }, { id: "asc" }] });
    for (const item of items) {
      const key = `${shop}\n${item.orderId}`;
      const list = byOrder.get(key);
      if (list) list.push(item);
      else byOrder.set(key, [item]);
    }
  }
  return orders.map((order) => ({ ...order, lineItems: byOrder.get(`${order.shop}\n${order.id}`) ?? [] }));
}

/** One order with its line items (see withLineItems). */
export async function withLineItemsOf<T extends { shop: string; id: string }>(db: Database, order: T): Promise<T & { lineItems: LineItem[] }> {
  const [found] = await withLineItems(db, [order]);
  if (!found) throw new Error(`order ${order.id} vanished`);
  return found;
}
