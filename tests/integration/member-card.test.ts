import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMemberCard, findLiveCard } from "../../app/cards/cards.server";
import { resolveCardCode, WRONG_CODE_WINDOW_MS } from "../../app/cards/code.server";
import { exportCustomerData, redactCustomer } from "../../app/compliance/personal-data.server";
import { checkDigits, formatCardCode, hotp, stepAt, totpAt } from "../../app/cards/totp.server";
import { joinMembership } from "../../app/membership/membership.server";
import { joinAndSync, leaveAndSync } from "../../app/membership/service.server";
import { setRuntime } from "../../app/runtime.server";
import { registerInstall } from "../../app/shops/shops.server";
import { appProxyQuery } from "../../standin/index.ts";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";
import { sessionToken as signedSessionToken, type TokenClaims } from "../support/doors";

// The routes read their configuration (through shopify.server) when first imported: the demo's credentials.
process.env.DEMO = "1";
const cardRoute = await import("../../app/routes/proxy.card._index");
const scriptRoute = await import("../../app/routes/proxy.card[.]js");
const posRoute = await import("../../app/routes/api.pos.member");

/**
 * The member card end to end inside the app: the card page through a signed
 * app-proxy request, and the POS endpoint with real POS session tokens. The
 * code the page's secret gives now resolves to its member; a tampered, an
 * expired, a revoked and another shop's code are refused with their reason,
 * and so are tokens of another app or of a shop without the app.
 */

const API_KEY = "regulars-demo-api-key";
const API_SECRET = "regulars-demo-api-secret";
const SHOP = "card-cafe.myshopify.com";
const OTHER = "card-rival.myshopify.com";
const CONSENT = "Join Card Cafe Regulars: we remember your visits and may send you member offers.";
const ADA = "7001";
const BOB = "7002";
const CAROL = "7003";

/** A POS session token as Shopify POS issues it, for the demo app this test runs as (tests/support/doors.ts). */
const sessionToken = (claims: Partial<TokenClaims> = {}) => signedSessionToken({ shop: SHOP, aud: API_KEY, secret: API_SECRET, ...claims });

async function answer(run: () => Promise<Response>): Promise<Response> {
  try {
    return await run();
  } catch (thrown) {
    if (thrown instanceof Response) return thrown;
    throw thrown;
  }
}

async function pos(input: { token?: string | null; method?: "GET" | "POST"; body?: unknown; customerId?: string }) {
  const url = new URL("https://app.example.com/api/pos/member");
  if (input.customerId !== undefined) url.searchParams.set("customerId", input.customerId);
  const headers = new Headers({ Origin: "https://extensions.shopifycdn.com" });
  const token = input.token === undefined ? sessionToken() : input.token;
  if (token) headers.set("Authorization", `Bearer ${token}`);
  if (input.body !== undefined) headers.set("Content-Type", "application/json");
  const method = input.method ?? (input.body === undefined ? "GET" : "POST");
  const request = new Request(url, { method, headers, body: input.body === undefined ? undefined : JSON.stringify(input.body) });
  const response = await answer(() => (method === "GET" ? posRoute.loader({ request, params: {}, context: {} }) : posRoute.action({ request, params: {}, context: {} })));
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null, headers: response.headers };
}

async function cardPage(customerId: string | null, shop = SHOP) {
  const query = appProxyQuery({ shop, loggedInCustomerId: customerId, pathPrefix: "/apps/regulars" }, API_SECRET);
  const request = new Request(`https://app.example.com/proxy/card?${query}`);
  const response = await answer(() => cardRoute.loader({ request, params: {}, context: {} }));
  return { status: response.status, html: await response.text(), headers: response.headers };
}

/** The card's data as the page hands it to its script. */
function cardData(html: string): { ref: string; secret: string; stepSeconds: number; digits: number; base: string } {
  const json = /<script type="application\/json" id="card-data">(.*?)<\/script>/.exec(html)?.[1];
  if (!json) throw new Error("the page holds no card data");
  return JSON.parse(json) as { ref: string; secret: string; stepSeconds: number; digits: number; base: string };
}

