import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { Prisma } from "../../app/db/generated/client";
import { registerInstall } from "../../app/shops/shops.server";
import { StandinStore, webhookPayload } from "../../standin";
import { spawnApp, waitFor, type AppProcess } from "../support/app-process";
import { freshDatabase, stackKinds } from "../support/stacks";
import { sendWebhook } from "../support/webhooks";
import { withLineItemsOf } from "../support/line-items";

const SHOP = "north-cafe.myshopify.com";
const OTHER = "south-cafe.myshopify.com";

describe.each(stackKinds())("webhook intake and processing on $name", (kind) => {
  let app: AppProcess;
  let origin: string;
  let db: Database;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const store = new StandinStore();

  beforeAll(async () => {
    database = await freshDatabase(kind.database);
    db = createPrismaClient(database.url);
    await registerInstall(db, { domain: SHOP, name: "North Cafe" });
    await registerInstall(db, { domain: OTHER, name: "South Cafe" });
    app = spawnApp({
      DEMO: "1",
      DATABASE_URL: database.url,
      ...(kind.queue === "redis" && process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    });
    origin = await app.ready;
    store.addShop({ domain: SHOP, ianaTimezone: "Europe/London" });
    store.addShop({ domain: OTHER, ianaTimezone: "Europe/London" });
  });

  afterAll(async () => {
    await app?.stop("SIGINT");
    await db?.$disconnect();
    await database?.drop();
  });

  const processed = (shop: string, eventId: string) =>
    waitFor(`delivery ${eventId} processed`, async () => {
      const row = await db.webhookDelivery.findUnique({ where: { shop_eventId: { shop, eventId } } });
      if (row?.status === "failed") throw new Error(`delivery ${row.topic} failed: ${row.error}`);
      return row?.status === "processed" ? row : undefined;
    });

  function newOrder(shop = SHOP, total = "4.50") {
    const customer = store.addCustomer(shop, { email: `c${Math.random()}@example.com`, firstName: "Ada" });
    const order = store.addOrder(shop, {
      customerId: customer.id,
      sourceName: "pos",
      lineItems: [{ title: "Flat white", quantity: 1, price: total, sku: "FLAT-WHITE" }],
    });
    return { customer, order };
  }

  it("accepts a signed orders/create, answers 200 and stores the order asynchronously", async () => {
    const { order } = newOrder();
    const sent = await sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload: webhookPayload(store, SHOP, "orders/create", order.id) });
    expect(sent.status).toBe(200);
    await processed(SHOP, sent.eventId);
    const id = order.id.split("/").pop() ?? "";
    const found = await db.order.findUnique({ where: { shop_id: { shop: SHOP, id } } });
    const stored = found && (await withLineItemsOf(db, found));
    expect(stored?.channel).toBe("pos");
    expect(stored?.lineItems.map((l) => l.sku)).toEqual(["FLAT-WHITE"]);
    expect(stored?.source).toBe("webhook");
    // The payload (personal data) is dropped once applied.
    const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { shop_eventId: { shop: SHOP, eventId: sent.eventId } } });
    expect(delivery.payload).toBeNull();
  });

  it("a repeat of the same event answers 200 and has no second effect", async () => {
    const { order } = newOrder();
    const payload = webhookPayload(store, SHOP, "orders/create", order.id);
    const first = await sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload });
    await processed(SHOP, first.eventId);
    // Same event id, different body: a retry must not be applied again.
    const altered = { ...payload, total_price: "999.00", updated_at: new Date(Date.now() + 3_600_000).toISOString() };
    const again = await sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload: altered, eventId: first.eventId });
    expect(again.status).toBe(200);
    expect(again.text).toBe("already processed");
    const id = order.id.split("/").pop() ?? "";
    expect((await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id } } })).totalPrice.toString()).toBe("4.5");
    expect(await db.webhookDelivery.count({ where: { shop: SHOP, eventId: first.eventId } })).toBe(1);
  });

  it.each([
    ["forged signature", { tamper: "signature" as const }, 401],
    ["body altered after signing", { tamper: "body" as const }, 401],
  ])("%s → %s and nothing stored", async (_name, options, status) => {
    const { order } = newOrder();
    const before = await counts();
    const sent = await sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload: webhookPayload(store, SHOP, "orders/create", order.id), ...options });
    expect(sent.status).toBe(status);
    expect(await counts()).toEqual(before);
  });

  it("unsigned → 401; malformed JSON or payload → 400; oversized → 413; GET → 405; nothing stored", async () => {
    const before = await counts();
    const unsigned = await fetch(`${origin}/webhooks/orders/create`, { method: "POST", body: "{}", headers: { "Content-Type": "application/json", "X-Shopify-Topic": "orders/create", "X-Shopify-Shop-Domain": SHOP } });
    expect(unsigned.status).toBe(401);
    const notJson = await sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload: "{not json" });
    expect(notJson.status).toBe(400);
    expect(notJson.text).toBe("body is not JSON");
    const missingField = await sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload: { id: 5, currency: "GBP" } });
    expect(missingField.status).toBe(400);
    expect(missingField.text).toMatch(/^orders\/create payload: total_price/);
    const unknownTopic = await sendWebhook(origin, { shop: SHOP, topic: "products/create", payload: { id: 1 } });
    expect(unknownTopic.status).toBe(400);
    const huge = await sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload: { pad: "x".repeat(3 * 1024 * 1024) } });
    expect(huge.status).toBe(413);
    expect((await fetch(`${origin}/webhooks/orders/create`)).status).toBe(405);
    expect(await counts()).toEqual(before);
  });

  it("answers an oversized upload with 413 once it has been sent, and cuts one that goes on past 16 MiB", async () => {
    const { hostname, port } = new URL(origin);
    /** A raw HTTP/1.1 POST whose body goes out in 64 KiB pieces, a few milliseconds apart; resolves with what came back and whether the upload broke. */
    const upload = (declared: number, sent: number) =>
      new Promise<{ answer: string; broken: boolean; answeredAfterUpload: boolean }>((resolve) => {
        const socket = net.connect(Number(port), hostname);
        let answer = "";
        let broken = false;
        let uploaded = false;
        let answeredAfterUpload = false;
        socket.on("data", (chunk: Buffer) => {
          if (answer === "") answeredAfterUpload = uploaded;
          answer += chunk.toString("latin1");
        });
        socket.on("error", () => (broken = true));
        socket.on("close", () => resolve({ answer, broken, answeredAfterUpload }));
        socket.on("connect", async () => {
          socket.write(`POST /webhooks/orders/create HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nX-Shopify-Topic: orders/create\r\nX-Shopify-Shop-Domain: ${SHOP}\r\nContent-Length: ${declared}\r\n\r\n`);
          const piece = Buffer.alloc(64 * 1024, "x");
          for (let at = 0; at < sent && !socket.destroyed; at += piece.length) {
            socket.write(piece.subarray(0, Math.min(piece.length, sent - at)));
            if ((at / piece.length) % 8 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
          }
          uploaded = true;
          if (!socket.destroyed) socket.end();
        });
      });
    // 3 MiB, still arriving when the server knows from Content-Length that it is too large: the 413 comes after the last byte, and no write fails.
    const oversized = await upload(3 * 1024 * 1024, 3 * 1024 * 1024);
    expect(oversized.broken).toBe(false);
    expect(oversized.answeredAfterUpload).toBe(true);
    expect(oversized.answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(oversized.answer).toContain("body over 2097152 bytes");
    // An upload that does not stop is cut without an answer once 16 MiB more have been dropped.
    const endless = await upload(64 * 1024 * 1024, 20 * 1024 * 1024);
    expect(endless.answer).toBe("");
  });

  it("an update that arrives before its create leaves the newest version", async () => {
    const { order } = newOrder(SHOP, "3.00");
    const created = webhookPayload(store, SHOP, "orders/create", order.id);
    store.updateOrder(SHOP, order.id, { note: "oat milk" });
    const cancelled = store.cancelOrder(SHOP, order.id);
    const updated = webhookPayload(store, SHOP, "orders/cancelled", cancelled.id);
    const late = await sendWebhook(origin, { shop: SHOP, topic: "orders/cancelled", payload: updated });
    await processed(SHOP, late.eventId);
    const early = await sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload: created });
    await processed(SHOP, early.eventId);
    const id = order.id.split("/").pop() ?? "";
    const stored = await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id } } });
    expect(stored.cancelledAt).not.toBeNull();
  });

  it("keeps answering legitimate webhooks through a flood of 1,000 forged ones, and stores none of them", async () => {
    const before = await counts();
    const { order } = newOrder();
    const payload = webhookPayload(store, SHOP, "orders/create", order.id);
    const flood = Array.from({ length: 1_000 }, () =>
      sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload, tamper: "signature" }).then((r) => r.status),
    );
    const started = performance.now();
    const legit = await sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload });
    const legitMs = performance.now() - started;
    const statuses = await Promise.all(flood);
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect(legit.status).toBe(200);
    expect(legitMs).toBeLessThan(5_000); // Shopify's answer deadline
    await processed(SHOP, legit.eventId);
    const after = await counts();
    expect(after.deliveries).toBe(before.deliveries + 1);
  });

  it("customers/create then customers/delete; a late update does not revive the customer", async () => {
    const customer = store.addCustomer(SHOP, { email: "grace@example.com", firstName: "Grace" });
    const id = customer.id.split("/").pop() ?? "";
    const create = await sendWebhook(origin, { shop: SHOP, topic: "customers/create", payload: webhookPayload(store, SHOP, "customers/create", customer.id) });
    await processed(SHOP, create.eventId);
    const del = await sendWebhook(origin, { shop: SHOP, topic: "customers/delete", payload: { id: Number(id) } });
    await processed(SHOP, del.eventId);
    store.updateCustomer(SHOP, customer.id, { firstName: "Revived" });
    const late = await sendWebhook(origin, { shop: SHOP, topic: "customers/update", payload: webhookPayload(store, SHOP, "customers/update", customer.id) });
    await processed(SHOP, late.eventId);
    const stored = await db.customer.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id } } });
    expect(stored.deletedAt).not.toBeNull();
    expect(stored.firstName).toBe("Grace");
  });

  it("refunds/create counts once against its order", async () => {
    const { order } = newOrder(SHOP, "10.00");
    const create = await sendWebhook(origin, { shop: SHOP, topic: "orders/create", payload: webhookPayload(store, SHOP, "orders/create", order.id) });
    await processed(SHOP, create.eventId);
    const refunded = store.refundOrder(SHOP, order.id, { restOfOrder: true });
    const refund = refunded.refunds.at(-1);
    if (!refund) throw new Error("no refund");
    const payload = webhookPayload(store, SHOP, "refunds/create", refund.id);
    const first = await sendWebhook(origin, { shop: SHOP, topic: "refunds/create", payload });
    const second = await sendWebhook(origin, { shop: SHOP, topic: "refunds/create", payload });
    await processed(SHOP, first.eventId);
    await processed(SHOP, second.eventId);
    const id = order.id.split("/").pop() ?? "";
    expect((await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id } } })).refundedAmount.toString()).toBe("10");
  });

  it("customers/data_request exports what the app holds; customers/redact erases it and keeps the aggregates", async () => {
    const { customer, order } = newOrder(SHOP, "6.00");
    const customerId = customer.id.split("/").pop() ?? "";
    for (const [topic, resource] of [["customers/create", customer.id], ["orders/create", order.id]] as const) {
      const sent = await sendWebhook(origin, { shop: SHOP, topic, payload: webhookPayload(store, SHOP, topic, resource) });
      await processed(SHOP, sent.eventId);
    }
    await db.member.create({ data: { shop: SHOP, customerId, status: "active", joinedVia: "storefront", joinedAt: new Date() } });
    await db.consentEvent.create({ data: { shop: SHOP, id: `c-${customerId}`, customerId, kind: "membership", action: "granted", via: "storefront", text: "Join", at: new Date() } });
    const revenueBefore = await revenue(SHOP);

    const request = await sendWebhook(origin, { shop: SHOP, topic: "customers/data_request", payload: webhookPayload(store, SHOP, "customers/data_request", customer.id) });
    await processed(SHOP, request.eventId);
    const exported = await db.complianceRequest.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: request.eventId } } });
    expect(JSON.stringify(exported.export)).toContain(customer.email ?? "missing");
    expect(exported.export).toMatchObject({ member: { status: "active" }, orders: [{ id: order.id.split("/").pop() }] });

    const redact = await sendWebhook(origin, { shop: SHOP, topic: "customers/redact", payload: webhookPayload(store, SHOP, "customers/redact", customer.id) });
    await processed(SHOP, redact.eventId);
    // Look in every table for the customer's id, email and name.
    const email = customer.email ?? "";
    for (const table of Object.values(Prisma.ModelName)) {
      const rows = await db.$queryRaw<Array<{ hit: boolean }>>`
        SELECT EXISTS (SELECT 1 FROM ${Prisma.raw(`"${table}"`)} t WHERE t::text LIKE ${`%${email}%`} OR t::text LIKE ${`%"${customerId}"%`} OR t::text LIKE ${`%,${customerId},%`} OR t::text LIKE ${"%Ada%"}) AS hit`;
      const tombstone = table === "Customer" ? await db.customer.findUnique({ where: { shop_id: { shop: SHOP, id: customerId } } }) : null;
      if (tombstone) {
        expect(tombstone).toMatchObject({ email: null, firstName: null, lastName: null, phone: null });
        continue;
      }
      expect(rows[0]?.hit, `${table} still mentions the customer`).toBe(false);
    }
    expect(await revenue(SHOP)).toEqual(revenueBefore);
  });

  it("app/uninstalled removes sessions and stops the shop's jobs; shop/redact deletes every row of the shop and only that shop", async () => {
    await db.session.create({ data: { id: `offline_${OTHER}`, shop: OTHER, state: "s", accessToken: "t" } });
    const { order } = newOrder(OTHER);
    const sent = await sendWebhook(origin, { shop: OTHER, topic: "orders/create", payload: webhookPayload(store, OTHER, "orders/create", order.id) });
    await processed(OTHER, sent.eventId);
    const mineBefore = await rowsOf(SHOP);

    const uninstall = await sendWebhook(origin, { shop: OTHER, topic: "app/uninstalled", payload: webhookPayload(store, OTHER, "app/uninstalled") });
    await processed(OTHER, uninstall.eventId);
    expect(await db.session.count({ where: { shop: OTHER } })).toBe(0);
    expect((await db.shop.findUniqueOrThrow({ where: { domain: OTHER } })).uninstalledAt).not.toBeNull();

    const redact = await sendWebhook(origin, { shop: OTHER, topic: "shop/redact", payload: webhookPayload(store, OTHER, "shop/redact") });
    expect(redact.status).toBe(200);
    await waitFor("shop/redact to empty the shop", async () => (Object.values(await rowsOf(OTHER)).every((n) => n === 0) ? true : undefined));
    expect(await db.shop.findUnique({ where: { domain: OTHER } })).toBeNull();
    expect(await rowsOf(SHOP)).toEqual(mineBefore);
  });

  async function counts() {
    const [deliveries, orders, customers] = await Promise.all([db.webhookDelivery.count(), db.order.count(), db.customer.count()]);
    return { deliveries, orders, customers };
  }

  async function revenue(shop: string) {
    const rows = await db.$queryRaw<Array<{ n: bigint; total: string }>>`SELECT count(*) AS n, COALESCE(sum("totalPrice"), 0)::text AS total FROM "Order" WHERE shop = ${shop}`;
    return { n: Number(rows[0]?.n), total: rows[0]?.total };
  }

  /** Row counts of every table for a shop (every model: a new table is covered automatically). */
  async function rowsOf(shop: string): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const table of Object.values(Prisma.ModelName)) {
      const column = table === "Shop" ? "domain" : "shop";
      const rows = await db.$queryRaw<Array<{ n: bigint }>>`SELECT count(*) AS n FROM ${Prisma.raw(`"${table}"`)} WHERE ${Prisma.raw(`"${column}"`)} = ${shop}`;
      result[table] = Number(rows[0]?.n);
    }
    return result;
  }
});
