import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importOrders } from "../../app/imports/import-orders.server";
import { ShopSettingsConflictError, UnknownShopError, createStandaloneShop } from "../../app/imports/standalone-shop.server";
import { findRun } from "../../app/imports/runs.server";
import { registerInstall } from "../../app/shops/shops.server";
import { markCustomerDeleted, upsertCustomer } from "../../app/sync/customers.server";
import { upsertOrder } from "../../app/sync/orders.server";
import { csvSource, generatedHistory, shopSnapshot, tableCounts } from "../support/imports";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";
import { customer, order } from "../support/sync-fixtures";
import { withLineItems, withLineItemsOf } from "../support/line-items";

const SHOP = "north-cafe.myshopify.com";
const OTHER = "south-cafe.myshopify.com";

const GOOD = [
  "order_id,customer_id,ordered_at,total,currency,location,channel,email,items",
  "A-1,501,2026-03-02T08:15:00+00:00,7.40,,Main St,pos,ann@example.com,LATTE-OAT:1;CROISSANT:2",
  ",502,2026-03-29 01:30,3.90,,Main St,web,,LATTE-OAT:1",
  ",,2026-07-02 09:00,3.90,,,,,",
  ",,2026-07-02 09:00,3.90,,,,,",
  "A-5,501,2026-07-03T08:00:00,12,EUR,Harbour,,,FLAT-WHITE:2",
].join("\n");

