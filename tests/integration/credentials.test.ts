import { randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateAppProxy } from "../../app/proxy/request.server";
import { ProxyRequestError } from "../../app/proxy/errors";
import { clickTokenKey, signClickToken } from "../../app/push/click-token.server";
import { closePushSender } from "../../app/push/sender.server";
import { setRuntime } from "../../app/runtime.server";
import { drainWebhooks } from "../../app/webhooks/drain.server";
import { createWebhookEndpoint, type WebhookEndpoint } from "../../app/webhooks/http.server";
import { createShopifyStandin } from "../../standin/index.ts";
import { createPickupShop } from "../support/pickup-fixtures";
import {
  bearerRequest,
  callRoute,
  DOOR_API_KEY,
  DOOR_API_SECRET,
  DOOR_ENV,
  proxyRequest,
  sessionToken,
  storeOfflineSession,
  webhookRequest,
  type RouteAnswer,
} from "../support/doors";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Issue 8, "authentication at every door": each door — the embedded admin
 * (App Bridge session token), the POS extension (POS session token), the app
 * proxy (signed query with a timestamp window), webhooks (HMAC) and push
 * click links (signed expiring token) — is sent a missing, an expired, a
 * wrongly signed and a replayed credential, one for another app and one for a
 * shop that uninstalled, and answers as the door defines. Each row names its
 * door and case. Replays: a session token or a signed proxy query is a bearer
 * credential, accepted again while it is valid and refused after
 * (docs/decisions/0005-app-proxy-verification.md); a webhook's event id and a
 * click's delivery have no second effect.
 */

Object.assign(process.env, DOOR_ENV);
// Shopify for token exchange: it knows no shop, as real Shopify refuses to exchange a token for an app the shop removed.
const shopify = await createShopifyStandin({ apiKey: DOOR_API_KEY, apiSecret: DOOR_API_SECRET });
process.env.SHOPIFY_API_ORIGIN_OVERRIDE = shopify.url;
const adminHome = await import("../../app/routes/app._index");
const posPickup = await import("../../app/routes/api.pos.pickup");
const proxyMembership = await import("../../app/routes/proxy.membership._index");
const proxyClick = await import("../../app/routes/proxy.push.click");

const SHOP = "door-cafe.myshopify.com";
const OTHER = "door-rival.myshopify.com";
const GONE = "door-gone.myshopify.com";
const LOCATION = "1001";
const CUSTOMER = "6800000000101";
const ANOTHER_APP_SECRET = "another-apps-secret";

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** A token minted `ageSeconds` ago with Shopify's one-minute life. */
const agedToken = (shop: string, ageSeconds: number) => sessionToken({ shop, iat: nowSeconds() - ageSeconds, nbf: nowSeconds() - ageSeconds, exp: nowSeconds() - ageSeconds + 60 });

interface World {
  stack: TestStack;
  webhooks: string;
  clickKey: Buffer;
}

interface Row {
  door: "admin" | "pos" | "app proxy" | "webhook" | "click link";
  case: string;
  run(world: World): Promise<void>;
}

// ---- embedded admin: a session token in Authorization, as App Bridge's fetch sends it ----

const admin = (token: string | null) => callRoute(adminHome.loader, bearerRequest(token, "/app"));

function expectAdminRefused(answer: RouteAnswer) {
  // The library's answer to a bad token on a fetch: 401 with the header App Bridge reacts to by getting a fresh token.
  expect(answer.status).toBe(401);
  expect(answer.headers.get("X-Shopify-Retry-Invalid-Session-Request")).toBe("1");
  expect(answer.body).toBe("");
}

