import { randomUUID } from "node:crypto";
import fc from "fast-check";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactCustomer } from "../../app/compliance/personal-data.server";
import { registerInstall } from "../../app/shops/shops.server";
import { drainWebhooks } from "../../app/webhooks/drain.server";
import { receiveWebhook, type IncomingWebhook, type IntakeDeps } from "../../app/webhooks/intake.server";
import { DeliveryRecorder, type DeliveryToRecord } from "../../app/webhooks/record.server";
import type { WebhookTopic } from "../../app/webhooks/topics";
import { hostileJson, mutateJson, mutation, nastyNumber, nastyString } from "../support/hostile-arbitraries";
import { shopSnapshot } from "../support/imports";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The webhook payload parser and the drain against payloads nobody should
 * send (issue 8): arbitrary JSON for every topic, valid payloads broken in one
 * place, extreme numbers and dates. Past the signature check, intake answers
 * 200 or 400 (never throws, stores nothing it refused); the drain never
 * crashes: each delivery it reads is applied or set aside as failed with a
 * reason; sending everything again changes nothing.
 */

const SHOP = "north-cafe.myshopify.com";

/** Every topic whose payload carries data (app/uninstalled and shop/redact end the shop's data and are covered elsewhere). */
const TOPICS = [
  "orders/create",
  "orders/updated",
  "orders/paid",
  "orders/cancelled",
  "refunds/create",
  "customers/create",
  "customers/update",
  "customers/delete",
  "customers/data_request",
  "customers/redact",
  "bulk_operations/finish",
] as const satisfies readonly WebhookTopic[];
type Topic = (typeof TOPICS)[number];

const at = (hour: number) => `2026-11-20T${String(hour).padStart(2, "0")}:00:00Z`;

/** A payload Shopify could send for the topic, for ids drawn from a small range so deliveries meet. */
function validPayload(topic: Topic, n: number): Record<string, unknown> {
  switch (topic) {
    case "orders/create":
    case "orders/updated":
    case "orders/paid":
    case "orders/cancelled":
      return {
        id: 1000 + n,
        name: `#${1000 + n}`,
        customer: { id: 500 + (n % 3) },
        location_id: 7,
        source_name: "pos",
        currency: "GBP",
        total_price: "4.50",
        created_at: at(8),
        updated_at: at(8 + (n % 5)),
        processed_at: at(8),
        cancelled_at: topic === "orders/cancelled" ? at(9) : null,
        note_attributes: [{ name: "table", value: "4" }],
        line_items: [{ id: 9000 + n, title: "Flat white", quantity: 1, price: "4.50", sku: "FLAT-WHITE", variant_id: 42 }],
      };
    case "refunds/create":
      return { id: 7000 + n, order_id: 1000 + n, created_at: at(12), transactions: [{ amount: "1.50", kind: "refund", status: "success" }] };
    case "customers/create":
    case "customers/update":
      return { id: 500 + (n % 3), email: `c${n}@example.com`, first_name: "Ada", last_name: "Lovelace", tags: "vip, morning", created_at: at(7), updated_at: at(7 + (n % 5)) };
    case "customers/delete":
      return { id: 500 + (n % 3) };
    case "customers/data_request":
      return { shop_id: 1, shop_domain: SHOP, customer: { id: 500 + (n % 3), email: "c@example.com" }, orders_requested: [1000 + n] };
    case "customers/redact":
      return { shop_id: 1, shop_domain: SHOP, customer: { id: 500 + (n % 3) }, orders_to_redact: [1000 + n] };
    case "bulk_operations/finish":
      return { admin_graphql_api_id: `gid://shopify/BulkOperation/${n}`, status: "completed", completed_at: at(10), error_code: null, type: "query" };
  }
}

/** Field values that break databases rather than schemas: huge numbers, far dates, long text. */
const extremeValue = fc.oneof(
  nastyNumber.filter(Number.isFinite),
  nastyString,
  fc.constantFrom("9".repeat(30), "-1", "1e400", "275760-09-13T00:00:00Z", "0001-01-01T00:00:00Z", "+275760-09-13T00:00:00.000Z", "2026-02-30T00:00:00Z", "Infinity"),
);

