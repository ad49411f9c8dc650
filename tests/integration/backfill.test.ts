import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ORDERS_BULK_QUERY } from "../../app/sync/backfill/bulk-queries";
import { startBulkQuery } from "../../app/sync/backfill/bulk-operation.server";
import { requestBackfill } from "../../app/sync/backfill/request.server";
import { offlineAdminApi } from "../../app/shopify/admin-api.server";
import { findRun, listRuns } from "../../app/sync/backfill/runs.server";
import { upsertOrder } from "../../app/sync/orders.server";
import type { SyncedOrder } from "../../app/sync/types";
import { stackKinds } from "../support/stacks";
import { order as syncedOrder } from "../support/sync-fixtures";
import { withLineItems, withLineItemsOf } from "../support/line-items";
import {
  driveRun,
  expectedCustomers,
  expectedOrders,
  seedShop,
  startBackfillWorld,
  storedCustomers,
  storedOrders,
  type BackfillWorld,
} from "./backfill-support";

const SHOP = "harbour-cafe.myshopify.com";
const FRESH = "fresh-cafe.myshopify.com";

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("backfill end to end on $name", (kind) => {
  let world: BackfillWorld;
  beforeAll(async () => {
    world = await startBackfillWorld(kind);
    await seedShop(world, SHOP, { customers: 60, days: 45, seed: "backfill-e2e" });
    await seedShop(world, FRESH, { customers: 20, days: 20, seed: "backfill-webhook" });
  });
  afterAll(async () => world?.stop());

  it("copies exactly the stand-in's orders, line items, refunds and customers", async () => {
    const requested = await requestBackfill(world.runtime, SHOP);
    expect(requested.map((r) => [r.run.resource, r.run.status, r.reused])).toEqual([
      ["customers", "requested", false],
      ["orders", "requested", false],
    ]);
    // Small batches, so the file is written in many transactions.
    for (const { run } of requested) {
      const finished = await driveRun(world.runtime, SHOP, run.id, { batchSize: 25 });
      expect(finished.status, finished.error ?? "").toBe("completed");
      expect(finished.linesDone).toBe(finished.objectCount);
    }
    const expected = expectedOrders(world.standin.store, SHOP);
    expect(expected.length).toBeGreaterThan(200);
    expect(expected.some((o) => o.lineItems.length > 1)).toBe(true);
    expect(expected.some((o) => o.refundedAmount !== "0.00")).toBe(true);
    expect(await storedOrders(world.runtime.db, SHOP)).toEqual(expected);
    expect(await world.runtime.db.lineItem.count({ where: { shop: SHOP } })).toBe(expected.reduce((n, o) => n + o.lineItems.length, 0));
    expect(await storedCustomers(world.runtime.db, SHOP)).toEqual(expectedCustomers(world.standin.store, SHOP));
    const sources = await world.runtime.db.order.groupBy({ by: ["source"], where: { shop: SHOP }, _count: true });
    expect(sources).toEqual([{ source: "backfill", _count: expected.length }]);
  });

  it("changes nothing when run again", async () => {
    const snapshot = async () => ({
      orders: await withLineItems(world.runtime.db, await world.runtime.db.order.findMany({ where: { shop: SHOP }, orderBy: { id: "asc" } })),
      refunds: await world.runtime.db.refund.findMany({ where: { shop: SHOP }, orderBy: { id: "asc" } }),
      customers: await world.runtime.db.customer.findMany({ where: { shop: SHOP }, orderBy: { id: "asc" } }),
    });
    const before = await snapshot();
    // What the install hook asks for on a later token exchange: nothing, the history is in.
    expect(await requestBackfill(world.runtime, SHOP, ["customers", "orders"], { once: true })).toEqual([]);
    const again = await requestBackfill(world.runtime, SHOP);
    expect(again.every((r) => !r.reused)).toBe(true);
    for (const { run } of again) expect((await driveRun(world.runtime, SHOP, run.id)).status).toBe("completed");
    // Row for row, including each row's updatedAt: nothing was rewritten.
    expect(await snapshot()).toEqual(before);
  });

  it("keeps a newer webhook-written order and updates an older one", async () => {
    const [newest, older] = expectedOrders(world.standin.store, FRESH).slice(0, 2);
    if (!newest || !older) throw new Error("the fresh shop has too few orders");
    const later = (iso: string, days: number) => new Date(Date.parse(iso) + days * 86_400_000);
    const webhookVersion = (id: string, updatedAt: Date, total: string): SyncedOrder =>
      syncedOrder({
        id,
        totalPrice: total,
        shopifyUpdatedAt: updatedAt,
        lineItems: [{ id: "1", productId: null, variantId: null, sku: "WEBHOOK", title: "From a webhook", quantity: 9, price: total }],
      });
    await upsertOrder(world.runtime.db, FRESH, webhookVersion(newest.id, later(newest.shopifyUpdatedAt, 1), "99.00"), "webhook");
    await upsertOrder(world.runtime.db, FRESH, webhookVersion(older.id, later(older.shopifyUpdatedAt, -1), "11.00"), "webhook");

    const [run] = await requestBackfill(world.runtime, FRESH, ["orders"]);
    if (!run) throw new Error("no run");
    expect((await driveRun(world.runtime, FRESH, run.run.id)).status).toBe("completed");

    const kept = await withLineItemsOf(world.runtime.db, await world.runtime.db.order.findUniqueOrThrow({ where: { shop_id: { shop: FRESH, id: newest.id } } }));
    expect(kept.source).toBe("webhook");
    expect(kept.totalPrice.toString()).toBe("99");
    expect(kept.lineItems.map((item) => item.sku)).toEqual(["WEBHOOK"]);
    const replaced = (await storedOrders(world.runtime.db, FRESH)).find((o) => o.id === older.id);
    expect(replaced).toEqual(older);
    expect(await world.runtime.db.order.count({ where: { shop: FRESH } })).toBe(expectedOrders(world.standin.store, FRESH).length);
  });

  it("reuses a run in progress instead of starting a second one", async () => {
    const shop = "twin-cafe.myshopify.com";
    await seedShop(world, shop, { customers: 5, days: 5, seed: "twin" });
    const [first, second] = await Promise.all([requestBackfill(world.runtime, shop), requestBackfill(world.runtime, shop)]);
    expect(second?.map((r) => r.run.id).sort()).toEqual(first?.map((r) => r.run.id).sort());
    expect(await listRuns(world.runtime.db, shop)).toHaveLength(2);
    const third = await requestBackfill(world.runtime, shop, ["orders"]);
    expect(third[0]?.reused).toBe(true);
    const jobs = await world.runtime.jobs.queue("imports").getJobCounts("waiting", "delayed", "active", "prioritized");
    expect(Object.values(jobs).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2);
  });

  it("adopts the operation an attempt started before crashing, instead of waiting for it", async () => {
    // Shopify takes its time here, so the orphaned operation is still running when the run starts.
    const slow = await startBackfillWorld(kind, { bulkDelayMs: 3_000 });
    try {
      const shop = "orphan-cafe.myshopify.com";
      await seedShop(slow, shop, { customers: 8, days: 8, seed: "orphan" });
      // What a crash between "Shopify accepted the query" and "the run recorded it" leaves behind.
      const started = await startBulkQuery(await offlineAdminApi(slow.runtime, shop), ORDERS_BULK_QUERY);
      if (started.kind !== "started") throw new Error(`could not start: ${started.kind}`);
      const [requested] = await requestBackfill(slow.runtime, shop, ["orders"]);
      if (!requested) throw new Error("no run");
      const finished = await driveRun(slow.runtime, shop, requested.run.id);
      expect(finished.status).toBe("completed");
      expect(finished.bulkOperationId).toBe(started.operationId);
      expect(slow.standin.store.shop(shop).bulkOperations).toHaveLength(1);
      expect(await storedOrders(slow.runtime.db, shop)).toEqual(expectedOrders(slow.standin.store, shop));
    } finally {
      await slow.stop();
    }
  });

  it("marks the run failed with Shopify's reason when the bulk operation fails", async () => {
    world.standin.store.failNextBulkOperation(FRESH, "ACCESS_DENIED");
    const [requested] = await requestBackfill(world.runtime, FRESH, ["customers"]);
    if (!requested) throw new Error("no run");
    const finished = await driveRun(world.runtime, FRESH, requested.run.id);
    expect(finished.status).toBe("failed");
    expect(finished.error).toBe("bulk operation FAILED (ACCESS_DENIED)");
    expect(finished.finishedAt).not.toBeNull();
    expect((await findRun(world.runtime.db, FRESH, requested.run.id))?.status).toBe("failed");
  });
});
