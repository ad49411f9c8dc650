import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importBulkFile } from "../../app/sync/backfill/import.server";
import { parseLineItemLine, parseOrderLine } from "../../app/sync/backfill/order-lines";
import type { StageMode } from "../../app/sync/backfill/staging.server";
import { upsertOrder, upsertRefund } from "../../app/sync/orders.server";
import type { SyncedOrder } from "../../app/sync/types";
import type { Database } from "../../app/db/prisma.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";
import { order as syncedOrder } from "../support/sync-fixtures";

/**
 * The set-based merge must do exactly what the one-at-a-time writer does. The
 * same file goes into two shops with the same starting rows: one through the
 * backfill import, one order at a time through upsertOrder; the rows must match.
 */

const gid = (type: string, id: string) => `gid://shopify/${type}/${id}`;
const money = (amount: string) => ({ shopMoney: { amount } });
const at = (iso: string) => new Date(iso);

function bulkLines(order: SyncedOrder, status: string): string[] {
  const root = {
    id: gid("Order", order.id),
    name: order.name,
    createdAt: order.shopifyCreatedAt?.toISOString(),
    updatedAt: order.shopifyUpdatedAt.toISOString(),
    processedAt: order.processedAt.toISOString(),
    cancelledAt: order.cancelledAt?.toISOString() ?? null,
    sourceName: order.sourceName,
    currencyCode: order.currency,
    displayFinancialStatus: status,
    customer: order.customerId ? { id: gid("Customer", order.customerId) } : null,
    retailLocation: order.locationId ? { id: gid("Location", order.locationId) } : null,
    physicalLocation: order.locationId ? { id: gid("Location", order.locationId) } : null,
    customAttributes: order.noteAttributes.map((a) => ({ key: a.name, value: a.value })),
    totalPriceSet: money(order.totalPrice),
    subtotalPriceSet: order.subtotalPrice === null ? null : money(order.subtotalPrice),
    totalDiscountsSet: order.totalDiscounts === null ? null : money(order.totalDiscounts),
    refunds: order.refunds.map((r) => ({ id: gid("Refund", r.id), createdAt: r.createdAt.toISOString(), totalRefundedSet: money(r.amount) })),
  };
  const items = order.lineItems.map((item) => ({
    id: gid("LineItem", item.id),
    quantity: item.quantity,
    sku: item.sku,
    title: item.title,
    variant: item.variantId ? { id: gid("ProductVariant", item.variantId) } : null,
    product: item.productId ? { id: gid("Product", item.productId) } : null,
    originalUnitPriceSet: money(item.price),
    __parentId: gid("Order", order.id),
  }));
  return [root, ...items].map((line) => JSON.stringify(line));
}

const item = (id: string, sku: string, quantity = 1, price = "3.40") => ({ id, productId: "9", variantId: "91", sku, title: sku, quantity, price });

/** What the shops hold before the file arrives: webhooks got some orders first. */
async function seedBefore(db: Database, shop: string): Promise<void> {
  // Older than the file: replaced, line items and all.
  await upsertOrder(db, shop, syncedOrder({ id: "2", shopifyUpdatedAt: at("2026-11-01T09:00:00Z"), lineItems: [item("20", "OLD"), item("21", "GONE")] }), "webhook");
  // Newer than the file: kept.
  await upsertOrder(db, shop, syncedOrder({ id: "3", totalPrice: "50.00", shopifyUpdatedAt: at("2026-11-05T09:00:00Z"), lineItems: [item("30", "NEWER")] }), "webhook");
  // Same version as the file: stale, nothing written.
  await upsertOrder(db, shop, syncedOrder({ id: "4", totalPrice: "4.00", shopifyUpdatedAt: at("2026-11-03T09:00:00Z") }), "webhook");
  // A redacted customer's order: the pseudonym survives the newer version.
  await upsertOrder(db, shop, syncedOrder({ id: "5", customerId: "redacted-abc", shopifyUpdatedAt: at("2026-11-01T09:00:00Z") }), "webhook");
  // A refund that came by webhook before its order.
  await upsertRefund(db, shop, { id: "r6-early", orderId: "6", amount: "1.25", createdAt: at("2026-11-02T10:00:00Z") });
  // A refund already held that the file lists again.
  await upsertOrder(db, shop, syncedOrder({ id: "7", shopifyUpdatedAt: at("2026-11-01T09:00:00Z"), refunds: [{ id: "r7", orderId: "7", amount: "2.00", createdAt: at("2026-11-01T09:30:00Z") }] }), "webhook");
}

