import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerInstall } from "../../app/shops/shops.server";
import { drainWebhooks } from "../../app/webhooks/drain.server";
import { DrainRequests } from "../../app/webhooks/drain-requests";
import { DeliveryRecorder, UnstorablePayloadError, type DeliveryToRecord } from "../../app/webhooks/record.server";
import type { WebhookTopic } from "../../app/webhooks/topics";
import { requestWebhookDrain } from "../../jobs/drain.server";
import { waitFor } from "../support/app-process";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The pieces of the webhook path behind the HMAC check, in-process: the
 * group-commit recorder, the coalesced drain requests and the drain. The
 * HTTP side (status codes, nothing stored for a forged request) is covered
 * against the running app in webhooks.test.ts.
 */

const SHOP = "north-cafe.myshopify.com";
const OTHER = "south-cafe.myshopify.com";

let sequence = 0;
function delivery(topic: WebhookTopic, payload: unknown, shop = SHOP, eventId = `event-${++sequence}`): DeliveryToRecord {
  return { shop, eventId, webhookId: `webhook-${sequence}`, topic, apiVersion: "2025-10", triggeredAt: new Date("2026-11-20T10:00:00Z"), payload: JSON.stringify(payload) };
}

const at = (hour: number) => `2026-11-20T${String(hour).padStart(2, "0")}:00:00Z`;

function orderBody(id: number, options: { total?: string; customerId?: number; updatedAt?: string } = {}) {
  return {
    id,
    name: `#${id}`,
    customer: options.customerId ? { id: options.customerId } : null,
    location_id: 7,
    source_name: "pos",
    currency: "GBP",
    total_price: options.total ?? "10.00",
    created_at: at(8),
    updated_at: options.updatedAt ?? at(8),
    processed_at: at(8),
    cancelled_at: null,
    line_items: [{ id: id * 10, title: "Flat white", quantity: 1, price: options.total ?? "10.00", sku: "FLAT-WHITE" }],
  };
}

function customerBody(id: number, firstName: string, updatedAt: string) {
  return { id, email: `c${id}@example.com`, first_name: firstName, last_name: "Hopper", created_at: at(7), updated_at: updatedAt };
}

function refundBody(id: number, orderId: number, amount: string) {
  return { id, order_id: orderId, created_at: at(12), transactions: [{ amount, kind: "refund", status: "success" }] };
}

