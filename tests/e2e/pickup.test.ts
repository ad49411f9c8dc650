import { mkdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../app/db/embedded.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { savePickupSettings, setMenu } from "../../app/pickup/settings.server";
import { createShopifyStandin, DEFAULT_SCOPES, legacyId, type ShopifyStandin } from "../../standin/index.ts";
import { spawnApp, waitFor, type AppProcess } from "../support/app-process";
import { launchChromium } from "../support/browser";
import { watchPageProblems } from "../support/demo-browser";
import { startPushReceiver, type PushReceiver } from "../support/push-receiver";

/**
 * Order ahead, end to end in Chromium against the running demo app: a member
 * opens the order-ahead page through the storefront's app proxy, picks items
 * and a slot, is sent to the stand-in's checkout and pays; Shopify's
 * orders/create webhook brings the order into the barista's queue in the
 * admin; marking it ready sends the member's browser a push, which the local
 * push receiver decrypts. A small "storefront" server plays Shopify's part
 * for /apps/regulars/* (signed app-proxy queries, as in push.test.ts).
 * Screenshots go to test-results/screenshots/ (kept by CI as artifacts).
 */

const SHOP = "demo-cafe.myshopify.com";
const SCREENSHOTS = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
const EXTENSION = new URL("../../extensions/regulars-storefront/", import.meta.url);

function readRaw(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

describe("order ahead for pickup in Chromium", () => {
  let standin: ShopifyStandin;
  let database: EmbeddedDatabase;
  let db: Database;
  let app: AppProcess;
  let origin: string;
  let receiver: PushReceiver;
  let storefront: Server;
  let storefrontUrl: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let member: string;
  let locationId: string;
  const variants = new Map<string, string>();

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    standin = await createShopifyStandin({ apiKey: "regulars-demo-api-key", apiSecret: "regulars-demo-api-secret" });
    const shop = standin.store.addShop({ domain: SHOP, name: "Demo Cafe", locationName: "High Street" });
    locationId = String(legacyId(shop.locations[0]?.id ?? ""));
    for (const product of standin.store.seedMenu(SHOP)) {
      for (const variant of product.variants) variants.set(variant.title === "Default Title" ? product.title : `${product.title} (${variant.title})`, String(legacyId(variant.id)));
    }
    standin.store.issueAccessToken(SHOP, { token: "demo-offline-token", scope: DEFAULT_SCOPES });
    const ada = standin.store.addCustomer(SHOP, { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace" });
    member = String(legacyId(ada.id));

    database = await startEmbeddedDatabase({ dataDir: "memory://" });
    await applyMigrations(database.url);
    db = createPrismaClient(database.url);
    receiver = await startPushReceiver();
    // `npm run demo` (built admin, demo shop) on this test's database, with Shopify's calls sent to the stand-in.
    app = spawnApp(
      { NODE_ENV: "development", DATABASE_URL: database.url, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url, PUSH_ALLOW_LOCAL_RECEIVERS: "1", WORKER_CONCURRENCY: "2" },
      { npmScript: "demo" },
    );
    origin = await app.ready;
    for (const topic of ["orders/create", "orders/paid"]) standin.store.subscribeWebhook(SHOP, topic, `${origin}/webhooks/orders`);
    // The member as the app knows them from Shopify (customers/create), so the queue can name them.
    expect(await standin.sendWebhook({ shop: SHOP, topic: "customers/create", address: `${origin}/webhooks/customers`, payload: standin.webhookPayload(SHOP, "customers/create", ada.id) })).toBe(200);

    // The owner's pickup settings and menu, as the settings page saves them: open all day, every day but the last hour.
    const hours = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: "00:00", closes: "23:00" }));
    const saved = await savePickupSettings(db, SHOP, locationId, { enabled: true, hours, slotMinutes: 10, capacityOrders: 5, capacityItems: null, leadMinutes: 10, cutoffMinutes: 15, holdMinutes: 10 }, { locationName: "High Street" });
    if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
    const menu = await setMenu(db, SHOP, [
      { variantId: variants.get("Flat White") ?? "", productId: "1", title: "Flat White", price: "3.40", isDrink: true },
      { variantId: variants.get("Latte (Oat milk)") ?? "", productId: "2", title: "Oat Latte", price: "3.90", isDrink: true },
      { variantId: variants.get("Croissant") ?? "", productId: "3", title: "Croissant", price: "2.80", isDrink: false },
    ]);
    if (!menu.ok) throw new Error(JSON.stringify(menu.errors));

    storefront = createServer((request, response) => {
      void (async () => {
        const url = new URL(request.url ?? "/", "http://storefront");
        if (url.pathname.startsWith("/apps/regulars/")) {
          const extra = Object.fromEntries(url.searchParams);
          const query = standin.appProxyQuery({ shop: SHOP, loggedInCustomerId: member, pathPrefix: "/apps/regulars", extra });
          const body = request.method === "GET" ? undefined : await readRaw(request);
          const answer = await fetch(`${origin}/proxy/${url.pathname.slice("/apps/regulars/".length)}?${query}`, {
            method: request.method,
            headers: request.headers["content-type"] ? { "Content-Type": request.headers["content-type"] } : {},
            body,
            redirect: "manual",
          });
          const headers: Record<string, string> = { "Content-Type": answer.headers.get("content-type") ?? "application/json" };
          const location = answer.headers.get("location");
          if (location) headers.Location = location;
          response.writeHead(answer.status, headers);
          response.end(Buffer.from(await answer.arrayBuffer()));
        } else {
          response.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
        }
      })().catch((error: unknown) => response.writeHead(502).end(String(error)));
    });
    await new Promise<void>((resolve) => storefront.listen(0, "127.0.0.1", resolve));
    const address = storefront.address();
    if (address === null || typeof address === "string") throw new Error("storefront not listening");
    storefrontUrl = `http://127.0.0.1:${address.port}`;

    // The member's browser allowed notifications earlier (the push prompt, covered by push.test.ts):
    // its subscription points at the local receiver.
    const settings = (await (await fetch(`${storefrontUrl}/apps/regulars/push`)).json()) as { publicKey: string };
    const subscription = receiver.subscribe({ applicationServerKey: settings.publicKey });
    const subscribed = await fetch(`${storefrontUrl}/apps/regulars/push/subscribe`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        subscription: { endpoint: subscription.endpoint, expirationTime: null, keys: subscription.keys },
        applicationServerKey: settings.publicKey,
        browserId: "e2e-pickup-browser-0001",
        optIn: { consentText: "Hear about tastings first? We'll send a notification now and then." },
      }),
    });
    expect(subscribed.status).toBe(200);

    chromium = await launchChromium();
    context = await chromium.browser.newContext({ viewport: { width: 1100, height: 900 } });
  });

  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await new Promise<void>((resolve) => (storefront ? storefront.close(() => resolve()) : resolve()));
    await receiver?.close();
    await app?.stop("SIGINT");
    await db?.$disconnect();
    await database?.stop();
    await standin?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `pickup-${name}.png`), fullPage: true });

  it("links the theme block to the order-ahead page the proxy serves", () => {
    const liquid = readFileSync(new URL("blocks/order-ahead.liquid", EXTENSION), "utf8");
    expect(liquid).toContain("'/apps/regulars/pickup'");
    expect(liquid).toContain('"target": "section"');
  });

  it("orders ahead, pays at checkout, shows up in the admin queue and tells the member when it is ready", async () => {
    // The storefront: the order-ahead page through the app proxy.
    const page = await context.newPage();
    const problems = watchPageProblems(page);
    await page.goto(`${storefrontUrl}/apps/regulars/pickup`, { waitUntil: "load" });
    await page.getByRole("heading", { name: "Order ahead for pickup" }).waitFor();
    await page.getByLabel(/Flat White/).fill("1");
    const slots = page.getByRole("radio");
    const chosen = (await slots.count()) > 1 ? slots.nth(1) : slots.first();
    const slotDate = /Pickup time \((\d{4}-\d{2}-\d{2})\)/.exec(await page.getByRole("group", { name: /Pickup time/ }).innerText())?.[1] ?? "";
    const slotStart = await chosen.getAttribute("value");
    await chosen.check();
    await shot(page, "1-order-ahead");
    await page.getByRole("button", { name: "Continue to payment" }).click();

    // Shopify's checkout (the stand-in's): pay.
    await page.waitForURL(new RegExp(`^${standin.url}/shops/${SHOP}/cart/c/`));
    await page.getByRole("heading", { name: "Checkout" }).waitFor();
    expect(await page.getByRole("table", { name: "Order summary" }).innerText()).toContain("Flat White × 1");
    await shot(page, "2-checkout");
    await page.getByRole("button", { name: "Pay now" }).click();
    const confirmation = await page.getByRole("status").innerText();
    expect(confirmation).toMatch(/^Order #\d+ is confirmed and paid\.$/);
    await shot(page, "3-paid");
    const orderName = /#\d+/.exec(confirmation)?.[0] ?? "";
    const order = [...standin.store.shop(SHOP).orders.values()].find((candidate) => candidate.name === orderName);
    expect(order).toMatchObject({ sourceName: "web", locationId: null, customerId: expect.stringContaining("/Customer/") });
    expect(order?.noteAttributes.map((attribute) => attribute.name)).toEqual(["_regulars_pickup_hold", "_regulars_pickup_location", "_regulars_pickup_slot"]);
    const orderId = String(legacyId(order?.id ?? ""));

    // The webhook brings it into the queue, checked against its hold.
    const queued = await waitFor("the pickup order", async () => (await db.pickupOrder.findUnique({ where: { shop_orderId: { shop: SHOP, orderId } } })) ?? undefined, 60_000);
    expect(queued).toMatchObject({ flag: null, state: "new", customerId: member, locationId, slotStart: new Date(slotStart ?? "") });

    // The barista's queue in the admin.
    const admin = await context.newPage();
    const adminProblems = watchPageProblems(admin);
    // The slot's day: today, unless the test runs after the last slot of the day.
    await admin.goto(`${origin}/app/pickup?date=${slotDate}`, { waitUntil: "networkidle" });
    await admin.getByRole("heading", { name: "Pickup queue" }).waitFor();
    const card = admin.getByText(`${orderName} · Ada Lovelace`);
    await card.waitFor();
    await admin.getByText("1 × Flat White").waitFor();
    await shot(admin, "4-queue-new");
    await admin.getByRole("button", { name: `Start preparing: ${orderName}` }).click();
    await admin.getByText("Order marked preparing.").waitFor();
    await admin.getByRole("button", { name: `Mark ready: ${orderName}` }).click();
    await admin.getByText("Order marked ready. The customer has been told.").waitFor();
    await admin.getByRole("button", { name: `Picked up: ${orderName}` }).waitFor();
    await shot(admin, "5-queue-ready");

    // The member's browser gets the push (decrypted by the receiver, as the browser would).
    const [push] = await receiver.waitFor(1, 60_000);
    const notification = JSON.parse(push?.text ?? "{}") as { title?: string; body?: string; url?: string };
    expect(notification).toMatchObject({ title: "Your order is ready", body: "Your flat white is waiting for you at the counter." });
    expect(push?.urgency).toBe("high");

    // A second click (say, from another till) sends nothing more.
    const again = await fetch(`${origin}/app/pickup?index&date=${slotDate}`, { method: "POST", body: new URLSearchParams({ orderId, to: "ready" }), headers: { "Content-Type": "application/x-www-form-urlencoded" } });
    expect(again.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(receiver.received).toHaveLength(1);
    expect(await db.pushDelivery.count({ where: { shop: SHOP, kind: "transactional" } })).toBe(1);

    expect(problems).toEqual([]);
    expect(adminProblems).toEqual([]);
    await page.close();
    await admin.close();
  });
});