/** The card's digits at `at` with the last one changed until they match no step at all (not even an old one). */
function wrongDigits(secret: Buffer, at: Date): string {
  const right = totpAt(secret, at);
  const wrong = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((add) => right.slice(0, 5) + String((Number(right[5]) + add) % 10)).find((candidate) => checkDigits(secret, candidate, at) === "invalid");
  if (wrong === undefined) throw new Error("every changed last digit matched a step");
  return wrong;
}

const codeOf = (data: { ref: string; secret: string }, at = new Date()) => formatCardCode(data.ref, totpAt(Buffer.from(data.secret, "base64url"), at));

describe.each(stackKinds())("member card and POS recognition on $name", (kind) => {
  let stack: TestStack;
  const db = () => stack.runtime.db;
  const key = () => stack.runtime.config.encryptionKey ?? Buffer.alloc(0);

  beforeAll(async () => {
    stack = await startTestStack(kind);
    setRuntime(stack.runtime);
    await registerInstall(db(), { domain: SHOP, name: "Card Cafe" });
    await registerInstall(db(), { domain: OTHER, name: "Rival" });
    await db().shop.create({ data: { domain: "gone-card.myshopify.com", timezone: "UTC", uninstalledAt: new Date() } });
    for (const [shop, id, firstName] of [[SHOP, ADA, "Ada"], [SHOP, BOB, "Bob"], [SHOP, CAROL, "Carol"], [OTHER, ADA, "Otto"]] as const) {
      await db().customer.create({ data: { shop, id, firstName, lastName: "Lovelace", source: "webhook" } });
    }
    await db().memberFeature.create({
      data: {
        shop: SHOP, customerId: ADA, firstVisitOn: new Date("2026-09-01"), lastVisitOn: new Date("2026-11-20"), visitCount: 12, totalSpend: "48", avgSpend: "4",
        pattern: "weekday-morning", patternShare: 0.8, acquisitionWeek: new Date("2026-08-31"), acquisitionMonth: new Date("2026-09-01"),
      },
    });
  });
  afterAll(async () => {
    setRuntime(undefined);
    await stack?.stop();
  });

  it("issues a card when a customer joins, one per member however often they join", async () => {
    const at = new Date();
    await joinAndSync(stack.runtime, { shop: SHOP, customerId: ADA, via: "storefront", consentText: CONSENT, at });
    await joinAndSync(stack.runtime, { shop: SHOP, customerId: ADA, via: "storefront", consentText: CONSENT, at });
    const cards = await db().memberCard.findMany({ where: { shop: SHOP, customerId: ADA } });
    expect(cards).toHaveLength(1);
    expect(cards[0]?.ref).toMatch(/^[A-Z2-7]{8}$/);
    // The secret is stored sealed, never as it is.
    const live = await findLiveCard(db(), key(), SHOP, ADA);
    expect(live?.secret).toHaveLength(32);
    expect(cards[0]?.secretSealed).not.toContain(live?.secret.toString("base64url"));
  });

  it("shows a member their card: code data, visits and settings, never cached by the browser", async () => {
    const page = await cardPage(ADA);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-store, private");
    expect(page.html).toContain("Ada Lovelace's member card");
    expect(page.html).toMatch(/<strong id="card-visits">12<\/strong> visits/);
    expect(page.html).toContain(`id="card-push"`);
    expect(page.html).toContain("Leave the membership");
    expect(page.html).toContain('src="/apps/regulars/card.js"');
    const data = cardData(page.html);
    const live = await findLiveCard(db(), key(), SHOP, ADA);
    expect(data).toEqual({ ref: live?.ref, secret: live?.secret.toString("base64url"), stepSeconds: 60, digits: 6, base: "/apps/regulars", pushConsentText: expect.any(String) });
    // Not the customer id: the card names the member only through the shop's cards.
    expect(data.ref).not.toContain(ADA);
  });

  it("tells a logged-out visitor to log in, a customer who never joined or left to join", async () => {
    expect((await cardPage(null)).html).toContain("Log in to your account");
    expect((await cardPage(CAROL)).html).toContain("Your account is not a member yet");
    expect((await cardPage(null)).html).not.toContain("card-data");
    // An unsigned request is refused before anything is read.
    const unsigned = await answer(() => cardRoute.loader({ request: new Request(`https://app.example.com/proxy/card?shop=${SHOP}&logged_in_customer_id=${ADA}`), params: {}, context: {} }));
    expect(unsigned.status).toBe(401);
  });

  it("issues the card on first opening for a member who joined without one, once even when opened twice at once", async () => {
    await joinMembership(db(), { shop: SHOP, customerId: BOB, via: "pos", consentText: CONSENT, at: new Date() });
    expect(await db().memberCard.count({ where: { shop: SHOP, customerId: BOB } })).toBe(0);
    const [first, second] = await Promise.all([cardPage(BOB), cardPage(BOB)]);
    expect(cardData(first.html).ref).toBe(cardData(second.html).ref);
    const racing = await Promise.all([1, 2, 3].map(() => ensureMemberCard(db(), key(), SHOP, BOB)));
    expect(new Set(racing.map((card) => card.ref)).size).toBe(1);
    expect(await db().memberCard.count({ where: { shop: SHOP, customerId: BOB } })).toBe(1);
  });

  it("serves the card's script with the QR library", async () => {
    const query = appProxyQuery({ shop: SHOP, loggedInCustomerId: null, pathPrefix: "/apps/regulars" }, API_SECRET);
    const response = await answer(() => scriptRoute.loader({ request: new Request(`https://app.example.com/proxy/card.js?${query}`), params: {}, context: {} }));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/javascript");
    const source = await response.text();
    expect(source).toContain("var qrcode = function()");
    expect(source).toContain('importKey("raw"');
  });

  it("resolves the code the card shows now to its member at the POS, and records the scan once", async () => {
    const data = cardData((await cardPage(ADA)).html);
    const code = codeOf(data);
    const scanned = await pos({ body: { code, saleCustomerId: "gid://shopify/Customer/9999", locationId: 1001 } });
    expect(scanned.status).toBe(200);
    expect(scanned.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(scanned.body).toMatchObject({ ok: true, customerId: ADA, cardRef: data.ref, member: { customerId: ADA, name: "Ada Lovelace", memberStatus: "active", visits: 12 } });
    // A retry of the same request (the POS lost the answer) records no second scan.
    expect((await pos({ body: { code, saleCustomerId: "gid://shopify/Customer/9999", locationId: 1001 } })).status).toBe(200);
    const scans = await db().cardScan.findMany({ where: { shop: SHOP, customerId: ADA } });
    expect(scans).toEqual([expect.objectContaining({ cardRef: data.ref, saleCustomerId: "9999", locationId: "1001" })]);
    expect((await db().memberCard.findUnique({ where: { shop_ref: { shop: SHOP, ref: data.ref } } }))?.lastScannedAt).not.toBeNull();
    // Typed by hand: lower case, no hyphen.
    expect((await pos({ body: { code: code.toLowerCase().replace("-", "") } })).body).toMatchObject({ ok: true, customerId: ADA });
  });

  it("refuses a tampered, an expired, a malformed and another shop's code, each with its reason", async () => {
    const data = cardData((await cardPage(ADA)).html);
    const secret = Buffer.from(data.secret, "base64url");
    const now = new Date();
    const digits = totpAt(secret, now);
    expect(await pos({ body: { code: formatCardCode(data.ref, wrongDigits(secret, now)) } })).toMatchObject({ status: 422, body: { ok: false, reason: "invalid", message: expect.stringContaining("do not match") } });
    const tamperedRef = (data.ref[0] === "A" ? "B" : "A") + data.ref.slice(1);
    expect(await pos({ body: { code: `${tamperedRef}-${digits}` } })).toMatchObject({ status: 404, body: { reason: "unknown" } });
    const tenMinutesAgo = formatCardCode(data.ref, hotp(secret, stepAt(now) - 10));
    expect(await pos({ body: { code: tenMinutesAgo } })).toMatchObject({ status: 410, body: { reason: "expired", message: expect.stringContaining("expired") } });
    expect(await pos({ body: { code: "not a code" } })).toMatchObject({ status: 400, body: { reason: "malformed" } });
    expect(await pos({ body: { nothing: true } })).toMatchObject({ status: 400, body: { ok: false, message: expect.stringContaining("code is required") } });

    // Otto is a member of the rival shop: his card works there and nowhere else.
    await joinAndSync(stack.runtime, { shop: OTHER, customerId: ADA, via: "storefront", consentText: CONSENT, at: now });
    const rivalCode = codeOf(cardData((await cardPage(ADA, OTHER)).html));
    expect(await pos({ body: { code: rivalCode } })).toMatchObject({ status: 404, body: { ok: false, reason: "unknown" } });
    expect(await pos({ token: sessionToken({ shop: OTHER }), body: { code: rivalCode } })).toMatchObject({ status: 200, body: { ok: true, member: { name: "Otto Lovelace" } } });
    // And Ada's card is unknown at the rival's counter.
    expect(await pos({ token: sessionToken({ shop: OTHER }), body: { code: codeOf(data) } })).toMatchObject({ status: 404, body: { reason: "unknown" } });
    expect(await db().cardScan.count({ where: { shop: OTHER, customerId: ADA } })).toBe(1);
  });

  it("refuses a card's codes, even its right one, once five wrong ones were tried within a quarter hour, until it ends", async () => {
    const data = cardData((await cardPage(BOB)).html);
    const secret = Buffer.from(data.secret, "base64url");
    const wrongCode = () => formatCardCode(data.ref, wrongDigits(secret, new Date()));
    const counter = async () => (await db().memberCard.findUniqueOrThrow({ where: { shop_ref: { shop: SHOP, ref: data.ref } } })).wrongCodes;
    // Four wrong codes, then the right one: it works and clears the count.
    for (let i = 0; i < 4; i += 1) expect((await pos({ body: { code: wrongCode() } })).status).toBe(422);
    expect(await counter()).toBe(4);
    expect(await pos({ body: { code: codeOf(data) } })).toMatchObject({ status: 200, body: { customerId: BOB } });
    expect(await counter()).toBe(0);

    // Eight tried at once: five are checked (and wrong), the rest refused without being checked.
    const burst = await Promise.all(Array.from({ length: 8 }, () => pos({ body: { code: wrongCode() } })));
    expect(burst.map((tried) => tried.status).sort()).toEqual([422, 422, 422, 422, 422, 429, 429, 429]);
    const refused = await pos({ body: { code: codeOf(data) } });
    expect(refused).toMatchObject({
      status: 429,
      body: { ok: false, reason: "locked", message: expect.stringContaining("takes codes again in 15 minutes"), retryAfterSeconds: expect.any(Number) },
    });
    expect(Number(refused.body?.retryAfterSeconds)).toBeGreaterThan(WRONG_CODE_WINDOW_MS / 1000 - 60);
    expect(refused.headers.get("Retry-After")).toBe(String(refused.body?.retryAfterSeconds));
    expect(await db().cardScan.count({ where: { shop: SHOP, customerId: BOB } })).toBe(1);

    // Only this card is refused: another member's code still works, and in the rival shop the code is unknown, as before.
    await joinAndSync(stack.runtime, { shop: SHOP, customerId: ADA, via: "storefront", consentText: CONSENT, at: new Date() });
    expect((await pos({ body: { code: codeOf(cardData((await cardPage(ADA)).html)) } })).status).toBe(200);
    expect((await pos({ token: sessionToken({ shop: OTHER }), body: { code: codeOf(data) } })).body).toMatchObject({ reason: "unknown" });

    // After the quarter hour, the right code works again and clears the count.
    const later = new Date(Date.now() + WRONG_CODE_WINDOW_MS + 1_000);
    expect(await resolveCardCode(db(), SHOP, codeOf(data, later), later, key())).toEqual({ ok: true, customerId: BOB, cardRef: data.ref });
    expect(await counter()).toBe(0);
  });

  it.each([
    ["no token", null],
    ["a token for another app (wrong audience)", sessionToken({ aud: "someone-elses-api-key" })],
    ["a token signed with another secret", sessionToken({ secret: "not-the-app-secret" })],
    ["a token of a shop without the app", sessionToken({ shop: "stranger.myshopify.com" })],
    ["a token of a shop that uninstalled", sessionToken({ shop: "gone-card.myshopify.com" })],
  ])("refuses %s with 401 before reading the code", async (_name, token) => {
    const data = cardData((await cardPage(ADA)).html);
    const before = await db().cardScan.count();
    expect((await pos({ token, body: { code: codeOf(data) } })).status).toBe(401);
    expect((await pos({ token, customerId: ADA })).status).toBe(401);
    expect(await db().cardScan.count()).toBe(before);
  });

  it("gives the customer-details block the summary of the customer on the sale, only in the token's shop", async () => {
    expect(await pos({ customerId: ADA })).toMatchObject({ status: 200, body: { ok: true, member: { customerId: ADA, visits: 12, memberStatus: "active" } } });
    expect(await pos({ customerId: "gid://shopify/Customer/7003" })).toMatchObject({ status: 200, body: { member: { customerId: CAROL, memberStatus: "not_member" } } });
    expect(await pos({ customerId: "424242" })).toMatchObject({ status: 404, body: { ok: false } });
    expect(await pos({ customerId: BOB, token: sessionToken({ shop: OTHER }) })).toMatchObject({ status: 404 });
    expect(await pos({ customerId: "drop table" })).toMatchObject({ status: 400, body: { message: expect.stringContaining("customerId") } });
  });

  it("revokes the card when the member leaves: its codes are refused and the page says so; rejoining gives a new card", async () => {
    const data = cardData((await cardPage(ADA)).html);
    await leaveAndSync(stack.runtime, { shop: SHOP, customerId: ADA, via: "storefront", at: new Date() });
    expect(await pos({ body: { code: codeOf(data) } })).toMatchObject({ status: 410, body: { ok: false, reason: "revoked", message: expect.stringContaining("no longer valid") } });
    expect((await cardPage(ADA)).html).toContain("You left the membership");
    await joinAndSync(stack.runtime, { shop: SHOP, customerId: ADA, via: "storefront", consentText: CONSENT, at: new Date() });
    const renewed = cardData((await cardPage(ADA)).html);
    expect(renewed.ref).not.toBe(data.ref);
    expect(await pos({ body: { code: codeOf(renewed) } })).toMatchObject({ status: 200, body: { customerId: ADA } });
    expect(await pos({ body: { code: codeOf(data) } })).toMatchObject({ status: 410, body: { reason: "revoked" } });
  });

  it("exports a member's cards without their secret, and erases them on customers/redact", async () => {
    const exported = await exportCustomerData(db(), SHOP, ADA);
    const cards = exported.memberCards as Array<Record<string, unknown>>;
    expect(cards.length).toBe(2);
    expect(Object.keys(cards[0] ?? {}).sort()).toEqual(["createdAt", "lastScannedAt", "ref", "revokedAt"]);
    const data = cardData((await cardPage(ADA)).html);
    await redactCustomer(db(), SHOP, ADA, []);
    expect(await db().memberCard.count({ where: { shop: SHOP, customerId: ADA } })).toBe(0);
    expect(await pos({ body: { code: codeOf(data) } })).toMatchObject({ status: 404, body: { reason: "unknown" } });
  });
});