const adminRows: Row[] = [
  {
    door: "admin",
    case: "valid token (control): the token's shop",
    run: async () => {
      const answer = await admin(sessionToken({ shop: SHOP }));
      expect(answer.status).toBe(200);
      expect(answer.body.shop.domain).toBe(SHOP);
    },
  },
  {
    door: "admin",
    case: "missing token: redirect to login",
    run: async () => {
      const answer = await admin(null);
      expect(answer.status).toBe(302);
      expect(answer.location).toBe("/auth/login");
    },
  },
  { door: "admin", case: "expired token: 401, retry with a fresh token", run: async () => expectAdminRefused(await admin(agedToken(SHOP, 300))) },
  { door: "admin", case: "wrongly signed token: 401", run: async () => expectAdminRefused(await admin(sessionToken({ shop: SHOP, secret: ANOTHER_APP_SECRET }))) },
  { door: "admin", case: "token for another app (audience): 401", run: async () => expectAdminRefused(await admin(sessionToken({ shop: SHOP, aud: "another-apps-key" }))) },
  {
    door: "admin",
    case: "replayed within its minute: accepted (bearer token, by design)",
    run: async () => {
      const token = sessionToken({ shop: SHOP });
      expect((await admin(token)).status).toBe(200);
      expect((await admin(token)).status).toBe(200);
    },
  },
  { door: "admin", case: "replayed after its minute: 401", run: async () => expectAdminRefused(await admin(agedToken(SHOP, 90))) },
  {
    door: "admin",
    case: "token for a shop that uninstalled: no data, no session, not re-installed",
    run: async ({ stack }) => {
      const answer = await admin(sessionToken({ shop: GONE }));
      // No stored session, so the library asks Shopify to exchange the token, which Shopify refuses: no page is served.
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.body).toBe("");
      expect(await stack.runtime.db.session.count({ where: { shop: GONE } })).toBe(0);
      expect((await stack.runtime.db.shop.findUniqueOrThrow({ where: { domain: GONE } })).uninstalledAt).not.toBeNull();
    },
  },
];

// ---- POS extension: the POS session token ----

const pos = (token: string | null) => callRoute(posPickup.loader, bearerRequest(token, `/api/pos/pickup?location=${LOCATION}`));

async function expectPosRefused(token: string | null, message?: RegExp) {
  const answer = await pos(token);
  expect(answer.status).toBe(401);
  expect(answer.body?.queue).toBeUndefined();
  if (message) expect(answer.body.message).toMatch(message);
}

const posRows: Row[] = [
  {
    door: "pos",
    case: "valid token (control): the token's shop's queue",
    run: async () => {
      const answer = await pos(sessionToken({ shop: SHOP }));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ ok: true, locationId: LOCATION });
    },
  },
  { door: "pos", case: "missing token: 401", run: () => expectPosRefused(null) },
  { door: "pos", case: "expired token: 401", run: () => expectPosRefused(agedToken(SHOP, 300)) },
  { door: "pos", case: "wrongly signed token: 401", run: () => expectPosRefused(sessionToken({ shop: SHOP, secret: ANOTHER_APP_SECRET })) },
  { door: "pos", case: "token for another app (audience): 401", run: () => expectPosRefused(sessionToken({ shop: SHOP, aud: "another-apps-key" }), /another app/) },
  {
    door: "pos",
    case: "replayed within its minute: accepted (bearer token, by design)",
    run: async () => {
      const token = sessionToken({ shop: SHOP });
      expect((await pos(token)).status).toBe(200);
      expect((await pos(token)).status).toBe(200);
    },
  },
  { door: "pos", case: "replayed after its minute: 401", run: () => expectPosRefused(agedToken(SHOP, 90)) },
  { door: "pos", case: "token for a shop that uninstalled: 401", run: () => expectPosRefused(sessionToken({ shop: GONE }), /not installed/) },
];

// ---- app proxy: signed query, ±90 s (docs/decisions/0005-app-proxy-verification.md) ----

const membership = (request: Request) => callRoute(proxyMembership.loader, request);
const signedStatus = (call: Partial<Parameters<typeof proxyRequest>[1]> = {}) => proxyRequest("membership", { shop: SHOP, customerId: CUSTOMER, ...call });

async function expectProxyRefused(request: Request, status = 401) {
  const answer = await membership(request);
  expect(answer.status).toBe(status);
  expect(answer.body.membership).toBeUndefined();
  expect(answer.headers.get("Cache-Control")).toBe("no-store, private");
}

/** The proxy check with the clock at `at` seconds: the same request, presented later. */
async function proxyVerdictAt(world: World, request: Request, at: number): Promise<number> {
  try {
    await authenticateAppProxy(request, { db: world.stack.runtime.db, apiSecret: DOOR_API_SECRET, now: () => new Date(at * 1000) });
    return 200;
  } catch (error) {
    if (error instanceof ProxyRequestError) return error.status;
    throw error;
  }
}

