import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendTransactional } from "../../app/campaigns/transactional.server";
import { placeHold } from "../../app/pickup/holds.server";
import { intakePickupOrders } from "../../app/pickup/intake.server";
import { listPickupQueue, movePickupOrder, QueueInputError, type QueueDeps } from "../../app/pickup/queue.server";
import { insertMembers, reachableMember } from "../support/campaign-fixtures";
import { createPickupShop, FLAT_WHITE, LATTE } from "../support/pickup-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The barista's queue on real PostgreSQL: orders move only along
 * new → preparing → ready → picked-up (or no-show), asking again for the
 * state an order is in changes nothing, another shop cannot see or move an
 * order, and marking ready sends the member one push however often it is
 * clicked.
 */

const at = (iso: string) => new Date(iso);
// Monday 2 March 2026 in London (GMT).
const NOW = at("2026-03-02T08:01:00Z");
const NINE = at("2026-03-02T09:00:00Z");
const NINE_TEN = at("2026-03-02T09:10:00Z");

describe.each(stackKinds())("the pickup queue on $name", (kind) => {
  let stack: TestStack;
  let shopCount = 0;
  let orderCount = 0;
  const db = () => stack.runtime.db;
  const deps = (): QueueDeps => ({ db: db(), sendTransactional: (request) => sendTransactional(stack.runtime, request) });

  beforeAll(async () => {
    stack = await startTestStack(kind);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function newShop(): Promise<string> {
    const shop = `queue-${++shopCount}.myshopify.com`;
    await createPickupShop(db(), shop);
    return shop;
  }

  /** A paid pickup order taken in through intake, with its hold. */
  async function paidOrder(shop: string, options: { customerId?: string | null; slotStart?: Date; variantId?: string; holdId?: string } = {}): Promise<string> {
    const slotStart = options.slotStart ?? NINE;
    const customerId = options.customerId === undefined ? "501" : options.customerId;
    const items = [{ variantId: options.variantId ?? FLAT_WHITE, quantity: 1 }];
    let holdId = options.holdId;
    if (!holdId) {
      const placed = await placeHold(db(), { shop, locationId: "1001", slotStart, customerId, items, now: NOW });
      if (!placed.ok) throw new Error(placed.message);
      holdId = placed.hold.id;
    }
    const orderId = String(5_500_000_000_000 + ++orderCount);
    await db().order.create({
      data: { shop, id: orderId, name: `#${1000 + orderCount}`, customerId, channel: "web", currency: "GBP", totalPrice: "3.20", processedAt: NOW, shopifyUpdatedAt: NOW, source: "webhook" },
    });
    await intakePickupOrders(db(), shop, [
      {
        orderId,
        customerId,
        processedAt: new Date(NOW.getTime() + 60_000),
        attributes: { holdId, locationId: "1001", slotStart },
        lines: items.map((item) => ({ variantId: item.variantId, title: item.variantId === FLAT_WHITE ? "Flat white" : "Oat latte", quantity: item.quantity })),
      },
    ]);
    return orderId;
  }

  const state = async (shop: string, orderId: string) => (await db().pickupOrder.findUnique({ where: { shop_orderId: { shop, orderId } } }))?.state;

  it("moves an order new → preparing → ready → picked-up, stamping each step, and refuses to go back or on from a final state", async () => {
    const shop = await newShop();
    const orderId = await paidOrder(shop, { customerId: null });
    const prepared = await movePickupOrder(deps(), shop, { orderId, to: "preparing" }, NOW);
    expect(prepared).toEqual({ ok: true, orderId, state: "preparing", changed: true, push: null });
    expect(await movePickupOrder(deps(), shop, { orderId, to: "preparing" })).toMatchObject({ ok: true, changed: false });
    expect(await movePickupOrder(deps(), shop, { orderId, to: "ready" })).toMatchObject({ ok: true, state: "ready", push: { sent: false, reason: "no-customer" } });
    expect(await movePickupOrder(deps(), shop, { orderId, to: "preparing" })).toEqual({
      ok: false,
      code: "invalid-transition",
      message: `Order ${orderId} is ready; it cannot be marked preparing.`,
    });
    expect(await movePickupOrder(deps(), shop, { orderId, to: "picked-up" })).toMatchObject({ ok: true, changed: true });
    expect(await movePickupOrder(deps(), shop, { orderId, to: "no-show" })).toMatchObject({ ok: false, code: "invalid-transition" });
    const row = await db().pickupOrder.findUniqueOrThrow({ where: { shop_orderId: { shop, orderId } } });
    expect(row).toMatchObject({ state: "picked-up", preparingAt: NOW, readyAt: expect.any(Date), pickedUpAt: expect.any(Date), noShowAt: null });
  });

  it("marks a no-show from new, preparing or ready, and then nothing else", async () => {
    const shop = await newShop();
    const orderId = await paidOrder(shop);
    expect(await movePickupOrder(deps(), shop, { orderId, to: "no-show" })).toMatchObject({ ok: true, state: "no-show", changed: true });
    expect(await movePickupOrder(deps(), shop, { orderId, to: "ready" })).toMatchObject({ ok: false, code: "invalid-transition" });
    expect(await state(shop, orderId)).toBe("no-show");
  });

  it("refuses to move another shop's order and reports it as unknown", async () => {
    const shopA = await newShop();
    const shopB = await newShop();
    const orderId = await paidOrder(shopA);
    expect(await movePickupOrder(deps(), shopB, { orderId, to: "preparing" })).toEqual({ ok: false, code: "not-found", message: `There is no pickup order ${orderId} in this shop.` });
    expect(await state(shopA, orderId)).toBe("new");
    expect(await movePickupOrder(deps(), shopA, { orderId: "5599999999999", to: "ready" })).toMatchObject({ ok: false, code: "not-found" });
  });

  it("sends the member one order-ready push when marked ready, however often (and however many at once) it is clicked", async () => {
    const shop = await newShop();
    await insertMembers(db(), shop, [reachableMember("601")], NOW);
    const orderId = await paidOrder(shop, { customerId: "601" });
    const clicks = await Promise.all([1, 2, 3].map(() => movePickupOrder(deps(), shop, { orderId, to: "ready" })));
    expect(clicks.every((click) => click.ok && click.state === "ready")).toBe(true);
    expect(clicks.filter((click) => click.ok && click.changed)).toHaveLength(1);
    const again = await movePickupOrder(deps(), shop, { orderId, to: "ready" });
    expect(again).toMatchObject({ ok: true, changed: false, push: { sent: true } });

    const pushes = await db().pushDelivery.findMany({ where: { shop, kind: "transactional" } });
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ customerId: "601", urgency: "high", topic: `order-ready-${orderId}`.slice(0, 32) });
    expect(pushes[0]?.payload).toMatchObject({ title: "Your order is ready", body: "Your flat white is waiting for you at the counter." });
    const row = await db().pickupOrder.findUniqueOrThrow({ where: { shop_orderId: { shop, orderId } } });
    expect(row.readyDeliveryId).toBe(pushes[0]?.id);
  });

  it("lists a location's day grouped by slot, with member names, items, flags and next steps, and nothing of other shops", async () => {
    const shop = await newShop();
    const other = await newShop();
    await db().customer.create({ data: { shop, id: "701", firstName: "Ada", lastName: "Lovelace", source: "webhook" } });
    const first = await paidOrder(shop, { customerId: "701" });
    const second = await paidOrder(shop, { customerId: null, slotStart: NINE_TEN, variantId: LATTE });
    const flagged = await paidOrder(shop, { customerId: null, slotStart: NINE_TEN, holdId: "DDDDDDDDDDDDDDDDDDDDDD" });
    await paidOrder(other);
    await movePickupOrder(deps(), shop, { orderId: second, to: "preparing" });

    const queue = await listPickupQueue(db(), { shop, locationId: "1001", date: "2026-03-02" });
    expect(queue).toMatchObject({ date: "2026-03-02", timezone: "Europe/London" });
    expect(queue.slots.map((slot) => [slot.label, slot.cards.map((card) => card.orderId)])).toEqual([
      ["09:00", [first]],
      ["09:10", [second, flagged]],
    ]);
    expect(queue.slots[0]?.cards[0]).toMatchObject({ customerName: "Ada Lovelace", items: [{ title: "Flat white", quantity: 1 }], state: "new", flag: null, next: ["preparing", "ready", "no-show"] });
    expect(queue.slots[1]?.cards[0]).toMatchObject({ customerName: null, state: "preparing", next: ["ready", "no-show"] });
    expect(queue.slots[1]?.cards[1]).toMatchObject({ flag: "unknown-hold" });
    expect((await listPickupQueue(db(), { shop, locationId: "1001", date: "2026-03-03" })).slots).toEqual([]);
    await expect(listPickupQueue(db(), { shop, locationId: "1001", date: "2026-02-30" })).rejects.toThrow(QueueInputError);
    await expect(listPickupQueue(db(), { shop, locationId: "north", date: "2026-03-02" })).rejects.toThrow(/location id must be a Shopify location id/);
  });

  it("shows a flagged order whose location is not a pickup location in the queue, so staff can check it", async () => {
    const shop = await newShop();
    const orderId = String(5_600_000_000_000 + ++orderCount);
    await intakePickupOrders(db(), shop, [
      {
        orderId,
        customerId: null,
        processedAt: NINE,
        attributes: { holdId: "EEEEEEEEEEEEEEEEEEEEEE", locationId: null, slotStart: null },
        lines: [{ variantId: FLAT_WHITE, title: "Flat White", quantity: 1 }],
      },
    ]);
    const queue = await listPickupQueue(db(), { shop, locationId: "1001", date: "2026-03-02" });
    expect(queue.slots.flatMap((slot) => slot.cards.map((card) => [card.orderId, card.flag]))).toEqual([[orderId, "unknown-hold"]]);
  });
});