describe.each(stackKinds().filter((k) => k.queue === "postgres"))("CSV order import on $name", (kind) => {
  let stack: TestStack;
  const db = () => stack.runtime.db;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    await createStandaloneShop(db(), { domain: SHOP, timezone: "Europe/London", currency: "GBP" });
    await createStandaloneShop(db(), { domain: OTHER, timezone: "America/New_York", currency: "USD" });
  });
  afterAll(async () => stack?.stop());

  it("refuses an unknown shop, naming the command that registers it, and records nothing", async () => {
    const before = await db().importRun.count();
    const attempt = importOrders(db(), "nowhere.myshopify.com", csvSource(GOOD), { origin: "cli" });
    await expect(attempt).rejects.toThrow(UnknownShopError);
    await expect(attempt).rejects.toThrow(
      "Shop nowhere.myshopify.com is not known to Regulars. Install the app on it, or register it for imports with: " +
        "regulars shop create nowhere.myshopify.com --timezone Area/City --currency XXX",
    );
    expect(await db().importRun.count()).toBe(before);
  });

  it("shop create is idempotent, and refuses other settings for an existing shop", async () => {
    const again = await createStandaloneShop(db(), { domain: SHOP, timezone: "Europe/London", currency: "GBP" });
    expect(again.outcome).toBe("exists");
    expect(again.shop).toMatchObject({ source: "standalone", timezone: "Europe/London", currency: "GBP" });
    await expect(createStandaloneShop(db(), { domain: SHOP, timezone: "Europe/Paris", currency: "GBP" })).rejects.toThrow(
      /already exists \(registered with `regulars shop create`\) with time zone Europe\/London \(asked: Europe\/Paris\)\. Nothing was changed/,
    );
    await registerInstall(db(), { domain: "installed-cafe.myshopify.com", timezone: "Asia/Tokyo", currency: "JPY" });
    await expect(createStandaloneShop(db(), { domain: "installed-cafe.myshopify.com", timezone: "Asia/Tokyo", currency: "USD" })).rejects.toThrow(
      ShopSettingsConflictError,
    );
    const installed = await db().shop.findUniqueOrThrow({ where: { domain: "installed-cafe.myshopify.com" } });
    expect([installed.source, installed.currency]).toEqual(["shopify", "JPY"]);
  });

  it("imports a good file as exactly its orders, line items, customers and locations", async () => {
    const report = await importOrders(db(), SHOP, csvSource(GOOD), { origin: "cli", now: new Date("2026-11-28T00:00:00Z") });
    expect(report).toMatchObject({ status: "completed", rows: 5, ordersNew: 5, ordersUpdated: 0, ordersUnchanged: 0, customersNew: 2, errorCount: 0 });

    const orders = await withLineItems(db(), await db().order.findMany({ where: { shop: SHOP }, orderBy: { processedAt: "asc" } }));
    const view = orders.map((o) => ({
      id: o.id,
      customerId: o.customerId,
      at: o.processedAt.toISOString(),
      total: o.totalPrice.toString(),
      currency: o.currency,
      channel: o.channel,
      locationId: o.locationId,
      source: o.source,
      items: o.lineItems.map((li) => `${li.id}:${li.sku}:${li.title}:${li.quantity}:${li.price.toString()}`),
    }));
    const derived = expect.stringMatching(/^import-[0-9a-f]{24}$/);
    expect(view).toEqual([
      { id: "import:A-1", customerId: "501", at: "2026-03-02T08:15:00.000Z", total: "7.4", currency: "GBP", channel: "pos", locationId: "Main St", source: "import", items: ["1:LATTE-OAT:LATTE-OAT:1:0", "2:CROISSANT:CROISSANT:2:0"] },
      // 01:30 does not exist in London that night (clocks skip to 02:00): read as 02:30 BST.
      { id: derived, customerId: "502", at: "2026-03-29T01:30:00.000Z", total: "3.9", currency: "GBP", channel: "web", locationId: "Main St", source: "import", items: ["1:LATTE-OAT:LATTE-OAT:1:0"] },
      { id: derived, customerId: null, at: "2026-07-02T08:00:00.000Z", total: "3.9", currency: "GBP", channel: "pos", locationId: null, source: "import", items: [] },
      { id: derived, customerId: null, at: "2026-07-02T08:00:00.000Z", total: "3.9", currency: "GBP", channel: "pos", locationId: null, source: "import", items: [] },
      { id: "import:A-5", customerId: "501", at: "2026-07-03T07:00:00.000Z", total: "12", currency: "EUR", channel: "pos", locationId: "Harbour", source: "import", items: ["1:FLAT-WHITE:FLAT-WHITE:2:0"] },
    ]);
    expect(new Set(orders.map((o) => o.id)).size).toBe(5);

    const customers = await db().customer.findMany({ where: { shop: SHOP }, orderBy: { id: "asc" } });
    expect(customers.map((c) => [c.id, c.email, c.source, c.shopifyUpdatedAt])).toEqual([
      ["501", "ann@example.com", "import", null],
      ["502", null, "import", null],
    ]);
    const locations = await db().location.findMany({ where: { shop: SHOP }, orderBy: { id: "asc" } });
    expect(locations.map((l) => [l.id, l.name])).toEqual([["Harbour", "Harbour"], ["Main St", "Main St"]]);

    const run = await findRun(db(), SHOP, report.runId);
    expect(run).toMatchObject({ status: "completed", fileName: "orders.csv", fileSha256: csvSource(GOOD).sha256, rows: 5, ordersNew: 5, customersNew: 2, errors: [] });
    expect(await db().importStagedOrder.count()).toBe(0);
  });

  it("importing the same file again changes nothing", async () => {
    const before = await shopSnapshot(db(), SHOP);
    const report = await importOrders(db(), SHOP, csvSource(GOOD), { origin: "cli", now: new Date("2026-11-28T00:00:00Z") });
    expect(report).toMatchObject({ status: "completed", ordersNew: 0, ordersUpdated: 0, ordersUnchanged: 5, customersNew: 0 });
    expect(report.previouslyImportedAt).toBeInstanceOf(Date);
    expect(await shopSnapshot(db(), SHOP)).toBe(before);
  });

  it("a file with bad rows reports each by line and column and leaves every table as it was", async () => {
    const bad = [
      "order_id,customer_id,ordered_at,total,channel,items",
      "B-1,601,2026-03-02T08:15:00Z,4.50,pos,LATTE-OAT:1", // good, but must not be written
      "B-2,602,2026-03-02T08:15:00Z,4,50,pos,", // one value too many
      "B-3,603,not a date,4.50,pos,",
      "B-4,604,2026-03-02T08:15:00Z,4.50,drive-thru,",
      "B-5,605,2026-03-02T08:15:00Z,4.50,pos,LATTE-OAT:1",
      "B-1,606,2026-03-02T08:15:00Z,4.50,pos,",
    ].join("\n");
    const snapshots = [await shopSnapshot(db(), SHOP), await shopSnapshot(db(), OTHER)];
    const counts = await tableCounts(db());
    const runs = await db().importRun.count();

    const report = await importOrders(db(), SHOP, csvSource(bad, "bad.csv"), { origin: "cli" });

    expect(report.status).toBe("rejected");
    expect(report.errors.map((e) => [e.line, e.column])).toEqual([
      [3, null],
      [4, "ordered_at"],
      [5, "channel"],
      [7, "order_id"],
    ]);
    expect(report).toMatchObject({ rows: 6, errorCount: 4, ordersNew: 0 });
    expect(await tableCounts(db())).toEqual(counts);
    expect([await shopSnapshot(db(), SHOP), await shopSnapshot(db(), OTHER)]).toEqual(snapshots);
    // The attempt itself is recorded, with its errors.
    expect(await db().importRun.count()).toBe(runs + 1);
    const run = await findRun(db(), SHOP, report.runId);
    expect(run).toMatchObject({ status: "rejected", errorCount: 4, rows: 6 });
    expect(run?.errors[3]).toEqual({ line: 7, column: "order_id", message: "order_id B-1 is also on line 2" });
  });

  it("all or nothing at the write too: a failure before commit leaves every table as it was", async () => {
    const snapshot = await shopSnapshot(db(), SHOP);
    const counts = await tableCounts(db());
    const file = csvSource("order_id,customer_id,ordered_at,total\nC-1,701,2026-03-02T08:15:00Z,4.50\n");
    const attempt = importOrders(db(), SHOP, file, {
      origin: "cli",
      beforeCommit: async (tx) => {
        // The order is written inside the transaction…
        expect(await tx.order.count({ where: { shop: SHOP, id: "import:C-1" } })).toBe(1);
        throw new Error("worker lost its database connection");
      },
    });
    await expect(attempt).rejects.toThrow("worker lost its database connection");
    expect(await tableCounts(db())).toEqual(counts);
    expect(await shopSnapshot(db(), SHOP)).toBe(snapshot);
    const [run] = await db().importRun.findMany({ where: { shop: SHOP, fileSha256: file.sha256 } });
    expect(run).toMatchObject({ status: "failed", failure: "worker lost its database connection" });
  });

  it("a corrected row (same order_id) replaces the imported order and its items; the rest stays", async () => {
    const corrected = GOOD.replace("A-1,501,2026-03-02T08:15:00+00:00,7.40,,Main St,pos,ann@example.com,LATTE-OAT:1;CROISSANT:2", "A-1,501,2026-03-02T08:15:00+00:00,8.10,,Main St,pos,ann@example.com,LATTE-OAT:2");
    const untouched = await withLineItems(db(), await db().order.findMany({ where: { shop: SHOP, id: { not: "import:A-1" } }, orderBy: { id: "asc" } }));
    const report = await importOrders(db(), SHOP, csvSource(corrected), { origin: "cli" });
    expect(report).toMatchObject({ status: "completed", ordersNew: 0, ordersUpdated: 1, ordersUnchanged: 4 });
    const fixed = await withLineItemsOf(db(), await db().order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "import:A-1" } } }));
    expect(fixed.totalPrice.toString()).toBe("8.1");
    expect(fixed.lineItems.map((li) => [li.sku, li.quantity])).toEqual([["LATTE-OAT", 2]]);
    expect(await withLineItems(db(), await db().order.findMany({ where: { shop: SHOP, id: { not: "import:A-1" } }, orderBy: { id: "asc" } }))).toEqual(untouched);
  });

  it("imported customers yield to Shopify: an import never changes a held customer, a Shopify version replaces an imported one", async () => {
    await upsertCustomer(db(), SHOP, customer({ id: "801", email: "shopify@example.com" }), "webhook");
    await markCustomerDeleted(db(), SHOP, "802", new Date("2026-10-01T00:00:00Z"));
    const file = csvSource("customer_id,ordered_at,total,email\n801,2026-03-02T08:15:00Z,4.50,csv@example.com\n802,2026-03-02T08:15:00Z,4.50,gone@example.com\n");
    const report = await importOrders(db(), SHOP, file, { origin: "cli" });
    expect(report).toMatchObject({ status: "completed", ordersNew: 2, customersNew: 0 });
    const held = await db().customer.findMany({ where: { shop: SHOP, id: { in: ["801", "802"] } }, orderBy: { id: "asc" } });
    expect(held.map((c) => [c.id, c.email, c.source, c.deletedAt !== null])).toEqual([
      ["801", "shopify@example.com", "webhook", false],
      ["802", null, "webhook", true],
    ]);
    // 502 came from the first import; Shopify's version of that customer takes over.
    expect(await upsertCustomer(db(), SHOP, customer({ id: "502", email: "bea@example.com" }), "webhook")).toBe("updated");
    const replaced = await db().customer.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "502" } } });
    expect([replaced.email, replaced.source]).toEqual(["bea@example.com", "webhook"]);
  });

  it("keeps shops apart: importing into one shop never touches another", async () => {
    await upsertOrder(db(), OTHER, order({ id: "9001", customerId: "501", totalPrice: "99.00" }), "webhook");
    await upsertCustomer(db(), OTHER, customer({ id: "501", email: "other-shop@example.com" }), "webhook");
    await importOrders(db(), OTHER, csvSource(GOOD), { origin: "cli" });
    const other = await shopSnapshot(db(), OTHER);
    const otherRuns = await db().importRun.findMany({ where: { shop: OTHER }, orderBy: { id: "asc" } });

    const mine = await importOrders(db(), SHOP, csvSource(generatedHistory(50), "more.csv"), { origin: "cli" });
    expect(mine).toMatchObject({ status: "completed", ordersNew: 50 });
    await importOrders(db(), SHOP, csvSource(GOOD), { origin: "cli" });

    expect(await shopSnapshot(db(), OTHER)).toBe(other);
    expect(await db().importRun.findMany({ where: { shop: OTHER }, orderBy: { id: "asc" } })).toEqual(otherRuns);
    // The same file in two shops: the same ids, two separate sets of rows, each in its shop's time zone.
    const a1 = await db().order.findMany({ where: { id: "import:A-5" }, orderBy: { shop: "asc" } });
    expect(a1.map((o) => [o.shop, o.processedAt.toISOString(), o.currency])).toEqual([
      [SHOP, "2026-07-03T07:00:00.000Z", "EUR"],
      [OTHER, "2026-07-03T12:00:00.000Z", "EUR"],
    ]);
    const otherCustomer = await db().customer.findUniqueOrThrow({ where: { shop_id: { shop: OTHER, id: "501" } } });
    expect(otherCustomer.email).toBe("other-shop@example.com");
  });

  it("streams a file larger than one staging batch and reports progress as it reads", async () => {
    const text = generatedHistory(4_500);
    const phases: string[] = [];
    let lastBytes = 0;
    const report = await importOrders(db(), OTHER, csvSource(text, "big.csv"), {
      origin: "cli",
      onProgress: (progress) => {
        phases.push(progress.phase);
        expect(progress.bytesDone).toBeGreaterThanOrEqual(lastBytes);
        lastBytes = progress.bytesDone;
      },
    });
    expect(report).toMatchObject({ status: "completed", rows: 4_500, ordersNew: 4_500 });
    expect(phases.at(0)).toBe("validating");
    expect(phases.at(-1)).toBe("importing");
    expect(lastBytes).toBe(Buffer.byteLength(text));
    const imported = await db().order.findMany({ where: { shop: OTHER, source: "import" }, select: { id: true } });
    expect(await db().lineItem.count({ where: { shop: OTHER, orderId: { in: imported.map((o) => o.id) } } })).toBeGreaterThanOrEqual(9_000);
  });
});