const proxyRows: Row[] = [
  {
    door: "app proxy",
    case: "valid signature (control): the signed customer's membership",
    run: async () => {
      const answer = await membership(signedStatus());
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ loggedIn: true, membership: expect.any(Object) });
    },
  },
  {
    door: "app proxy",
    case: "missing signature: 401",
    run: async () => {
      const request = signedStatus();
      const url = new URL(request.url);
      url.searchParams.delete("signature");
      await expectProxyRefused(new Request(url));
    },
  },
  { door: "app proxy", case: "expired timestamp (signed 5 minutes ago): 401", run: () => expectProxyRefused(signedStatus({ timestamp: nowSeconds() - 300 })) },
  { door: "app proxy", case: "wrongly signed (another app's secret): 401", run: () => expectProxyRefused(signedStatus({ secret: ANOTHER_APP_SECRET })) },
  {
    door: "app proxy",
    case: "signed for one shop, shop changed to another: 401",
    run: async () => {
      const url = new URL(signedStatus().url);
      url.searchParams.set("shop", OTHER);
      await expectProxyRefused(new Request(url));
    },
  },
  {
    door: "app proxy",
    case: "replayed inside the ±90 s window: accepted (decision 0005); outside it: 401",
    run: async (world) => {
      const signedAt = nowSeconds();
      const request = signedStatus({ timestamp: signedAt });
      expect((await membership(request.clone())).status).toBe(200);
      expect((await membership(request.clone())).status).toBe(200);
      expect(await proxyVerdictAt(world, request.clone(), signedAt + 90)).toBe(200);
      expect(await proxyVerdictAt(world, request.clone(), signedAt + 91)).toBe(401);
      expect(await proxyVerdictAt(world, request.clone(), signedAt + 3600)).toBe(401);
    },
  },
  { door: "app proxy", case: "shop that uninstalled: 404", run: () => expectProxyRefused(signedStatus({ shop: GONE }), 404) },
];

// ---- webhooks: HMAC over the raw body; the event id makes a repeat harmless ----

let nextOrder = 880_000;
function orderBody(id: number, total = "4.50") {
  const at = "2026-11-20T08:00:00Z";
  return {
    id,
    name: `#${id}`,
    customer: { id: Number(CUSTOMER) },
    location_id: Number(LOCATION),
    source_name: "pos",
    currency: "GBP",
    total_price: total,
    created_at: at,
    updated_at: at,
    processed_at: at,
    cancelled_at: null,
    line_items: [{ id: id * 10, title: "Flat white", quantity: 1, price: total, sku: "FLAT-WHITE" }],
  };
}

async function postWebhook(world: World, input: { shop?: string; topic?: string; payload: object; eventId?: string; triggeredAt?: Date; tamper?: "body" | "signature" }, options: { secret?: string; dropHeader?: string } = {}) {
  const built = webhookRequest(world.webhooks, { shop: input.shop ?? SHOP, topic: input.topic ?? "orders/create", payload: input.payload as never, eventId: input.eventId ?? randomUUID(), triggeredAt: input.triggeredAt, tamper: input.tamper }, options.secret);
  const headers = Object.fromEntries(Object.entries(built.headers).filter(([name]) => name.toLowerCase() !== options.dropHeader?.toLowerCase()));
  const response = await fetch(built.url, { method: "POST", headers, body: built.body });
  return { status: response.status, text: await response.text() };
}

const deliveries = (world: World, shop = SHOP) => world.stack.runtime.db.webhookDelivery.count({ where: { shop } });

async function expectWebhookRefused(world: World, send: (payload: object) => ReturnType<typeof postWebhook>, status = 401) {
  const before = await deliveries(world);
  const id = ++nextOrder;
  const answer = await send(orderBody(id));
  expect(answer.status).toBe(status);
  expect(await deliveries(world)).toBe(before);
  expect(await world.stack.runtime.db.order.count({ where: { shop: SHOP, id: String(id) } })).toBe(0);
}

