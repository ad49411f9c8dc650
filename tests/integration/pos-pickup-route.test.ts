import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setRuntime } from "../../app/runtime.server";
import { createPickupShop } from "../support/pickup-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";
import { sessionToken as signedSessionToken, type TokenClaims } from "../support/doors";

// The route reads its configuration (through shopify.server) when first imported: the demo's credentials.
process.env.DEMO = "1";
const route = await import("../../app/routes/api.pos.pickup");

/**
 * The POS extension's pickup endpoint with real session tokens: signed with
 * the app's secret for the app's key, naming the shop. A token that is
 * missing, expired, wrongly signed, for another app or for a shop without the
 * app gets a 401; a valid token only ever reaches its own shop's queue.
 */

const API_KEY = "regulars-demo-api-key";
const API_SECRET = "regulars-demo-api-secret";
const SHOP = "pos-cafe.myshopify.com";
const OTHER = "pos-rival.myshopify.com";
const LOCATION = "1001";

/** A POS session token as Shopify POS issues it, for the demo app this test runs as (tests/support/doors.ts). */
const sessionToken = (claims: Partial<TokenClaims> = {}) => signedSessionToken({ shop: SHOP, aud: API_KEY, secret: API_SECRET, ...claims });

interface Call {
  token?: string | null;
  method?: "GET" | "POST" | "OPTIONS";
  location?: string | null;
  body?: unknown;
}

/** The route's answer, whether returned or thrown (the library throws its 401s and preflight answers). */
async function call({ token = sessionToken(), method = "GET", location = LOCATION, body }: Call = {}): Promise<{ status: number; body: Record<string, unknown> | null; headers: Headers }> {
  const url = new URL("https://app.example.com/api/pos/pickup");
  if (location !== null && method === "GET") url.searchParams.set("location", location);
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
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null, headers: response.headers };
}