/** A body for a topic: valid, broken in one place, given extreme values, or any JSON at all. */
const hostileBody = (topic: Topic) =>
  fc.oneof(
    fc.nat({ max: 20 }).map((n) => validPayload(topic, n)),
    fc.tuple(fc.nat({ max: 20 }), mutation).map(([n, m]) => mutateJson(validPayload(topic, n), m.junk, m.key, m.pick, m.how)),
    fc.tuple(fc.nat({ max: 20 }), fc.nat(), extremeValue).map(([n, pick, value]) => mutateJson(validPayload(topic, n), value, "", pick, "replace")),
    hostileJson,
  );

const delivery = fc.constantFrom(...TOPICS).chain((topic) => fc.record({ topic: fc.constant(topic), body: hostileBody(topic) }));

describe.each(stackKinds())("hostile webhook payloads on $name", (kind) => {
  let stack: TestStack;
  let pool: pg.Pool;
  let deps: IntakeDeps;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    pool = new pg.Pool({ connectionString: stack.runtime.database.url, max: 2 });
    // The stack drops its database at the end, terminating any connection still open: expected.
    pool.on("error", () => {});
    await registerInstall(stack.runtime.db, { domain: SHOP, name: "North Cafe" });
    const recorder = new DeliveryRecorder(pool, () => {}, { maxInFlight: 1, maxBatch: 16 });
    deps = { validate: () => ({ valid: true, topic: currentTopic, domain: SHOP, webhookId: randomUUID(), apiVersion: "2025-10", eventId: currentEventId }), record: (d: DeliveryToRecord) => recorder.record(d) };
  });
  afterAll(async () => {
    await pool?.end();
    await stack?.stop();
  });

  // What the (stubbed) signature check reports for the request being sent.
  let currentTopic = "";
  let currentEventId = "";

  /** A signed delivery as intake sees it once the HMAC has been checked. */
  async function send(topic: string, body: string, eventId: string) {
    currentTopic = topic;
    currentEventId = eventId;
    const request: IncomingWebhook = {
      method: "POST",
      header: (name) => (name === "content-length" ? String(Buffer.byteLength(body)) : undefined),
      readBody: async (limit) => (Buffer.byteLength(body) > limit ? null : body),
    };
    return receiveWebhook(deps, request);
  }

  const deliveryRow = (eventId: string) => stack.runtime.db.webhookDelivery.findUnique({ where: { shop_eventId: { shop: SHOP, eventId } } });

  it("every payload is refused at intake, applied, or set aside as failed with a reason; repeats change nothing", async () => {
    const tally = { refused: 0, applied: 0, failed: 0 };
    await fc.assert(
      fc.asyncProperty(fc.array(delivery, { minLength: 1, maxLength: 6 }), async (batch) => {
        const accepted: Array<{ topic: string; text: string; eventId: string }> = [];
        for (const { topic, body } of batch) {
          const text = JSON.stringify(body) ?? "null";
          const eventId = randomUUID();
          const result = await send(topic, text, eventId);
          expect([200, 400]).toContain(result.status);
          expect(result.message.length).toBeGreaterThan(0);
          if (result.status === 400) {
            tally.refused += 1;
            expect(await deliveryRow(eventId)).toBeNull();
          } else {
            accepted.push({ topic, text, eventId });
          }
        }

        await drainWebhooks(stack.runtime, SHOP, { gatherMs: 0 });
        for (const { eventId } of accepted) {
          const row = await deliveryRow(eventId);
          expect(row?.status === "processed" || (row?.status === "failed" && (row.error ?? "").length > 0), `${eventId}: ${row?.status}`).toBe(true);
          if (row?.status === "processed") tally.applied += 1;
          else tally.failed += 1;
        }

        // Shopify retries: the same events again are duplicates and change nothing.
        const before = await shopSnapshot(stack.runtime.db, SHOP);
        for (const { topic, text, eventId } of accepted) {
          const again = await send(topic, text, eventId);
          expect(again).toMatchObject({ status: 200, duplicate: true });
        }
        await drainWebhooks(stack.runtime, SHOP, { gatherMs: 0 });
        expect(await shopSnapshot(stack.runtime.db, SHOP)).toBe(before);
        expect(await stack.runtime.db.webhookDelivery.count({ where: { shop: SHOP, status: "received" } })).toBe(0);
      }),
      { numRuns: 40 },
    );
    expect(tally.refused).toBeGreaterThan(0);
    expect(tally.applied).toBeGreaterThan(0);
  }, 600_000);

  it("a stored payload intake would now refuse (recorded before a parser change) is set aside by the drain, not retried forever", async () => {
    const recorder = new DeliveryRecorder(pool, () => {});
    const junk: Array<[WebhookTopic, unknown]> = [
      ["customers/delete", { id: "not a number" }],
      ["customers/redact", { customer: null }],
      ["customers/data_request", []],
      ["bulk_operations/finish", { status: 3 }],
      ["orders/create", { id: 1 }],
    ];
    const eventIds: string[] = [];
    for (const [topic, payload] of junk) {
      const eventId = randomUUID();
      eventIds.push(eventId);
      await recorder.record({ shop: SHOP, eventId, webhookId: eventId, topic, apiVersion: "2024-01", triggeredAt: null, payload: JSON.stringify(payload) });
    }
    await drainWebhooks(stack.runtime, SHOP, { gatherMs: 0 });
    for (const eventId of eventIds) {
      const row = await deliveryRow(eventId);
      expect([row?.status, (row?.error ?? "").length > 0]).toEqual(["failed", true]);
    }
  });

  it("customers/redact erases the unapplied deliveries about the customer, even beside a payload PostgreSQL's JSON operators refuse", async () => {
    const recorder = new DeliveryRecorder(pool, () => {});
    // Valid JSON that PostgreSQL stores as json, but whose `->>` fails: a lone surrogate escape (set aside by the drain, payload kept).
    const stored: Array<[WebhookTopic, string, string]> = [
      ["customers/update", randomUUID(), '{"id":812,"first_name":"\\ud800","updated_at":"2026-11-20T07:00:00Z"}'],
      ["orders/create", randomUUID(), JSON.stringify({ id: 91001, customer: { id: 811 }, line_items: [] })],
      ["customers/update", randomUUID(), JSON.stringify({ id: 811, email: "eve@example.com" })],
      ["customers/update", randomUUID(), JSON.stringify({ id: 813, email: "someone@example.com" })],
    ];
    for (const [topic, eventId, payload] of stored) {
      await recorder.record({ shop: SHOP, eventId, webhookId: eventId, topic, apiVersion: "2025-10", triggeredAt: null, payload });
    }
    await redactCustomer(stack.runtime.db, SHOP, "811", []);
    await redactCustomer(stack.runtime.db, SHOP, "812", []);
    const rows = await Promise.all(stored.map(([, eventId]) => deliveryRow(eventId)));
    expect(rows.map((row) => [row?.status, row?.error ?? null, row?.payload === null])).toEqual([
      ["failed", "erased by customers/redact", true],
      ["failed", "erased by customers/redact", true],
      ["failed", "erased by customers/redact", true],
      ["received", null, false],
    ]);
    // Nothing left for the next test's drain.
    await stack.runtime.db.webhookDelivery.deleteMany({ where: { shop: SHOP, eventId: { in: stored.map(([, eventId]) => eventId) } } });
  });

  it("a value PostgreSQL refuses in a run of orders fails that delivery alone; the rest of the run is applied", async () => {
    const recorder = new DeliveryRecorder(pool, () => {});
    // A NUL in a name: valid JSON the parser accepts (intake refuses it, but a delivery recorded before that
    // rule, or by a caller that skipped intake, still holds it) and text PostgreSQL cannot store.
    const names = ["#50000", "#5\u00000001", "#50002"];
    const eventIds = names.map(() => randomUUID());
    for (const [i, name] of names.entries()) {
      const payload = { ...validPayload("orders/create", 0), id: 50_000 + i, name, total_price: i === 0 ? "3.50" : "4.20" };
      await recorder.record({ shop: SHOP, eventId: eventIds[i] ?? "", webhookId: "w", topic: "orders/create", apiVersion: "2025-10", triggeredAt: null, payload: JSON.stringify(payload) });
    }
    const result = await drainWebhooks(stack.runtime, SHOP, { gatherMs: 0 });
    expect([result.applied, result.failed]).toEqual([2, 1]);
    const rows = await Promise.all(eventIds.map(deliveryRow));
    expect(rows.map((row) => row?.status)).toEqual(["processed", "failed", "processed"]);
    expect(rows[1]?.error).toMatch(/^payload cannot be stored: .+/);
    const orders = await stack.runtime.db.order.findMany({ where: { shop: SHOP, id: { in: ["50000", "50001", "50002"] } }, orderBy: { id: "asc" } });
    expect(orders.map((order) => [order.id, order.totalPrice.toString()])).toEqual([["50000", "3.5"], ["50002", "4.2"]]);
  });
});