const webhookRows: Row[] = [
  {
    door: "webhook",
    case: "valid HMAC (control): recorded and applied",
    run: async (world) => {
      const id = ++nextOrder;
      expect((await postWebhook(world, { payload: orderBody(id) })).status).toBe(200);
      await drainWebhooks(world.stack.runtime, SHOP);
      expect(await world.stack.runtime.db.order.count({ where: { shop: SHOP, id: String(id) } })).toBe(1);
    },
  },
  { door: "webhook", case: "missing HMAC header: 401, nothing stored", run: (world) => expectWebhookRefused(world, (payload) => postWebhook(world, { payload }, { dropHeader: "X-Shopify-Hmac-Sha256" })) },
  { door: "webhook", case: "wrongly signed (another app's secret): 401, nothing stored", run: (world) => expectWebhookRefused(world, (payload) => postWebhook(world, { payload }, { secret: ANOTHER_APP_SECRET })) },
  { door: "webhook", case: "body altered after signing: 401, nothing stored", run: (world) => expectWebhookRefused(world, (payload) => postWebhook(world, { payload, tamper: "body" })) },
  {
    door: "webhook",
    case: "expired: webhooks carry no expiry; a retry triggered 47 h ago (Shopify retries for 48 h) is accepted",
    run: async (world) => {
      const id = ++nextOrder;
      expect((await postWebhook(world, { payload: orderBody(id), triggeredAt: new Date(Date.now() - 47 * 3_600_000) })).status).toBe(200);
      await drainWebhooks(world.stack.runtime, SHOP);
      expect(await world.stack.runtime.db.order.count({ where: { shop: SHOP, id: String(id) } })).toBe(1);
    },
  },
  {
    door: "webhook",
    case: "replayed event id, before and after it was applied: one delivery, no second effect",
    run: async (world) => {
      const db = world.stack.runtime.db;
      const id = ++nextOrder;
      const eventId = randomUUID();
      const before = await deliveries(world);
      expect((await postWebhook(world, { payload: orderBody(id, "4.50"), eventId })).status).toBe(200);
      // A replay with the same event id but another body (a forger with an old signature cannot do this; a retry never does) changes nothing.
      expect((await postWebhook(world, { payload: orderBody(id, "99.00"), eventId })).status).toBe(200);
      expect(await deliveries(world)).toBe(before + 1);
      await drainWebhooks(world.stack.runtime, SHOP);
      const applied = await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: String(id) } } });
      expect(Number(applied.totalPrice)).toBe(4.5);
      const replay = await postWebhook(world, { payload: orderBody(id, "99.00"), eventId });
      expect(replay.status).toBe(200);
      await drainWebhooks(world.stack.runtime, SHOP);
      expect(await deliveries(world)).toBe(before + 1);
      expect(await db.order.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: String(id) } } })).toEqual(applied);
      expect((await db.webhookDelivery.findUniqueOrThrow({ where: { shop_eventId: { shop: SHOP, eventId } } })).status).toBe("processed");
    },
  },
  {
    door: "webhook",
    case: "shop that uninstalled: its shop/redact (sent 48 h after uninstall) is still accepted",
    run: async (world) => {
      const before = await deliveries(world, GONE);
      const answer = await postWebhook(world, { shop: GONE, topic: "shop/redact", payload: { shop_id: 1, shop_domain: GONE } });
      expect(answer.status).toBe(200);
      expect(await deliveries(world, GONE)).toBe(before + 1);
    },
  },
];

// ---- push click links: signed, expiring, recorded once ----

async function newDelivery(world: World, shop = SHOP): Promise<string> {
  const id = `d-${randomUUID()}`;
  await world.stack.runtime.db.pushDelivery.create({
    data: { shop, id, subscriptionId: "sub-1", customerId: CUSTOMER, kind: "test", payload: { title: "Tasting", body: "Come by", url: "/pages/tasting" }, ttlSeconds: 3600, status: "sent", scheduledFor: new Date(), sentAt: new Date() },
  });
  return id;
}

const click = (token: string | null, shop = SHOP) => callRoute(proxyClick.loader, proxyRequest("push/click", { shop, query: token === null ? {} : { t: token } }));
const clickedAt = async (world: World, id: string, shop = SHOP) => (await world.stack.runtime.db.pushDelivery.findUniqueOrThrow({ where: { shop_id: { shop, id } } })).clickedAt;