describe.each(stackKinds())("POS pickup endpoint on $name", (kind) => {
  let stack: TestStack;
  const db = () => stack.runtime.db;
  const soon = new Date(Math.ceil((Date.now() + 5 * 60_000) / 600_000) * 600_000);

  beforeAll(async () => {
    stack = await startTestStack(kind);
    setRuntime(stack.runtime);
    await createPickupShop(db(), SHOP, { timezone: "UTC", locationId: LOCATION, settings: { hours: [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: "00:00", closes: "24:00" })) } });
    await createPickupShop(db(), OTHER, { timezone: "UTC", locationId: LOCATION });
    const order = (shop: string, orderId: string, title: string) =>
      db().pickupOrder.create({ data: { shop, orderId, locationId: LOCATION, slotStart: soon, items: [{ title, quantity: 1 }], state: "new" } });
    await order(SHOP, "5001", "Flat white");
    await order(SHOP, "5002", "Oat latte");
    await order(OTHER, "5001", "Rival mocha");
    await order(OTHER, "6001", "Rival cortado");
    await db().shop.create({ data: { domain: "gone-cafe.myshopify.com", timezone: "UTC", uninstalledAt: new Date() } });
  });
  afterAll(async () => {
    setRuntime(undefined);
    await stack?.stop();
  });

  it("serves the token's shop its queue, grouped by slot, with CORS headers", async () => {
    const answer = await call();
    expect(answer.status).toBe(200);
    expect(answer.headers.get("Access-Control-Allow-Origin")).toBe("*");
    const queue = answer.body?.queue as { slots: Array<{ slotStart: string; cards: Array<{ orderId: string; items: Array<{ title: string }>; next: string[] }> }> };
    expect(queue.slots.map((slot) => slot.slotStart)).toEqual([soon.toISOString()]);
    expect(queue.slots[0]?.cards.map((card) => [card.orderId, card.items[0]?.title, card.next])).toEqual([
      ["5001", "Flat white", ["preparing", "ready", "no-show"]],
      ["5002", "Oat latte", ["preparing", "ready", "no-show"]],
    ]);
    const rival = await call({ token: sessionToken({ shop: OTHER }) });
    expect(rival.status).toBe(200);
    const titles = (rival.body?.queue as { slots: Array<{ cards: Array<{ items: Array<{ title: string }> }> }> }).slots.flatMap((slot) => slot.cards.map((card) => card.items[0]?.title));
    expect(titles.sort()).toEqual(["Rival cortado", "Rival mocha"]);
  });

  it.each([
    ["no token", null],
    ["a token signed with another secret", sessionToken({ secret: "not-the-app-secret" })],
    ["an expired token", sessionToken({ exp: Math.floor(Date.now() / 1000) - 120, nbf: Math.floor(Date.now() / 1000) - 600 })],
    ["a token not valid yet", sessionToken({ nbf: Math.floor(Date.now() / 1000) + 600, exp: Math.floor(Date.now() / 1000) + 900 })],
    ["a token for another app", sessionToken({ aud: "someone-elses-api-key" })],
    ["a token for a shop without the app", sessionToken({ shop: "stranger.myshopify.com" })],
    ["a token for a shop that uninstalled", sessionToken({ shop: "gone-cafe.myshopify.com" })],
    ["a malformed token", "not.a.jwt"],
  ])("refuses %s with 401", async (_name, token) => {
    expect((await call({ token })).status).toBe(401);
    expect((await call({ token, method: "POST", body: { orderId: "5001", to: "preparing" } })).status).toBe(401);
    expect(await db().pickupOrder.findUnique({ where: { shop_orderId: { shop: SHOP, orderId: "5001" } } })).toMatchObject({ state: "new" });
  });

  it("answers a preflight without a token", async () => {
    const answer = await call({ token: null, method: "OPTIONS" });
    expect(answer.status).toBe(204);
    expect(answer.headers.get("Access-Control-Allow-Headers")).toContain("Authorization");
  });

  it("names a missing or unknown location", async () => {
    expect(await call({ location: null })).toMatchObject({ status: 400, body: { ok: false, message: expect.stringMatching(/location is required/) } });
    expect(await call({ location: "abc" })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/Shopify location id/) } });
    expect(await call({ location: "9999" })).toMatchObject({ status: 404, body: { message: expect.stringMatching(/no pickup settings/) } });
  });

  it("moves its own shop's orders only, idempotently", async () => {
    const moved = await call({ method: "POST", body: { orderId: "5001", to: "preparing" } });
    expect(moved).toMatchObject({ status: 200, body: { ok: true, orderId: "5001", state: "preparing", changed: true } });
    expect(await call({ method: "POST", body: { orderId: "5001", to: "preparing" } })).toMatchObject({ status: 200, body: { changed: false } });
    const [mine, theirs] = await Promise.all([
      db().pickupOrder.findUnique({ where: { shop_orderId: { shop: SHOP, orderId: "5001" } } }),
      db().pickupOrder.findUnique({ where: { shop_orderId: { shop: OTHER, orderId: "5001" } } }),
    ]);
    expect([mine?.state, theirs?.state]).toEqual(["preparing", "new"]);
    expect(mine?.preparingAt).toBeInstanceOf(Date);

    // The other shop's token cannot reach this shop's order 5002, nor this shop the other's 6001.
    expect(await call({ token: sessionToken({ shop: OTHER }), method: "POST", body: { orderId: "5002", to: "ready" } })).toMatchObject({ status: 404 });
    expect(await call({ method: "POST", body: { orderId: "6001", to: "ready" } })).toMatchObject({ status: 404 });
    expect((await db().pickupOrder.findUnique({ where: { shop_orderId: { shop: SHOP, orderId: "5002" } } }))?.state).toBe("new");

    const ready = await call({ method: "POST", body: { orderId: "5001", to: "ready" } });
    expect(ready).toMatchObject({ status: 200, body: { state: "ready", push: { sent: false, reason: "no-customer" } } });
    expect(await call({ method: "POST", body: { orderId: "5001", to: "preparing" } })).toMatchObject({ status: 409, body: { code: "invalid-transition" } });
  });

  it("refuses a body that is not a move", async () => {
    expect(await call({ method: "POST", body: "{not json" })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/JSON/) } });
    expect(await call({ method: "POST", body: { orderId: "5001", to: "new" } })).toMatchObject({ status: 400, body: { message: expect.stringMatching(/to must be one of/) } });
    expect(await call({ method: "POST", body: { orderId: "../5001", to: "ready" } })).toMatchObject({ status: 400 });
  });
});
