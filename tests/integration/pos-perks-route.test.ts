import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { savePerkProgram } from "../../app/perks/programs.server";
import { setRuntime } from "../../app/runtime.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";
import { sessionToken as signedSessionToken, type TokenClaims } from "../support/doors";

// The route reads its configuration (through shopify.server) when first imported: the demo's credentials.
process.env.DEMO = "1";
const route = await import("../../app/routes/api.pos.perks");

/**
 * The POS extension's perks endpoint with real session tokens, signed the way
 * Shopify POS signs them: a wrong, expired or other-app token is a 401; a
 * valid one reads and redeems only its own shop's perks.
 */

const API_KEY = "regulars-demo-api-key";
const API_SECRET = "regulars-demo-api-secret";
const SHOP = "pos-perk-cafe.myshopify.com";
const OTHER = "pos-perk-rival.myshopify.com";

/** A POS session token as Shopify POS issues it, for the demo app this test runs as (tests/support/doors.ts). */
const sessionToken = (claims: Partial<TokenClaims> = {}) => signedSessionToken({ shop: SHOP, aud: API_KEY, secret: API_SECRET, ...claims });

async function call(options: { token?: string | null; method?: "GET" | "POST"; customerId?: string; body?: unknown }): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const { token = sessionToken(), method = "GET", customerId, body } = options;
  const url = new URL("https://app.example.com/api/pos/perks");
  if (customerId !== undefined) url.searchParams.set("customerId", customerId);
  const headers = new Headers({ Origin: "https://extensions.shopifycdn.com" });
  if (token) headers.set("Authorization", `Bearer ${token}`);
  if (body !== undefined) headers.set("Content-Type", "application/json");
  const request = new Request(url, { method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body) });
  let response: Response;
  try {
    response = method === "GET" ? await route.loader({ request, params: {}, context: {} }) : await route.action({ request, params: {}, context: {} });
  } catch (thrown) {
    if (!(thrown instanceof Response)) throw thrown;
    response = thrown;
  }
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

describe.each(stackKinds())("POS perks endpoint on $name", (kind) => {
  let stack: TestStack;
  const db = () => stack.runtime.db;
  let programId = "";

  beforeAll(async () => {
    stack = await startTestStack(kind);
    setRuntime(stack.runtime);
    for (const shop of [SHOP, OTHER]) {
      await db().shop.create({ data: { domain: shop, timezone: "UTC", currency: "GBP" } });
      await db().customer.create({ data: { shop, id: "501", firstName: "Bea", source: "webhook" } });
      await db().member.create({ data: { shop, customerId: "501", status: "active", joinedVia: "pos", joinedAt: new Date("2026-01-01T00:00:00Z") } });
    }
    // Two visits at SHOP: with one perk every 2 visits, one perk is ready.
    await db().visit.createMany({
      data: ["2026-02-02", "2026-02-09"].map((date) => ({ shop: SHOP, customerId: "501", localDate: new Date(`${date}T00:00:00Z`), locationKey: "1001", firstOrderAt: new Date(`${date}T08:00:00Z`), lastOrderAt: new Date(`${date}T08:00:00Z`), orders: 1, spend: "3.00", weekday: 1, localMinute: 480 })),
    });
    const saved = await savePerkProgram(db(), SHOP, "owner", null, { kind: "every_nth_visit", name: "Second visit", reward: "a cookie", everyVisits: "2", startsOn: "2026-01-01" });
    if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
    programId = saved.program.id;
  });
  afterAll(async () => {
    setRuntime(undefined);
    await stack?.stop();
  });

  it.each([
    ["no token", null],
    ["a token signed with another secret", sessionToken({ secret: "not-the-app-secret" })],
    ["an expired token", sessionToken({ exp: Math.floor(Date.now() / 1000) - 120 })],
    ["a token for another app", sessionToken({ aud: "someone-elses-api-key" })],
    ["a token for a shop without the app", sessionToken({ shop: "stranger.myshopify.com" })],
  ])("refuses %s with 401 and redeems nothing", async (_name, token) => {
    expect((await call({ token, customerId: "501" })).status).toBe(401);
    expect((await call({ token, method: "POST", body: { programId, customerId: "501", mode: "recorded" } })).status).toBe(401);
    expect(await db().perkRedemption.count()).toBe(0);
  });

  it("shows the member's perks to their own shop only", async () => {
    const answer = await call({ customerId: "501" });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true, customerId: "501", perks: [{ programId, name: "Second visit", ready: 1, progress: { visitsCounted: 2, everyVisits: 2, visitsToNext: 2 } }] });
    expect(await call({ token: sessionToken({ shop: OTHER }), customerId: "501" })).toEqual({ status: 200, body: { ok: true, customerId: "501", perks: [] } });
    expect(await call({ customerId: "777" })).toEqual({ status: 404, body: { ok: false, message: "Customer 777 is not known in this shop." } });
    expect((await call({})).status).toBe(400);
  });

  it("redeems a ready perk once, refuses the repeat, and refuses bad bodies and other shops' programs", async () => {
    expect((await call({ method: "POST", body: "{not json" })).status).toBe(400);
    const invalid = await call({ method: "POST", body: { programId, customerId: "501", mode: "free" } });
    expect(invalid.status).toBe(400);
    expect(invalid.body?.message).toMatch(/^mode: mode must be "discount"/);
    const rival = await call({ token: sessionToken({ shop: OTHER }), method: "POST", body: { programId, customerId: "501", mode: "recorded" } });
    expect(rival.status).toBe(404);

    const redeemed = await call({ method: "POST", body: { programId, customerId: "501", variantId: "40001", mode: "discount", locationId: "1001" } });
    expect(redeemed).toMatchObject({ status: 200, body: { ok: true, unitKey: "1", redemptionId: expect.any(String) } });
    const again = await call({ method: "POST", body: { programId, customerId: "501", mode: "recorded" } });
    expect(again.status).toBe(409);
    expect(await db().perkRedemption.count({ where: { shop: SHOP } })).toBe(1);
    expect(await db().perkRedemption.count({ where: { shop: OTHER } })).toBe(0);
  });
});