async function expectClickRefused(world: World, make: (deliveryId: string) => string | null, shop = SHOP, status = 400) {
  const id = await newDelivery(world);
  const answer = await click(make(id), shop);
  expect(answer.status).toBe(status);
  expect(answer.location).toBeNull();
  expect(await clickedAt(world, id)).toBeNull();
}

const clickRows: Row[] = [
  {
    door: "click link",
    case: "valid token (control): recorded, redirected",
    run: async (world) => {
      const id = await newDelivery(world);
      const answer = await click(signClickToken(world.clickKey, { shop: SHOP, deliveryId: id, expiresAt: nowSeconds() + 600 }));
      expect(answer).toMatchObject({ status: 302, location: "/pages/tasting" });
      expect(await clickedAt(world, id)).not.toBeNull();
    },
  },
  { door: "click link", case: "missing token: 400", run: (world) => expectClickRefused(world, () => null) },
  { door: "click link", case: "expired token: 400, nothing recorded", run: (world) => expectClickRefused(world, (id) => signClickToken(world.clickKey, { shop: SHOP, deliveryId: id, expiresAt: nowSeconds() - 1 })) },
  {
    door: "click link",
    case: "wrongly signed token (another key): 400, nothing recorded",
    run: (world) => expectClickRefused(world, (id) => signClickToken(clickTokenKey(Buffer.alloc(32, 7)), { shop: SHOP, deliveryId: id, expiresAt: nowSeconds() + 600 })),
  },
  {
    door: "click link",
    case: "another shop's token on this storefront: 400, nothing recorded",
    run: (world) => expectClickRefused(world, (id) => signClickToken(world.clickKey, { shop: SHOP, deliveryId: id, expiresAt: nowSeconds() + 600 }), OTHER),
  },
  {
    door: "click link",
    case: "replayed: redirected again, recorded once",
    run: async (world) => {
      const id = await newDelivery(world);
      const token = signClickToken(world.clickKey, { shop: SHOP, deliveryId: id, expiresAt: nowSeconds() + 600 });
      expect((await click(token)).status).toBe(302);
      const first = await clickedAt(world, id);
      expect(first).not.toBeNull();
      expect(await click(token)).toMatchObject({ status: 302, location: "/pages/tasting" });
      expect(await clickedAt(world, id)).toEqual(first);
    },
  },
  {
    door: "click link",
    case: "shop that uninstalled: 404 at the proxy, nothing recorded",
    run: async (world) => {
      const id = await newDelivery(world, GONE);
      const answer = await click(signClickToken(world.clickKey, { shop: GONE, deliveryId: id, expiresAt: nowSeconds() + 600 }), GONE);
      expect(answer.status).toBe(404);
      expect(await clickedAt(world, id, GONE)).toBeNull();
    },
  },
];

const ROWS: Row[] = [...adminRows, ...posRows, ...proxyRows, ...webhookRows, ...clickRows];

// ---- every route behind a door, read from app/routes: a route added without authentication fails here ----

const ROUTES_DIR = fileURLToPath(new URL("../../app/routes", import.meta.url));
const DOORS = [
  { prefix: "app.", door: "admin" },
  { prefix: "api.pos.", door: "pos" },
  { prefix: "proxy.", door: "app proxy" },
] as const;

type Handler = Parameters<typeof callRoute>[0];
interface RouteHandler {
  file: string;
  door: (typeof DOORS)[number]["door"];
  kind: "loader" | "action";
  handler: Handler;
}

async function doorRoutes(): Promise<RouteHandler[]> {
  const found: RouteHandler[] = [];
  for (const file of readdirSync(ROUTES_DIR).sort()) {
    const door = DOORS.find((candidate) => file.startsWith(candidate.prefix))?.door;
    if (!door) continue;
    const module = (await import(/* @vite-ignore */ join(ROUTES_DIR, file))) as { loader?: Handler; action?: Handler };
    for (const kind of ["loader", "action"] as const) {
      const handler = module[kind];
      if (handler) found.push({ file, door, kind, handler });
    }
  }
  return found;
}

