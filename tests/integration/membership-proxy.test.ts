import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { joinMembership } from "../../app/membership/membership.server";
import { MEMBER_TAG } from "../../app/membership/shopify-fields";
import { registerInstall } from "../../app/shops/shops.server";
import { createShopifyStandin, DEFAULT_SCOPES, legacyId, type ShopifyStandin } from "../../standin/index.ts";
import { spawnApp, waitFor, type AppProcess } from "../support/app-process";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The storefront's membership endpoints over real HTTP: the running app (demo
 * mode, its own workers) behind requests signed as Shopify's app proxy signs
 * them, writing back to the Shopify stand-in.
 */

const DEMO_SHOP = "demo-cafe.myshopify.com";
const OTHER_SHOP = "south-cafe.myshopify.com";
const DEMO_SECRET = "regulars-demo-api-secret";
const CONSENT = "Join Demo Cafe Regulars: we remember your usual and may send you member offers.";

describe.each(stackKinds().filter((k) => k.queue === "postgres"))("membership through the app proxy on $name", (kind) => {
  let standin: ShopifyStandin;
  let stack: TestStack;
  let app: AppProcess;
  let origin: string;
  let customer: { gid: string; id: string };

  beforeAll(async () => {
    standin = await createShopifyStandin({ apiKey: "regulars-demo-api-key", apiSecret: DEMO_SECRET });
    standin.store.addShop({ domain: DEMO_SHOP });
    standin.store.issueAccessToken(DEMO_SHOP, { token: "demo-offline-token", scope: DEFAULT_SCOPES });
    const shopifyCustomer = standin.store.addCustomer(DEMO_SHOP, { email: "ada@example.com", tags: ["vip"] });
    customer = { gid: shopifyCustomer.id, id: String(legacyId(shopifyCustomer.id)) };
    stack = await startTestStack(kind);
    await registerInstall(stack.runtime.db, { domain: OTHER_SHOP });
    app = spawnApp({ DEMO: "1", DATABASE_URL: stack.runtime.database.url, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url, WORKER_CONCURRENCY: "2" });
    origin = await app.ready;
  });

  afterAll(async () => {
    await app?.stop("SIGINT");
    await stack?.stop();
    await standin?.close();
  });

  interface ProxyCall {
    shop?: string;
    customerId?: string | null;
    method?: "GET" | "POST" | "PUT";
    body?: unknown;
    rawBody?: string;
    contentType?: string;
    timestamp?: number;
    query?: (query: URLSearchParams) => URLSearchParams;
  }

  /** A storefront request as Shopify forwards it: path below /proxy, signed query. */
  async function proxy(path: string, call: ProxyCall = {}) {
    const signed = standin.appProxyQuery({
      shop: call.shop ?? DEMO_SHOP,
      loggedInCustomerId: call.customerId === undefined ? customer.id : call.customerId,
      pathPrefix: "/apps/regulars",
      timestamp: call.timestamp,
    });
    const query = call.query ? call.query(signed) : signed;
    const body = call.rawBody ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
    const response = await fetch(`${origin}/proxy/membership${path}?${query}`, {
      method: call.method ?? (body === undefined ? "GET" : "POST"),
      headers: body === undefined ? {} : { "Content-Type": call.contentType ?? "application/json" },
      body,
    });
    const json: unknown = await response.json();
    return { status: response.status, json, cacheControl: response.headers.get("cache-control") };
  }

  const join = (call: ProxyCall = {}) => proxy("/join", { method: "POST", body: { consentText: CONSENT, accepted: true }, ...call });
  const shopifyTags = () => standin.store.customer(DEMO_SHOP, customer.gid).tags;

  it("tells a visitor and a customer who never joined where they stand", async () => {
    expect(await proxy("", { customerId: null })).toEqual({
      status: 200,
      json: { loggedIn: false, membership: { status: "none", joinedAt: null, leftAt: null } },
      cacheControl: "no-store, private",
    });
    expect((await proxy("")).json).toEqual({ loggedIn: true, membership: { status: "none", joinedAt: null, leftAt: null } });
  });

  it("refuses requests that Shopify did not sign, or signed too long ago", async () => {
    const unsigned = await proxy("", { query: (q) => { q.delete("signature"); return q; } });
    expect(unsigned.status).toBe(401);
    expect(unsigned.json).toMatchObject({ error: { code: "unauthorized" } });
    const tampered = await join({ query: (q) => { q.set("logged_in_customer_id", "6800000000999"); return q; } });
    expect(tampered.status).toBe(401);
    const stale = await join({ timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(401);
    expect(stale.json).toMatchObject({ error: { code: "unauthorized", message: expect.stringMatching(/outside/) } });
    expect(await stack.runtime.db.member.count()).toBe(0);
  });

  it("asks a visitor to log in before joining", async () => {
    expect(await join({ customerId: null })).toMatchObject({
      status: 401,
      json: { error: { code: "login_required", message: "Log in to join the membership." } },
    });
  });

  it("answers a bad body with 400 and a message, and a shop without Regulars with 404", async () => {
    expect(await join({ body: { consentText: CONSENT, accepted: false } })).toMatchObject({
      status: 400,
      json: { error: { code: "invalid_body", message: "Invalid request: accepted: accepted must be true: joining needs the customer's consent." } },
    });
    expect(await join({ rawBody: "{not json" })).toMatchObject({ status: 400, json: { error: { message: "The request body is not valid JSON." } } });
    expect((await join({ rawBody: "consentText=x", contentType: "application/x-www-form-urlencoded" })).status).toBe(415);
    expect((await join({ rawBody: JSON.stringify({ consentText: "x".repeat(20_000), accepted: true }) })).status).toBe(413);
    expect(await proxy("/join", { method: "GET" })).toMatchObject({ status: 405, json: { error: { code: "method_not_allowed" } } });
    expect((await proxy("/leave", { method: "PUT", body: {} })).status).toBe(405);
    expect((await proxy("", { method: "POST", body: {} })).status).toBe(405);
    expect(await join({ shop: "nowhere-cafe.myshopify.com" })).toMatchObject({ status: 404, json: { error: { code: "shop_not_installed" } } });
    expect(await stack.runtime.db.member.count()).toBe(0);
  });

  it("joins once however often the button is pressed, and the membership reaches Shopify", async () => {
    const first = await join();
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ loggedIn: true, changed: true, membership: { status: "active", leftAt: null } });
    const [again, concurrent] = await Promise.all([join(), join()]);
    expect(again.json).toMatchObject({ changed: false, membership: { status: "active" } });
    expect(concurrent.json).toMatchObject({ changed: false });

    const events = await stack.runtime.db.consentEvent.findMany({ where: { shop: DEMO_SHOP, customerId: customer.id } });
    expect(events).toEqual([expect.objectContaining({ kind: "membership", action: "granted", via: "storefront", text: CONSENT })]);
    expect((await proxy("")).json).toMatchObject({ membership: { status: "active" } });

    // The sync writes the tag, then the metafield: wait for the second.
    const metafield = await waitFor("the membership metafield in Shopify", async () =>
      shopifyTags().includes(MEMBER_TAG) ? standin.store.metafield(DEMO_SHOP, customer.gid, "$app:regulars", "membership") : undefined,
    );
    expect(shopifyTags()).toEqual(["vip", MEMBER_TAG]);
    expect(JSON.parse(metafield?.value ?? "null")).toMatchObject({ status: "active", joinedVia: "storefront" });
  });

  it("keeps shops apart: a signed request for another shop cannot see or end this membership", async () => {
    await joinMembership(stack.runtime.db, { shop: OTHER_SHOP, customerId: customer.id, via: "pos", consentText: "South", at: new Date() });
    const leaveOther = await proxy("/leave", { shop: OTHER_SHOP, method: "POST" });
    expect(leaveOther.json).toMatchObject({ changed: true, membership: { status: "left" } });
    expect((await proxy("")).json).toMatchObject({ membership: { status: "active" } });
    expect((await proxy("", { shop: OTHER_SHOP })).json).toMatchObject({ membership: { status: "left" } });
    const demoEvents = await stack.runtime.db.consentEvent.count({ where: { shop: DEMO_SHOP, customerId: customer.id } });
    expect(demoEvents).toBe(1);
  });

  it("leaves (withdrawing push consent), Shopify drops the tag, and joining again records new consent", async () => {
    const left = await proxy("/leave", { method: "POST" });
    expect(left).toMatchObject({ status: 200, json: { changed: true, membership: { status: "left" } } });
    expect((await proxy("/leave", { method: "POST", body: {} })).json).toMatchObject({ changed: false });
    const withdrawn = await stack.runtime.db.consentEvent.findMany({ where: { shop: DEMO_SHOP, customerId: customer.id, action: "withdrawn" } });
    expect(withdrawn.map((e) => e.kind).sort()).toEqual(["membership", "push"]);
    await waitFor("the member tag gone from Shopify", async () => (shopifyTags().includes(MEMBER_TAG) ? undefined : true));

    const back = await join();
    expect(back.json).toMatchObject({ changed: true, membership: { status: "active", leftAt: null } });
    const grants = await stack.runtime.db.consentEvent.count({ where: { shop: DEMO_SHOP, customerId: customer.id, action: "granted" } });
    expect(grants).toBe(2);
    await waitFor("the member tag back in Shopify", async () => (shopifyTags().includes(MEMBER_TAG) ? true : undefined));
  });
});