describe.each(stackKinds())("webhook ingest path on $name", (kind) => {
  let stack: TestStack;
  let pool: pg.Pool;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    pool = new pg.Pool({ connectionString: stack.runtime.database.url, max: 4 });
    // The stack drops its database at the end, terminating any connection still open: expected, not a failure.
    pool.on("error", () => {});
    await registerInstall(stack.runtime.db, { domain: SHOP, name: "North Cafe" });
    await registerInstall(stack.runtime.db, { domain: OTHER, name: "South Cafe" });
  });

  afterAll(async () => {
    await pool?.end();
    await stack?.stop();
  });

  const statusOf = async (shop: string, eventId: string) =>
    (await stack.runtime.db.webhookDelivery.findUnique({ where: { shop_eventId: { shop, eventId } } }))?.status;

  it("records concurrent deliveries together, and asks for a drain once per statement after it committed", async () => {
    const visibleAtRequest = new Set<string>();
    const drainRequests: string[] = [];
    const seen: Promise<void>[] = [];
    const recorder = new DeliveryRecorder(
      pool,
      (shop) => {
        drainRequests.push(shop);
        // Another connection already sees the batch: it was committed first.
        seen.push(
          pool.query<{ eventId: string }>(`SELECT "eventId" FROM "WebhookDelivery" WHERE shop = $1`, [shop]).then(({ rows }) => {
            for (const row of rows) visibleAtRequest.add(`${shop}/${row.eventId}`);
          }),
        );
      },
      { maxInFlight: 1, maxBatch: 64 },
    );
    const deliveries = Array.from({ length: 40 }, (_, i) => delivery("orders/create", orderBody(10_000 + i), i % 4 === 3 ? OTHER : SHOP));
    const repeat = deliveries[5];
    if (!repeat) throw new Error("no delivery to repeat");
    // Not JSON (intake would have answered 400 before recording it): PostgreSQL's json cast refuses it.
    const poisoned = { ...delivery("orders/create", orderBody(19_999)), payload: '{"id": 19999, "note": ' };

    const results = await Promise.allSettled([...deliveries, repeat, poisoned].map((d) => recorder.record(d)));
    await Promise.all(seen);

    // One statement for the first delivery, one for everything that arrived while it ran: two drain
    // requests for the north shop, one for the south shop.
    expect(drainRequests.sort()).toEqual([SHOP, SHOP, OTHER].sort());
    for (const [i, result] of results.slice(0, 40).entries()) {
      expect(result).toEqual({ status: "fulfilled", value: { inserted: true, status: "received" } });
      const d = deliveries[i];
      expect(d && visibleAtRequest.has(`${d.shop}/${d.eventId}`)).toBe(true);
    }
    // The same event twice in one statement is one row; the second caller sees a repeat.
    expect(results[40]).toEqual({ status: "fulfilled", value: { inserted: false, status: "received" } });
    // That delivery fails alone, as malformed; the others in its statement are recorded.
    const refused = results[41];
    expect(refused?.status === "rejected" && refused.reason instanceof UnstorablePayloadError).toBe(true);
    const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM "WebhookDelivery" WHERE "eventId" = ANY ($1)`, [
      [...deliveries, poisoned].map((d) => d.eventId),
    ]);
    expect(rows[0]?.n).toBe(40);
  });

  it("a repeat of an applied delivery asks for no drain; one that failed gets another chance", async () => {
    const requested: string[] = [];
    const recorder = new DeliveryRecorder(pool, (shop) => void requested.push(shop));
    const applied = delivery("orders/create", orderBody(20_001));
    const failed = delivery("orders/create", orderBody(20_002));
    await recorder.record(applied);
    await recorder.record(failed);
    await pool.query(`UPDATE "WebhookDelivery" SET status = 'processed', payload = NULL WHERE shop = $1 AND "eventId" = $2`, [SHOP, applied.eventId]);
    await pool.query(`UPDATE "WebhookDelivery" SET status = 'failed' WHERE shop = $1 AND "eventId" = $2`, [SHOP, failed.eventId]);
    requested.length = 0;

    expect(await recorder.record(applied)).toEqual({ inserted: false, status: "processed" });
    expect(requested).toEqual([]);
    expect(await recorder.record(failed)).toEqual({ inserted: false, status: "received" });
    expect(requested).toEqual([SHOP]);
  });

  it("drains runs of orders, customers and refunds set-based, in arrival order around other topics", async () => {
    const recorder = new DeliveryRecorder(pool, () => {}, { maxInFlight: 1, maxBatch: 100 });
    const shop = "east-cafe.myshopify.com";
    await registerInstall(stack.runtime.db, { domain: shop, name: "East Cafe" });
    const sequenceOfEvents = [
      delivery("customers/create", customerBody(501, "Grace", at(7)), shop),
      delivery("orders/create", orderBody(601, { customerId: 501, total: "10.00" }), shop),
      delivery("refunds/create", refundBody(701, 601, "4.00"), shop),
      // The same refund in another event: counted once.
      delivery("refunds/create", refundBody(701, 601, "4.00"), shop),
      delivery("customers/delete", { id: 501 }, shop),
      // A later update must not bring the deleted customer back.
      delivery("customers/update", customerBody(501, "Revived", at(9)), shop),
      // A refund before its order: the order counts it when it arrives.
      delivery("refunds/create", refundBody(702, 602, "1.50"), shop),
      delivery("orders/create", orderBody(602, { total: "5.00" }), shop),
      // An older version of an order already held: ignored.
      delivery("orders/updated", orderBody(601, { total: "99.00", updatedAt: at(6) }), shop),
      delivery("orders/create", { id: 603, currency: "GBP" }, shop),
    ];
    // Recorded one after another, so they arrive (and are applied) in this order.
    for (const d of sequenceOfEvents) await recorder.record(d);

    const result = await drainWebhooks(stack.runtime, shop);
    expect(result).toEqual({ applied: 9, failed: 1, batches: 1 });

    const { db } = stack.runtime;
    const customer = await db.customer.findUniqueOrThrow({ where: { shop_id: { shop, id: "501" } } });
    expect(customer.deletedAt).not.toBeNull();
    expect(customer.firstName).toBe("Grace");
    const orders = await db.order.findMany({ where: { shop }, orderBy: { id: "asc" } });
    expect(orders.map((o) => [o.id, o.totalPrice.toString(), o.refundedAmount.toString(), o.source])).toEqual([
      ["601", "10", "4", "webhook"],
      ["602", "5", "1.5", "webhook"],
    ]);
    expect(await db.refund.count({ where: { shop } })).toBe(2);
    const deliveries = await db.webhookDelivery.findMany({ where: { shop } });
    const malformed = sequenceOfEvents.at(-1)?.eventId;
    for (const d of deliveries) {
      if (d.eventId === malformed) {
        expect(d.status).toBe("failed");
        expect(d.payload).not.toBeNull(); // kept for investigation
      } else {
        expect([d.status, d.payload]).toEqual(["processed", null]);
      }
    }
  });

  it("stops at shop/redact: nothing recorded before it is written back after the shop was erased", async () => {
    const recorder = new DeliveryRecorder(pool, () => {}, { maxInFlight: 1, maxBatch: 100 });
    const shop = "gone-cafe.myshopify.com";
    await registerInstall(stack.runtime.db, { domain: shop, name: "Gone Cafe" });
    for (const d of [
      delivery("orders/create", orderBody(801), shop),
      delivery("shop/redact", { shop_id: 1, shop_domain: shop }, shop),
      delivery("orders/create", orderBody(802), shop),
    ]) {
      await recorder.record(d);
    }
    await drainWebhooks(stack.runtime, shop);
    const { db } = stack.runtime;
    expect(await db.order.count({ where: { shop } })).toBe(0);
    expect(await db.webhookDelivery.count({ where: { shop } })).toBe(0);
    expect(await db.shop.findUnique({ where: { domain: shop } })).toBeNull();
  });

  it("a delivery recorded while its shop's drain is running is still drained", async () => {
    const shop = "west-cafe.myshopify.com";
    await registerInstall(stack.runtime.db, { domain: shop, name: "West Cafe" });
    const { runtime } = stack;
    // As the web server wires them (app/webhooks/http.server.ts), follow-up requests lingering.
    const drains = new DrainRequests((s) => requestWebhookDrain(runtime.jobs, s), { followUpDelayMs: 20 });
    const queueErrors: unknown[] = [];
    const recorder = new DeliveryRecorder(pool, (s) => void drains.request(s).catch((error: unknown) => queueErrors.push(error)));
    const late = delivery("orders/create", orderBody(30_999), shop);
    let lateRecorded = false;
    let drainsRun = 0;
    // The late delivery is recorded after the drain's last read of the shop's deliveries, while its
    // job is still active: only a drain requested then, and run after this one, can apply it.
    const worker = runtime.jobs.worker(
      "webhooks",
      async (job) => {
        const data: unknown = job.data;
        if (typeof data !== "object" || data === null || !("shop" in data) || data.shop !== shop) return null;
        drainsRun += 1;
        const result = await drainWebhooks(runtime, shop);
        if (!lateRecorded) {
          lateRecorded = true;
          await recorder.record(late);
          await drains.idle(); // its drain request has reached the queue while this job is active
        }
        return result;
      },
      { concurrency: 2 },
    );
    try {
      const early = Array.from({ length: 30 }, (_, i) => delivery("orders/create", orderBody(30_000 + i), shop));
      await Promise.all(early.map((d) => recorder.record(d)));
      for (const d of [...early, late]) {
        await waitFor(`delivery ${d.eventId} processed`, async () => ((await statusOf(shop, d.eventId)) === "processed" ? true : undefined), 60_000);
      }
      expect(lateRecorded).toBe(true);
      expect(queueErrors).toEqual([]);
      expect(drainsRun).toBeGreaterThanOrEqual(2);
      expect(await runtime.db.order.count({ where: { shop } })).toBe(31);
    } finally {
      await worker.close();
    }
  });
});