function fileOrders(): { order: SyncedOrder; status: string }[] {
  const version = at("2026-11-03T09:00:00Z");
  const base = { shopifyUpdatedAt: version, shopifyCreatedAt: at("2026-11-02T08:00:00Z"), processedAt: at("2026-11-02T08:00:00Z") };
  return [
    { status: "PAID", order: syncedOrder({ ...base, id: "1", noteAttributes: [{ name: "pickup_at", value: "08:15" }], lineItems: [item("10", "LAT"), item("11", "CRO", 2, "2.80")] }) },
    { status: "PAID", order: syncedOrder({ ...base, id: "2", lineItems: [item("20", "NEW", 3)] }) },
    { status: "PAID", order: syncedOrder({ ...base, id: "3", totalPrice: "1.00" }) },
    { status: "PAID", order: syncedOrder({ ...base, id: "4", totalPrice: "9.00" }) },
    { status: "PAID", order: syncedOrder({ ...base, id: "5", customerId: "501" }) },
    { status: "PARTIALLY_REFUNDED", order: syncedOrder({ ...base, id: "6", refunds: [{ id: "r6", orderId: "6", amount: "3.00", createdAt: at("2026-11-02T11:00:00Z") }] }) },
    { status: "REFUNDED", order: syncedOrder({ ...base, id: "7", cancelledAt: at("2026-11-02T12:00:00Z"), refunds: [{ id: "r7", orderId: "7", amount: "2.00", createdAt: at("2026-11-01T09:30:00Z") }, { id: "r7b", orderId: "7", amount: "5.40", createdAt: at("2026-11-02T12:00:00Z") }] }) },
    { status: "PENDING", order: syncedOrder({ ...base, id: "8", customerId: null, locationId: null, sourceName: "web", channel: "web", subtotalPrice: null, totalDiscounts: null, lineItems: [] }) },
  ];
}

async function rows(db: Database, shop: string) {
  const orders = await db.order.findMany({ where: { shop }, orderBy: { id: "asc" } });
  const lineItems = await db.lineItem.findMany({ where: { shop }, orderBy: [{ orderId: "asc" }, { id: "asc" }] });
  const refunds = await db.refund.findMany({ where: { shop }, orderBy: { id: "asc" } });
  return {
    orders: orders.map(({ shop: _shop, createdAt: _c, updatedAt: _u, ...rest }) => ({ ...rest, totalPrice: rest.totalPrice.toString(), refundedAmount: rest.refundedAmount.toString() })),
    lineItems: lineItems.map(({ shop: _shop, ...rest }) => ({ ...rest, price: rest.price.toString() })),
    refunds: refunds.map(({ shop: _shop, ...rest }) => ({ ...rest, amount: rest.amount.toString() })),
  };
}

/** The file's orders as the one-at-a-time writer gets them. */
function fileAsOrders(file: string): SyncedOrder[] {
  let current: SyncedOrder | null = null;
  const parsed: SyncedOrder[] = [];
  file.trimEnd().split("\n").forEach((line, index) => {
    const value: unknown = JSON.parse(line);
    if (typeof value === "object" && value !== null && "__parentId" in value) current?.lineItems.push(parseLineItemLine(value, index + 1).item);
    else parsed.push((current = parseOrderLine(value, index + 1).order));
  });
  return parsed;
}

