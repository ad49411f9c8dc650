import { randomUUID } from "node:crypto";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rebuildVisits } from "../../app/analytics/visits.server";
import { applyRetention } from "../../app/settings/retention.server";
import { registerInstall } from "../../app/shops/shops.server";
import { upsertOrder } from "../../app/sync/orders.server";
import { processDataRetention } from "../../jobs/processors/data-retention";
import { order } from "../support/sync-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The retention period: orders older than the shop's period are anonymised
 * (no customer, no note attributes; totals, items and refunds stay); visits,
 * applied webhook deliveries and sent pushes older than it are deleted — for
 * that shop only, once; younger data and other shops' data stay.
 */

const NORTH = "north-cafe.myshopify.com";
const SOUTH = "south-cafe.myshopify.com";
const NOW = new Date("2026-11-20T12:00:00Z");
const OLD = new Date("2026-08-01T09:00:00Z");
const RECENT = new Date("2026-11-10T09:00:00Z");

const kind = stackKinds()[0];

describe.runIf(kind)("data retention", () => {
  let stack: TestStack;

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind);
    const db = stack.runtime.db;
    for (const shop of [NORTH, SOUTH]) {
      await registerInstall(db, { domain: shop, timezone: "Europe/London", currency: "GBP" });
      for (const [id, at] of [["1", OLD], ["2", RECENT]] as const) {
        await upsertOrder(db, shop, order({ id, name: `#${id}`, noteAttributes: [{ name: "gift_message", value: "Happy birthday, Sam" }], processedAt: at, shopifyCreatedAt: at, shopifyUpdatedAt: at, refunds: id === "1" ? [{ id: "r1", orderId: id, amount: "1.00", createdAt: at }] : [] }), "webhook");
      }
      await rebuildVisits(db, shop);
      for (const [status, at] of [["processed", OLD], ["received", OLD], ["processed", RECENT]] as const) {
        await db.webhookDelivery.create({ data: { shop, eventId: randomUUID(), webhookId: "w", topic: "orders/create", status, receivedAt: at } });
      }
      for (const [status, at] of [["sent", OLD], ["queued", OLD], ["sent", RECENT]] as const) {
        await db.pushDelivery.create({ data: { shop, id: randomUUID(), subscriptionId: "s", kind: "test", payload: {}, ttlSeconds: 60, status, scheduledFor: at, createdAt: at } });
      }
    }
    await db.shopSettings.create({ data: { shop: NORTH, dataRetentionDays: 30 } });
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const counts = async (shop: string) => {
    const db = stack.runtime.db;
    return {
      orders: await db.order.count({ where: { shop } }),
      lineItems: await db.lineItem.count({ where: { shop } }),
      refunds: await db.refund.count({ where: { shop } }),
      visits: await db.visit.count({ where: { shop } }),
      webhookDeliveries: await db.webhookDelivery.count({ where: { shop } }),
      pushDeliveries: await db.pushDelivery.count({ where: { shop } }),
    };
  };

  it("keeps everything for a shop without a period", async () => {
    const outcome = await applyRetention(stack.runtime.db, SOUTH, NOW);
    expect(outcome).toMatchObject({ retentionDays: null, anonymised: { orders: 0 }, deleted: { visits: 0 } });
    expect(await counts(SOUTH)).toEqual({ orders: 2, lineItems: 4, refunds: 1, visits: 2, webhookDeliveries: 3, pushDeliveries: 3 });
  });

  it("anonymises old orders and deletes old derived and delivery data, only for that shop, once, and records it", async () => {
    const db = stack.runtime.db;
    expect(await counts(NORTH)).toEqual({ orders: 2, lineItems: 4, refunds: 1, visits: 2, webhookDeliveries: 3, pushDeliveries: 3 });
    const outcome = await applyRetention(db, NORTH, NOW);
    expect(outcome.anonymised).toEqual({ orders: 1, pickupOrders: 0 });
    expect(outcome.deleted).toEqual({ visits: 1, webhookDeliveries: 1, pushDeliveries: 1 });
    // The old order stays for the shop's trade figures, no longer linked to anybody.
    expect(await counts(NORTH)).toEqual({ orders: 2, lineItems: 4, refunds: 1, visits: 1, webhookDeliveries: 2, pushDeliveries: 2 });
    const orders = await db.order.findMany({ where: { shop: NORTH }, select: { id: true, customerId: true, noteAttributes: true, totalPrice: true }, orderBy: { id: "asc" } });
    expect(orders.map((o) => ({ id: o.id, customerId: o.customerId, noteAttributes: o.noteAttributes }))).toEqual([
      { id: "1", customerId: null, noteAttributes: [] },
      { id: "2", customerId: "501", noteAttributes: [{ name: "gift_message", value: "Happy birthday, Sam" }] },
    ]);
    // An unapplied delivery and a queued push stay whatever their age.
    expect(await db.webhookDelivery.count({ where: { shop: NORTH, status: "received" } })).toBe(1);
    expect(await db.pushDelivery.count({ where: { shop: NORTH, status: "queued" } })).toBe(1);
    expect(await counts(SOUTH)).toEqual({ orders: 2, lineItems: 4, refunds: 1, visits: 2, webhookDeliveries: 3, pushDeliveries: 3 });
    expect(await db.order.count({ where: { shop: SOUTH, customerId: null } })).toBe(0);
    expect(await db.auditEvent.findFirst({ where: { shop: NORTH, action: "retention.apply" } })).toMatchObject({ actor: "system" });

    const again = await applyRetention(db, NORTH, NOW);
    expect([...Object.values(again.anonymised), ...Object.values(again.deleted)].every((n) => n === 0)).toBe(true);
    expect(await db.auditEvent.count({ where: { shop: NORTH, action: "retention.apply" } })).toBe(1);
  });

  it("runs as a job that refuses a malformed payload", async () => {
    const job = (data: unknown) => ({ data }) as unknown as Job;
    const outcome = await processDataRetention(job({ shop: NORTH }), stack.runtime.db, stack.runtime.jobs, () => NOW);
    expect(outcome).toMatchObject({ shop: NORTH, retentionDays: 30 });
    await expect(processDataRetention(job({ shop: "not a shop" }), stack.runtime.db, stack.runtime.jobs)).rejects.toThrow(/payload invalid/);
  });
});
