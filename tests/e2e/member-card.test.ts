import { mkdirSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import { ensureMemberCard } from "../../app/cards/cards.server";
import { checkDigits, formatCardCode, totpAt } from "../../app/cards/totp.server";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../app/db/embedded.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { joinMembership } from "../../app/membership/membership.server";
import { registerInstall } from "../../app/shops/shops.server";
import { createShopifyStandin, DEFAULT_SCOPES, legacyId, type ShopifyStandin } from "../../standin/index.ts";
import { spawnApp, type AppProcess } from "../support/app-process";
import { launchChromium } from "../support/browser";
import { watchPageProblems } from "../support/demo-browser";

/**
 * The member card at the counter, end to end: in the demo app, a member joins
 * through the storefront and opens their card in Chromium (through a small
 * "storefront" that forwards /apps/regulars/* with signed app-proxy queries,
 * as Shopify does). The test reads the code the page shows and calls the POS
 * extension's endpoint as the POS does — a session token signed by the
 * stand-in — and the code resolves to that member. A tampered code, an
 * expired one (the phone's clock ten minutes behind) and another shop's are
 * refused. After one online visit, the card still opens offline, from the
 * service worker's copy, with a code that still resolves.
 */

const SHOP = "demo-cafe.myshopify.com";
const OTHER = "rival-cafe.myshopify.com";
const APPLICATION_KEY = Buffer.alloc(32, 7);
const SCREENSHOTS = fileURLToPath(new URL("../../test-results/screenshots/", import.meta.url));
const CONSENT = "Join Demo Cafe Regulars: we remember your usual and may send you member offers.";
const CODE = /^[A-Z2-7]{8}-[0-9]{6}$/;

function readRaw(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

describe("the member card in Chromium, recognised at the POS", () => {
  let standin: ShopifyStandin;
  let database: EmbeddedDatabase;
  let db: Database;
  let app: AppProcess;
  let origin: string;
  let storefront: Server;
  let storefrontUrl: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;
  let member: string;
  /** Card page and script requests the storefront forwarded to the app. */
  const forwarded: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    standin = await createShopifyStandin({ apiKey: "regulars-demo-api-key", apiSecret: "regulars-demo-api-secret" });
    standin.store.addShop({ domain: SHOP, name: "Demo Cafe", locationName: "High Street" });
    standin.store.issueAccessToken(SHOP, { token: "demo-offline-token", scope: DEFAULT_SCOPES });
    const ada = standin.store.addCustomer(SHOP, { email: "ada@example.com", firstName: "Ada", lastName: "Lovelace" });
    member = String(legacyId(ada.id));

    database = await startEmbeddedDatabase({ dataDir: "memory://" });
    await applyMigrations(database.url);
    db = createPrismaClient(database.url);
    app = spawnApp(
      { NODE_ENV: "development", DATABASE_URL: database.url, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url, APP_ENCRYPTION_KEY: APPLICATION_KEY.toString("hex"), WORKER_CONCURRENCY: "2" },
      { npmScript: "demo" },
    );
    origin = await app.ready;
    expect(await standin.sendWebhook({ shop: SHOP, topic: "customers/create", address: `${origin}/webhooks/customers`, payload: standin.webhookPayload(SHOP, "customers/create", ada.id) })).toBe(200);

    storefront = createServer((request, response) => {
      void (async () => {
        const url = new URL(request.url ?? "/", "http://storefront");
        if (url.pathname.startsWith("/apps/regulars/")) {
          const path = url.pathname.slice("/apps/regulars/".length);
          if (path === "card" || path === "card.js") forwarded.push(path);
          const extra = Object.fromEntries(url.searchParams);
          const query = standin.appProxyQuery({ shop: SHOP, loggedInCustomerId: member, pathPrefix: "/apps/regulars", extra });
          const body = request.method === "GET" ? undefined : await readRaw(request);
          const answer = await fetch(`${origin}/proxy/${path}?${query}`, {
            method: request.method,
            headers: request.headers["content-type"] ? { "Content-Type": request.headers["content-type"] } : {},
            body,
            redirect: "manual",
          });
          response.writeHead(answer.status, { "Content-Type": answer.headers.get("content-type") ?? "application/json", "Cache-Control": answer.headers.get("cache-control") ?? "no-store" });
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

    // Ada joins in the online store (the membership block's request): her card is issued with the membership.
    const joined = await fetch(`${storefrontUrl}/apps/regulars/membership/join`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ consentText: CONSENT, accepted: true }),
    });
    expect(joined.status).toBe(200);
    expect(await db.memberCard.count({ where: { shop: SHOP, customerId: member, revokedAt: null } })).toBe(1);

    chromium = await launchChromium();
    context = await chromium.browser.newContext({ viewport: { width: 420, height: 900 } });
  });

  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await new Promise<void>((resolve) => (storefront ? storefront.close(() => resolve()) : resolve()));
    await app?.stop("SIGINT");
    await db?.$disconnect();
    await database?.stop();
    await standin?.close();
  });

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `member-card-${name}.png`), fullPage: true });

  /** The code the card shows, once its script has computed it. */
  async function shownCode(page: Page): Promise<string> {
    const code = page.locator("#card-code");
    await page.waitForFunction(() => /^[A-Z2-7]{8}-[0-9]{6}$/.test(document.getElementById("card-code")?.textContent ?? ""));
    return (await code.innerText()).trim();
  }

  /**
   * The POS extension's call: POST /api/pos/member with the POS session token,
   * from the extension's origin, by the POS app (whose user agent Shopify's
   * library lets through; other clients it takes for bots and answers 410).
   */
  async function scanAtPos(code: string, shop = SHOP) {
    const response = await fetch(`${origin}/api/pos/member`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${standin.mintSessionToken(shop)}`,
        "Content-Type": "application/json",
        Origin: "https://extensions.shopifycdn.com",
        "User-Agent": "Shopify POS/9.30.0 (iPad; iOS 18.1; Scale/2.00)",
      },
      body: JSON.stringify({ code, saleCustomerId: null, locationId: null }),
    });
    const text = await response.text();
    if (!text) throw new Error(`the POS endpoint answered ${response.status} with no body (${JSON.stringify(Object.fromEntries(response.headers))})`);
    return { status: response.status, body: JSON.parse(text) as Record<string, unknown> };
  }

  it("shows the member's card with a code the POS resolves to her; tampered, expired and other-shop codes are refused", async () => {
    const page = await context.newPage();
    const problems = watchPageProblems(page);
    await page.goto(`${storefrontUrl}/apps/regulars/card`, { waitUntil: "load" });
    await page.getByRole("heading", { name: "Ada Lovelace's member card" }).waitFor();
    const code = await shownCode(page);
    expect(code).toMatch(CODE);
    // The QR carries the same text (drawn in the page by the QR library).
    expect(await page.locator("#card-qr svg").count()).toBe(1);
    await shot(page, "1-card");

    const recognised = await scanAtPos(code);
    expect(recognised).toMatchObject({ status: 200, body: { ok: true, customerId: member, member: { customerId: member, name: "Ada Lovelace", memberStatus: "active" } } });
    expect(await db.cardScan.count({ where: { shop: SHOP, customerId: member } })).toBe(1);

    // Tampered: one digit changed (to digits that match no step of the card at all).
    const data = JSON.parse((await page.locator("#card-data").textContent()) ?? "{}") as { ref: string; secret: string };
    const secret = Buffer.from(data.secret, "base64url");
    const digits = code.slice(-6);
    const tampered = [1, 2, 3, 4, 5, 6, 7, 8, 9]
      .map((add) => `${digits.slice(0, 5)}${(Number(digits[5]) + add) % 10}`)
      .find((candidate) => checkDigits(secret, candidate, new Date()) === "invalid");
    expect(await scanAtPos(`${data.ref}-${tampered}`)).toMatchObject({ status: 422, body: { ok: false, reason: "invalid" } });

    // Expired: a phone whose clock is ten minutes behind shows a code from ten minutes ago.
    // (A context of its own: a context's pages share one clock.)
    const lateContext = await chromium.browser.newContext({ viewport: { width: 420, height: 900 } });
    const behind = await lateContext.newPage();
    const behindProblems = watchPageProblems(behind);
    await behind.clock.setFixedTime(new Date(Date.now() - 10 * 60_000));
    await behind.goto(`${storefrontUrl}/apps/regulars/card`, { waitUntil: "load" });
    const oldCode = await shownCode(behind);
    expect(oldCode).not.toBe(code);
    expect(await scanAtPos(oldCode)).toMatchObject({ status: 410, body: { ok: false, reason: "expired", message: expect.stringContaining("expired") } });
    await lateContext.close();

    // Another shop's card: a member of the rival cafe (same app) shows it at this cafe's counter.
    await registerInstall(db, { domain: OTHER, name: "Rival Cafe" });
    await joinMembership(db, { shop: OTHER, customerId: "31337", via: "storefront", consentText: CONSENT, at: new Date() });
    const rivalCard = await ensureMemberCard(db, APPLICATION_KEY, OTHER, "31337");
    const rivalCode = formatCardCode(rivalCard.ref, totpAt(rivalCard.secret, new Date()));
    expect(await scanAtPos(rivalCode)).toMatchObject({ status: 404, body: { ok: false, reason: "unknown" } });
    // … and Ada's code at the rival's counter.
    expect(await scanAtPos(await shownCode(page), OTHER)).toMatchObject({ status: 404, body: { ok: false, reason: "unknown" } });

    expect(problems).toEqual([]);
    expect(behindProblems).toEqual([]);
    await page.close();
  });

  it("still opens offline after one online visit, with a code that resolves", async () => {
    const page = await context.newPage();
    const problems = watchPageProblems(page);
    await page.goto(`${storefrontUrl}/apps/regulars/card`, { waitUntil: "load" });
    await shownCode(page);
    // The service worker takes control of the card page once registered; a reload under it keeps the latest copy.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null || navigator.serviceWorker.ready.then(() => true));
    await page.reload({ waitUntil: "load" });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await shownCode(page);

    const before = forwarded.length;
    await context.setOffline(true);
    try {
      await page.reload({ waitUntil: "load" });
      await page.getByRole("heading", { name: "Ada Lovelace's member card" }).waitFor();
      const offlineCode = await shownCode(page);
      await page.getByText("You're offline: the card still works.").waitFor();
      await shot(page, "2-offline");
      // Nothing reached the storefront: the page and its script came from the worker's copy.
      expect(forwarded.length).toBe(before);
      expect(await scanAtPos(offlineCode)).toMatchObject({ status: 200, body: { ok: true, customerId: member } });
    } finally {
      await context.setOffline(false);
    }
    // Going back online shows nothing but the expected console noise of an offline reload (none).
    expect(problems).toEqual([]);
    await page.close();
  });

  it("leaves the membership from the card's settings: the card stops working at once", async () => {
    const page = await context.newPage();
    const problems = watchPageProblems(page);
    await page.goto(`${storefrontUrl}/apps/regulars/card`, { waitUntil: "load" });
    const code = await shownCode(page);
    await page.getByText("Notifications are off for this phone.").waitFor();
    await page.getByRole("button", { name: "Leave the membership" }).click();
    await page.getByRole("button", { name: "Yes, leave" }).click();
    await page.getByText("You left the membership, so your card no longer works.").waitFor();
    await shot(page, "3-left");
    expect(await db.member.findUnique({ where: { shop_customerId: { shop: SHOP, customerId: member } } })).toMatchObject({ status: "left" });
    expect(await scanAtPos(code)).toMatchObject({ status: 410, body: { ok: false, reason: "revoked" } });
    expect(problems).toEqual([]);
    await page.close();
  });
});
