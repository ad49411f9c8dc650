import { Session } from "@shopify/shopify-api";
import { getJwt } from "@shopify/shopify-api/test-helpers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaSessionStorage } from "../../app/db/session-storage.server";
import { setRuntime } from "../../app/runtime.server";
import { registerInstall } from "../../app/shops/shops.server";
import { createShopifyStandin, DEFAULT_SCOPES, type ShopifyStandin } from "../../standin/index.ts";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The admin's Perks page as Shopify calls it (a session token for one shop):
 * an invalid program is refused field by field and stores nothing; a valid
 * one is created, edited and paused for the signing shop only, each change
 * audited with the staff member.
 */

const API_KEY = "perks-page-key";
const API_SECRET = "perks-page-secret";
const APP_URL = "https://regulars.example";
const SHOPIFY = { DEMO: "0", SHOPIFY_API_KEY: API_KEY, SHOPIFY_API_SECRET: API_SECRET, SHOPIFY_APP_URL: APP_URL };
Object.assign(process.env, SHOPIFY);
const route = await import("../../app/routes/app.perks");

const NORTH = "north-perks.myshopify.com";
const SOUTH = "south-perks.myshopify.com";

async function request(shop: string, form?: Record<string, string>): Promise<Request> {
  const { token } = await getJwt(shop.replace(".myshopify.com", ""), API_KEY, API_SECRET);
  const headers = { Authorization: `Bearer ${token}` };
  return form ? new Request(`${APP_URL}/app/perks`, { method: "POST", headers, body: new URLSearchParams(form) }) : new Request(`${APP_URL}/app/perks`, { headers });
}

async function outcome(result: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  const value = await result;
  if (value && typeof value === "object" && "init" in value && "data" in value) {
    const init = value.init as ResponseInit | null;
    return { status: init?.status ?? 200, body: value.data };
  }
  return { status: 200, body: value };
}

const kind = stackKinds()[0];

describe.runIf(kind)("the perks page", () => {
  let stack: TestStack;
  let standin: ShopifyStandin;
  const db = () => stack.runtime.db;

  beforeAll(async () => {
    if (!kind) return;
    standin = await createShopifyStandin({ apiKey: API_KEY, apiSecret: API_SECRET });
    stack = await startTestStack(kind, { ...SHOPIFY, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url });
    setRuntime(stack.runtime);
    const sessions = new PrismaSessionStorage(() => db());
    for (const shop of [NORTH, SOUTH]) {
      standin.store.addShop({ domain: shop });
      const token = standin.store.issueAccessToken(shop, { scope: DEFAULT_SCOPES });
      await registerInstall(db(), { domain: shop, timezone: "Europe/London", currency: "GBP" });
      await sessions.storeSession(new Session({ id: `offline_${shop}`, shop, state: "installed", isOnline: false, scope: DEFAULT_SCOPES, accessToken: token.token }));
    }
    await db().pickupMenuItem.create({ data: { shop: NORTH, variantId: "40001", productId: "30001", title: "Oat latte", price: "3.60" } });
  }, 180_000);

  afterAll(async () => {
    setRuntime(undefined);
    await stack?.stop();
    await standin?.close();
  });

  const valid = { intent: "save", kind: "every_nth_visit", name: "Eighth visit", reward: "a drink on us", everyVisits: "8", variantIds: "", startsOn: "2026-03-02", active: "on" };

  it("refuses an invalid program field by field and stores nothing", async () => {
    const { status, body } = await outcome(route.action({ request: await request(NORTH, { ...valid, name: "", everyVisits: "1", variantIds: "latte", startsOn: "soon" }), params: {}, context: {} }));
    expect(status).toBe(400);
    expect(body).toEqual({
      ok: false,
      errors: {
        name: "name is required",
        everyVisits: 'every how many visits must be a whole number from 2 to 100 (got "1")',
        variantIds: 'not a variant id: "latte" (use ids such as 40001)',
        startsOn: "start date must be a date like 2026-03-02",
      },
    });
    expect(await db().perkProgram.count()).toBe(0);
  });

  it("creates, edits and pauses a program for the signing shop only, and lists it with its counts", async () => {
    expect(await outcome(route.action({ request: await request(NORTH, valid), params: {}, context: {} }))).toEqual({ status: 200, body: { ok: true, message: '"Eighth visit" created.' } });
    const program = await db().perkProgram.findFirstOrThrow({ where: { shop: NORTH } });
    expect(await outcome(route.action({ request: await request(NORTH, { ...valid, id: program.id, everyVisits: "10", variantIds: "40001" }), params: {}, context: {} }))).toEqual({ status: 200, body: { ok: true, message: '"Eighth visit" saved.' } });
    // Another shop cannot touch it by id.
    expect((await outcome(route.action({ request: await request(SOUTH, { intent: "pause", id: program.id }), params: {}, context: {} }))).status).toBe(400);
    expect(await outcome(route.action({ request: await request(NORTH, { intent: "pause", id: program.id }), params: {}, context: {} }))).toEqual({ status: 200, body: { ok: true, message: '"Eighth visit" is paused.' } });

    const { body } = await outcome(route.loader({ request: await request(NORTH), params: {}, context: {} }));
    expect(body).toMatchObject({
      programs: [{ id: program.id, name: "Eighth visit", everyVisits: 10, variantIds: ["40001"], active: false, redeemedThisWeek: 0, redeemedAllTime: 0 }],
      items: [{ variantId: "40001", title: "Oat latte" }],
    });
    expect(await outcome(route.loader({ request: await request(SOUTH), params: {}, context: {} }))).toMatchObject({ body: { programs: [], items: [] } });
    const audit = await db().auditEvent.findMany({ where: { shop: NORTH }, orderBy: { at: "asc" } });
    expect(audit.map((event) => event.action)).toEqual(["perk.create", "perk.update", "perk.pause"]);
    expect(await db().auditEvent.count({ where: { shop: SOUTH } })).toBe(0);
  });
});