/** A request to the route with no credential, or with a wrongly signed one. */
function uncredentialed(route: RouteHandler, credential: "missing" | "wrongly signed"): Request {
  const method = route.kind === "loader" ? "GET" : "POST";
  if (route.door === "app proxy") {
    const request = proxyRequest("any", { shop: SHOP, customerId: CUSTOMER, secret: credential === "missing" ? DOOR_API_SECRET : ANOTHER_APP_SECRET, method, body: method === "POST" ? {} : undefined });
    if (credential === "wrongly signed") return request;
    const url = new URL(request.url);
    url.searchParams.delete("signature");
    return new Request(url, { method, headers: request.headers, body: method === "POST" ? "{}" : undefined });
  }
  const token = credential === "missing" ? null : sessionToken({ shop: SHOP, secret: ANOTHER_APP_SECRET });
  return bearerRequest(token, "/any", method === "POST" ? { json: {} } : undefined);
}

async function expectRouteRefuses(route: RouteHandler, credential: "missing" | "wrongly signed") {
  const answer = await callRoute(route.handler, uncredentialed(route, credential), { id: "x", week: "2026-W09", asset: "report.html", file: "all.json" });
  // `() => methodNotAllowed(...)`: an address that does not take this method answers 405 before any credential is read, and nothing else.
  if (route.handler.length === 0) {
    expect(answer.status).toBe(405);
    return;
  }
  if (route.door === "admin" && credential === "missing") expect({ status: answer.status, location: answer.location }).toEqual({ status: 302, location: "/auth/login" });
  else expect(answer.status).toBe(401);
}

describe("the credential table", () => {
  it("covers every door with a missing, an expired, a wrongly signed and a replayed credential, another app and an uninstalled shop", () => {
    for (const door of ["admin", "pos", "app proxy", "webhook", "click link"] as const) {
      const cases = ROWS.filter((row) => row.door === door).map((row) => row.case);
      for (const kind of [/^missing/, /^expired/, /^wrongly signed|another app's secret/, /^replayed/, /another app|another shop|another key/, /uninstalled/]) {
        expect(cases.some((c) => kind.test(c)), `${door}: ${kind}`).toBe(true);
      }
    }
  });
});

describe.each(stackKinds())("credentials at every door on $name", (kind) => {
  const world = {} as World;
  let server: Server;
  let endpoint: WebhookEndpoint;

  beforeAll(async () => {
    world.stack = await startTestStack(kind, { ...DOOR_ENV, SHOPIFY_API_ORIGIN_OVERRIDE: shopify.url });
    setRuntime(world.stack.runtime);
    const db = world.stack.runtime.db;
    await createPickupShop(db, SHOP, { timezone: "UTC", locationId: LOCATION });
    await createPickupShop(db, OTHER, { timezone: "UTC", locationId: LOCATION });
    await storeOfflineSession(db, SHOP);
    await db.shop.create({ data: { domain: GONE, timezone: "UTC", uninstalledAt: new Date() } });
    await db.member.create({ data: { shop: SHOP, customerId: CUSTOMER, status: "active", joinedVia: "storefront", joinedAt: new Date() } });
    world.clickKey = clickTokenKey(world.stack.runtime.config.encryptionKey ?? Buffer.alloc(0));
    endpoint = await createWebhookEndpoint({ databaseUrl: world.stack.runtime.database.url, apiSecret: DOOR_API_SECRET, requestDrain: async () => {} });
    server = createServer((request, response) => endpoint.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    world.webhooks = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await endpoint?.close();
    if (world.stack) closePushSender(world.stack.runtime);
    setRuntime(undefined);
    await world.stack?.stop();
  });

  it.each(ROWS.map((row) => [row.door, row.case, row] as const))("%s — %s", async (_door, _case, row) => {
    await row.run(world);
  });

  it("every admin, POS and app-proxy route refuses a missing and a wrongly signed credential", async () => {
    const routes = await doorRoutes();
    expect(new Set(routes.map((route) => route.door))).toEqual(new Set(["admin", "pos", "app proxy"]));
    for (const route of routes) {
      for (const credential of ["missing", "wrongly signed"] as const) {
        try {
          await expectRouteRefuses(route, credential);
        } catch (error) {
          throw new Error(`${route.file} ${route.kind}, ${credential} credential: ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    }
  });
});

afterAll(async () => {
  await shopify.close();
});