async function* linesOf(text: string): AsyncGenerator<Uint8Array> {
  // Cut at odd places: the splitter must not care where chunks end.
  const bytes = Buffer.from(text);
  for (let offset = 0; offset < bytes.length; offset += 37) yield bytes.subarray(offset, offset + 37);
}

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("backfill merge = upsertOrder on $name", (kind) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack(kind);
  });
  afterAll(async () => stack?.stop());

  const modes: StageMode[] = kind.database === "embedded" ? ["insert"] : ["copy", "insert"];
  it.each(modes)("staging by %s", async (mode) => {
    const db = stack.runtime.db;
    const viaBackfill = `parity-${mode}-a.myshopify.com`;
    const oneByOne = `parity-${mode}-b.myshopify.com`;
    await seedBefore(db, viaBackfill);
    await seedBefore(db, oneByOne);
    const file = fileOrders().flatMap(({ order, status }) => bulkLines(order, status)).join("\n") + "\n";

    const runId = randomUUID();
    await db.backfillRun.create({ data: { shop: viaBackfill, id: runId, resource: "orders", status: "importing" } });
    const totals = await importBulkFile(linesOf(file), { shop: viaBackfill, runId, resource: "orders" }, {
      databaseUrl: stack.runtime.database.url,
      mode,
      batchSize: 3,
    });

    const outcomes = [];
    for (const order of fileAsOrders(file)) outcomes.push(await upsertOrder(db, oneByOne, order, "backfill"));

    expect(await rows(db, viaBackfill)).toEqual(await rows(db, oneByOne));
    expect(outcomes).toEqual(["created", "updated", "stale", "stale", "updated", "created", "updated", "created"]);
    expect({ created: totals.created, updated: totals.updated, stale: totals.stale }).toEqual({ created: 3, updated: 3, stale: 2 });
    const stored = await rows(db, viaBackfill);
    expect(stored.orders.find((o) => o.id === "5")?.customerId).toBe("redacted-abc");
    expect(stored.orders.find((o) => o.id === "6")?.refundedAmount).toBe("4.25");
    expect(stored.orders.find((o) => o.id === "7")?.refundedAmount).toBe("7.4");
    expect(stored.lineItems.filter((i) => i.orderId === "2").map((i) => i.sku)).toEqual(["NEW"]);
    expect(stored.lineItems.filter((i) => i.orderId === "3").map((i) => i.sku)).toEqual(["NEWER"]);
    expect((await db.backfillRun.findUniqueOrThrow({ where: { shop_id: { shop: viaBackfill, id: runId } } })).linesDone).toBe(file.trimEnd().split("\n").length);
  });

  // A first backfill: every batch is new, and on a server its rows go straight into the tables.
  it.each(modes)("all-new batches, and the same file again, by %s", async (mode) => {
    const db = stack.runtime.db;
    const viaBackfill = `parity-new-${mode}-a.myshopify.com`;
    const oneByOne = `parity-new-${mode}-b.myshopify.com`;
    for (const shop of [viaBackfill, oneByOne]) {
      // Refunds that came by webhook before their orders: one the file does not list, one it lists again.
      await upsertRefund(db, shop, { id: "r12-early", orderId: "12", amount: "1.25", createdAt: at("2026-11-02T10:00:00Z") });
      await upsertRefund(db, shop, { id: "r13", orderId: "13", amount: "2.00", createdAt: at("2026-11-02T10:30:00Z") });
    }
    const base = { shopifyUpdatedAt: at("2026-11-03T09:00:00Z"), shopifyCreatedAt: at("2026-11-02T08:00:00Z"), processedAt: at("2026-11-02T08:00:00.250Z") };
    const refund = (id: string, orderId: string, amount: string) => ({ id, orderId, amount, createdAt: at("2026-11-02T11:00:00Z") });
    const orders: { order: SyncedOrder; status: string }[] = [
      { status: "PAID", order: syncedOrder({ ...base, id: "11", name: 'Tab\tand "quote"', lineItems: [item("110", "LAT"), item("111", "CRO", 2, "2.80")] }) },
      { status: "PARTIALLY_REFUNDED", order: syncedOrder({ ...base, id: "12", refunds: [refund("r12", "12", "3.00")] }) },
      { status: "PARTIALLY_REFUNDED", order: syncedOrder({ ...base, id: "13", refunds: [refund("r13", "13", "2.00")] }) },
      { status: "PARTIALLY_REFUNDED", order: syncedOrder({ ...base, id: "14", refunds: [refund("r14", "14", "1.10"), refund("r14b", "14", "0.35")] }) },
      { status: "PENDING", order: syncedOrder({ ...base, id: "15", customerId: null, locationId: null, sourceName: "web", channel: "web", lineItems: [] }) },
      { status: "PAID", order: syncedOrder({ ...base, id: "16", noteAttributes: [{ name: "pickup_at", value: "08:15" }], cancelledAt: at("2026-11-02T09:00:00Z") }) },
    ];
    const file = orders.flatMap(({ order, status }) => bulkLines(order, status)).join("\n") + "\n";
    const importFile = async () => {
      const runId = randomUUID();
      await db.backfillRun.create({ data: { shop: viaBackfill, id: runId, resource: "orders", status: "importing" } });
      return importBulkFile(linesOf(file), { shop: viaBackfill, runId, resource: "orders" }, { databaseUrl: stack.runtime.database.url, mode, batchSize: 2 });
    };

    const first = await importFile();
    for (const order of fileAsOrders(file)) await upsertOrder(db, oneByOne, order, "backfill");
    expect(await rows(db, viaBackfill)).toEqual(await rows(db, oneByOne));
    expect({ created: first.created, updated: first.updated, stale: first.stale }).toEqual({ created: 6, updated: 0, stale: 0 });
    expect(first.batchesWrittenNew).toBe(mode === "copy" ? 3 : 0);
    const stored = await rows(db, viaBackfill);
    expect(Object.fromEntries(stored.orders.map((o) => [o.id, o.refundedAmount]))).toEqual({ "11": "0", "12": "4.25", "13": "2", "14": "1.45", "15": "0", "16": "0" });
    expect(stored.lineItems.filter((i) => i.orderId === "11").map((i) => [i.sku, i.quantity])).toEqual([["LAT", 1], ["CRO", 2]]);

    // Again: every order is held at this version, so nothing changes.
    const again = await importFile();
    expect({ created: again.created, updated: again.updated, stale: again.stale, batchesWrittenNew: again.batchesWrittenNew }).toEqual({ created: 0, updated: 0, stale: 6, batchesWrittenNew: 0 });
    expect(await rows(db, viaBackfill)).toEqual(stored);
  });
});
