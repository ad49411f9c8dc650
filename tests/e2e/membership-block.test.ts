import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../app/db/embedded.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { createShopifyStandin, DEFAULT_SCOPES, legacyId, type ShopifyStandin } from "../../standin/index.ts";
import { spawnApp, waitFor, type AppProcess } from "../support/app-process";
import { launchChromium } from "../support/browser";

/**
 * The storefront join block's script in Chromium, against the running app.
 * A small "storefront" server plays Shopify's part: it serves the page the
 * block's Liquid renders (with its default settings) and forwards
 * /apps/regulars/* to the app with a signed app-proxy query, as Shopify does.
 */

const SHOP = "demo-cafe.myshopify.com";
const EXTENSION = new URL("../../extensions/regulars-storefront/", import.meta.url);
const CONSENT = "By joining you agree that we keep a record of your visits and orders to recognise you and send you member offers. You can leave at any time.";
const MESSAGES = JSON.parse(readFileSync(new URL("locales/en.default.json", EXTENSION), "utf8")).membership;

/** What blocks/membership.liquid renders for a logged-in customer who is not a member, default settings. */
function blockHtml(state: "logged-out" | "none"): string {
  const attr = (value: string) => value.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cafe</title></head><body><main>
<section class="regulars-membership" id="regulars-membership-b1" aria-labelledby="regulars-membership-heading-b1"
  data-regulars-membership data-state="${state}" data-proxy-path="/apps/regulars/membership"
  data-consent-text="${attr(CONSENT)}" data-message-joined="${attr(MESSAGES.joined)}" data-message-left="${attr(MESSAGES.left)}"
  data-message-working="${attr(MESSAGES.working)}" data-message-error="${attr(MESSAGES.error)}">
  <h2 id="regulars-membership-heading-b1">Become a regular</h2>
  <p>Members get tasting invitations for new drinks and offers that fit when you usually visit.</p>
  <div data-panel="logged-out"${state === "logged-out" ? "" : " hidden"}><p>${MESSAGES.login_prompt} <a href="/account/login">${MESSAGES.login_link}</a></p></div>
  <div data-panel="join"${state === "none" ? "" : " hidden"}>
    <p id="regulars-membership-consent-b1">${CONSENT}</p>
    <button type="button" data-action="join" aria-describedby="regulars-membership-consent-b1">Join the membership</button>
  </div>
  <div data-panel="active" hidden><p>You're a member. Thanks for being a regular!</p><button type="button" data-action="leave">${MESSAGES.leave}</button></div>
  <p role="status" aria-live="polite" data-status></p>
</section></main><script src="/assets/membership.js" defer></script></body></html>`;
}

function readRaw(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

describe("the membership block in Chromium", () => {
  let standin: ShopifyStandin;
  let database: EmbeddedDatabase;
  let db: Database;
  let app: AppProcess;
  let storefront: Server;
  let storefrontUrl: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let customerId: string;
  /** Who Shopify says is logged in when it forwards a proxy request (null: nobody). */
  let proxiedCustomer: string | null = null;

  beforeAll(async () => {
    standin = await createShopifyStandin({ apiKey: "regulars-demo-api-key", apiSecret: "regulars-demo-api-secret" });
    standin.store.addShop({ domain: SHOP });
    standin.store.issueAccessToken(SHOP, { token: "demo-offline-token", scope: DEFAULT_SCOPES });
    customerId = String(legacyId(standin.store.addCustomer(SHOP, { email: "ada@example.com" }).id));
    database = await startEmbeddedDatabase({ dataDir: "memory://" });
    await applyMigrations(database.url);
    db = createPrismaClient(database.url);
    app = spawnApp({ DEMO: "1", DATABASE_URL: database.url, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url });
    const origin = await app.ready;

    storefront = createServer((request, response) => {
      void (async () => {
        const url = new URL(request.url ?? "/", "http://storefront");
        if (url.pathname === "/assets/membership.js") {
          response.writeHead(200, { "Content-Type": "text/javascript" }).end(readFileSync(new URL("assets/membership.js", EXTENSION)));
        } else if (url.pathname.startsWith("/apps/regulars/")) {
          const query = standin.appProxyQuery({ shop: SHOP, loggedInCustomerId: proxiedCustomer, pathPrefix: "/apps/regulars" });
          const body = request.method === "GET" ? undefined : await readRaw(request);
          const answer = await fetch(`${origin}/proxy/${url.pathname.slice("/apps/regulars/".length)}?${query}`, {
            method: request.method,
            headers: request.headers["content-type"] ? { "Content-Type": request.headers["content-type"] } : {},
            body,
          });
          response.writeHead(answer.status, { "Content-Type": answer.headers.get("content-type") ?? "application/json" });
          response.end(Buffer.from(await answer.arrayBuffer()));
        } else {
          const state = url.searchParams.get("state") === "logged-out" ? "logged-out" : "none";
          response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(blockHtml(state));
        }
      })().catch((error: unknown) => response.writeHead(502).end(String(error)));
    });
    await new Promise<void>((resolve) => storefront.listen(0, "127.0.0.1", resolve));
    const address = storefront.address();
    if (address === null || typeof address === "string") throw new Error("storefront not listening");
    storefrontUrl = `http://127.0.0.1:${address.port}`;
    chromium = await launchChromium();
  });

  afterAll(async () => {
    await chromium?.close();
    await new Promise<void>((resolve) => (storefront ? storefront.close(() => resolve()) : resolve()));
    await app?.stop("SIGINT");
    await db?.$disconnect();
    await database?.stop();
    await standin?.close();
  });

  async function openPage(state: "logged-out" | "none"): Promise<{ page: Page; problems: string[] }> {
    const page = await chromium.browser.newPage();
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(`page: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().includes("401")) problems.push(`console: ${message.text()}`);
    });
    await page.goto(`${storefrontUrl}/?state=${state}`, { waitUntil: "networkidle" });
    return { page, problems };
  }

  it("renders the same hooks as the Liquid block", () => {
    const liquid = readFileSync(new URL("blocks/membership.liquid", EXTENSION), "utf8");
    for (const hook of ['data-panel="logged-out"', 'data-panel="join"', 'data-panel="active"', 'data-action="join"', 'data-action="leave"', "data-status", "data-regulars-membership", "data-consent-text", "data-proxy-path", 'role="status"']) {
      expect(liquid).toContain(hook);
      expect(blockHtml("none")).toContain(hook);
    }
    expect(liquid).toContain(`"default": "${CONSENT}"`);
  });

  it("joins with the consent text shown, then leaves, by keyboard", async () => {
    proxiedCustomer = customerId;
    const { page, problems } = await openPage("none");
    const join = page.getByRole("button", { name: "Join the membership" });
    await join.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: MESSAGES.joined }).waitFor();
    const leave = page.getByRole("button", { name: MESSAGES.leave });
    expect(await leave.isVisible()).toBe(true);
    expect(await join.isVisible()).toBe(false);
    expect(await leave.evaluate((element) => element === document.activeElement)).toBe(true);

    const consent = await db.consentEvent.findMany({ where: { shop: SHOP, customerId } });
    expect(consent).toEqual([expect.objectContaining({ kind: "membership", action: "granted", via: "storefront", text: CONSENT })]);

    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: MESSAGES.left }).waitFor();
    expect(await join.isVisible()).toBe(true);
    expect((await db.member.findUnique({ where: { shop_customerId: { shop: SHOP, customerId } } }))?.status).toBe("left");

    // A reload asks the app, which knows the membership ended.
    await page.reload({ waitUntil: "networkidle" });
    expect(await page.getByRole("button", { name: "Join the membership" }).isVisible()).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows a member as a member on page load, even before Shopify has the tag", async () => {
    proxiedCustomer = customerId;
    await db.member.update({ where: { shop_customerId: { shop: SHOP, customerId } }, data: { status: "active", leftAt: null } });
    const { page } = await openPage("none");
    await waitFor("the member panel", async () => ((await page.getByRole("button", { name: MESSAGES.leave }).isVisible()) ? true : undefined));
    await page.close();
  });

  it("asks a visitor to log in, and a customer whose session lapsed too", async () => {
    proxiedCustomer = null;
    const visitor = await openPage("logged-out");
    expect(await visitor.page.getByRole("link", { name: MESSAGES.login_link }).getAttribute("href")).toBe("/account/login");
    expect(await visitor.page.getByRole("button", { name: "Join the membership" }).isVisible()).toBe(false);
    await visitor.page.close();

    const lapsed = await openPage("none");
    // The status request found nobody logged in and switched to the log-in prompt.
    await lapsed.page.getByRole("link", { name: MESSAGES.login_link }).waitFor();
    await lapsed.page.close();
  });
});
