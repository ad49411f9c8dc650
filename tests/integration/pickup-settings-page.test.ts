import { Session } from "@shopify/shopify-api";
import { getJwt } from "@shopify/shopify-api/test-helpers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PrismaSessionStorage } from "../../app/db/session-storage.server";
import { getPickupSettings, listMenu } from "../../app/pickup/settings.server";
import { setRuntime } from "../../app/runtime.server";
import { DEMO_SHOP } from "../../app/shops/demo.server";
import { registerInstall } from "../../app/shops/shops.server";
import { createShopifyStandin, DEFAULT_SCOPES, legacyId, type ShopifyStandin } from "../../standin/index.ts";
import { spawnApp, type AppProcess } from "../support/app-process";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The admin's pickup settings page as Shopify calls it (a session token for
 * one shop): locations and products come from the Admin API, invalid
 * settings are refused field by field and store nothing, the menu takes
 * titles and prices from the catalogue, and one shop never writes another's.
 */

const API_KEY = "pickup-settings-key";
const API_SECRET = "pickup-settings-secret";
const APP_URL = "https://regulars.example";
const SHOPIFY = { DEMO: "0", SHOPIFY_API_KEY: API_KEY, SHOPIFY_API_SECRET: API_SECRET, SHOPIFY_APP_URL: APP_URL };
Object.assign(process.env, SHOPIFY);
const route = await import("../../app/routes/app.pickup.settings");

const NORTH = "north-cafe.myshopify.com";
const SOUTH = "south-cafe.myshopify.com";

async function request(shop: string, path: string, form?: Array<[string, string]>): Promise<Request> {
  const { token } = await getJwt(shop.replace(".myshopify.com", ""), API_KEY, API_SECRET);
  const headers = { Authorization: `Bearer ${token}` };
  return form ? new Request(`${APP_URL}${path}`, { method: "POST", headers, body: new URLSearchParams(form) }) : new Request(`${APP_URL}${path}`, { headers });
}

/** The status and body a loader's or action's result would be sent with. */
async function outcome(result: Promise<unknown>): Promise<{ status: number; body: unknown }> {
  const value = await result;
  if (value && typeof value === "object" && "init" in value && "data" in value) {
    const init = value.init as ResponseInit | null;
    return { status: init?.status ?? 200, body: value.data };
  }
  return { status: 200, body: value };
}

const kind = stackKinds()[0];

describe.runIf(kind)("the pickup settings page", () => {
  let stack: TestStack;
  let standin: ShopifyStandin;
  let highStreet: string;
  let flatWhite: { variantId: string; productId: string; title: string; price: string };
  let croissant: string;

  beforeAll(async () => {
    if (!kind) return;
    standin = await createShopifyStandin({ apiKey: API_KEY, apiSecret: API_SECRET });
    stack = await startTestStack(kind, { ...SHOPIFY, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url });
    setRuntime(stack.runtime);
    const db = stack.runtime.db;
    const sessions = new PrismaSessionStorage(() => db);
    for (const shop of [NORTH, SOUTH]) {
      standin.store.addShop({ domain: shop });
      const token = standin.store.issueAccessToken(shop, { scope: DEFAULT_SCOPES });
      await registerInstall(db, { domain: shop, timezone: "Europe/London", currency: "GBP" });
      await sessions.storeSession(new Session({ id: `offline_${shop}`, shop, state: "installed", isOnline: false, scope: DEFAULT_SCOPES, accessToken: token.token }));
    }
    highStreet = String(legacyId(standin.store.addLocation(NORTH, { name: "High Street" }).id));
    const menu = standin.store.seedMenu(NORTH);
    const product = menu.find((p) => p.title === "Flat White");
    const variant = product?.variants[0];
    if (!product || !variant) throw new Error("the stand-in has no menu");
    flatWhite = { variantId: String(legacyId(variant.id)), productId: String(legacyId(product.id)), title: product.title, price: variant.price };
    const food = menu.find((p) => p.title === "Croissant")?.variants[0];
    croissant = String(legacyId(food?.id ?? variant.id));
  }, 180_000);

  afterAll(async () => {
    setRuntime(undefined);
    await stack?.stop();
    await standin?.close();
  });

  const settingsForm = (overrides: Record<string, string> = {}): Array<[string, string]> =>
    Object.entries({
      intent: "settings",
      locationId: highStreet,
      locationName: "High Street",
      enabled: "on",
      "hours.1": "07:00-11:00, 12:00-15:00",
      "hours.2": "07:00-15:00",
      slotMinutes: "10",
      capacityOrders: "6",
      capacityItems: "",
      leadMinutes: "10",
      cutoffMinutes: "15",
      holdMinutes: "8",
      ...overrides,
    });

  it("lists the shop's locations and products from the Admin API", async () => {
    const { status, body } = await outcome(route.loader({ request: await request(NORTH, `/app/pickup/settings?location=${highStreet}`), params: {}, context: {} }));
    expect(status).toBe(200);
    expect(body).toMatchObject({ apiProblem: null, selected: { locationId: highStreet, stored: false, enabled: false, slotMinutes: 10 }, selectedName: "High Street" });
    expect(body).toHaveProperty("locations", expect.arrayContaining([{ locationId: highStreet, name: "High Street", enabled: false }]));
    expect(JSON.stringify(body)).toContain(`"variantId":"${flatWhite.variantId}"`);
  });

  it("refuses invalid settings field by field and stores nothing", async () => {
    const form = settingsForm({ "hours.2": "7 till 3", slotMinutes: "7", capacityOrders: "", holdMinutes: "45" });
    const { status, body } = await outcome(route.action({ request: await request(NORTH, "/app/pickup/settings", form), params: {}, context: {} }));
    expect(status).toBe(400);
    expect(body).toEqual({
      form: "settings",
      ok: false,
      errors: {
        "hours.2": 'write hours like 07:00-11:00, 12:00-15:00 (got "7 till 3")',
        slotMinutes: expect.stringMatching(/^slot length must divide a day evenly/),
        capacityOrders: "set orders per slot, drinks per slot, or both: a slot needs a limit",
        holdMinutes: "hold time must be at most 30",
      },
    });
    expect(await stack.runtime.db.pickupSettings.count()).toBe(0);
  });

  it("saves valid settings for the shop that sent them only", async () => {
    const { status, body } = await outcome(route.action({ request: await request(NORTH, "/app/pickup/settings", settingsForm()), params: {}, context: {} }));
    expect([status, body]).toEqual([200, { form: "settings", ok: true, message: "Pickup settings saved for High Street." }]);
    const saved = await getPickupSettings(stack.runtime.db, NORTH, highStreet);
    expect(saved).toMatchObject({ stored: true, enabled: true, capacityOrders: 6, capacityItems: null, holdMinutes: 8 });
    expect(saved.hours).toEqual([
      { weekday: 1, opens: "07:00", closes: "11:00" },
      { weekday: 1, opens: "12:00", closes: "15:00" },
      { weekday: 2, opens: "07:00", closes: "15:00" },
    ]);
    expect((await getPickupSettings(stack.runtime.db, SOUTH, highStreet)).stored).toBe(false);
  });

  it("saves the menu with titles and prices from the catalogue, and refuses variants the store does not have", async () => {
    const form: Array<[string, string]> = [
      ["intent", "menu"],
      ["menu", flatWhite.variantId],
      ["drink." + flatWhite.variantId, "on"],
      ["available." + flatWhite.variantId, "on"],
      ["menu", croissant],
      ["available." + croissant, "on"],
    ];
    const saved = await outcome(route.action({ request: await request(NORTH, "/app/pickup/settings", form), params: {}, context: {} }));
    expect(saved).toEqual({ status: 200, body: { form: "menu", ok: true, message: "Menu saved: 2 items can be ordered ahead." } });
    const menu = await listMenu(stack.runtime.db, NORTH);
    expect(menu.find((item) => item.variantId === flatWhite.variantId)).toMatchObject({ productId: flatWhite.productId, title: flatWhite.title, isDrink: true, available: true });
    expect(Number(menu.find((item) => item.variantId === flatWhite.variantId)?.price)).toBe(Number(flatWhite.price));
    expect(menu.find((item) => item.variantId === croissant)).toMatchObject({ isDrink: false });

    // South's catalogue is empty: North's variant is not South's to put on a menu.
    const foreign = await outcome(route.action({ request: await request(SOUTH, "/app/pickup/settings", [["intent", "menu"], ["menu", flatWhite.variantId]]), params: {}, context: {} }));
    expect(foreign).toEqual({ status: 400, body: { form: "menu", ok: false, errors: { menu: `variant ${flatWhite.variantId} is no longer in the store; reload the page` } } });
    expect(await listMenu(stack.runtime.db, SOUTH)).toEqual([]);
    expect(await listMenu(stack.runtime.db, NORTH)).toHaveLength(2);
  });
});

describe.runIf(kind)("the pickup settings page, rendered by the running app", () => {
  let stack: TestStack;
  let standin: ShopifyStandin;
  let app: AppProcess;
  let origin: string;

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind);
    standin = await createShopifyStandin({ apiKey: "regulars-demo-api-key", apiSecret: "demo-secret" });
    standin.store.addShop({ domain: DEMO_SHOP });
    standin.store.issueAccessToken(DEMO_SHOP, { token: "demo-offline-token", scope: DEFAULT_SCOPES });
    standin.store.addLocation(DEMO_SHOP, { name: "Station Kiosk" });
    standin.store.seedMenu(DEMO_SHOP);
    app = spawnApp({ DEMO: "1", ROLE: "web", DATABASE_URL: stack.runtime.database.url, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url });
    origin = await app.ready;
  }, 240_000);
  afterAll(async () => {
    await app?.stop("SIGINT");
    await stack?.stop();
    await standin?.close();
  });

  it("shows the form for a location and the store's products", async () => {
    const response = await fetch(`${origin}/app/pickup/settings`);
    const html = (await response.text()).replace(/<!-- -->/g, "");
    expect(response.status).toBe(200);
    for (const text of ["Station Kiosk", "Take orders ahead at this location", "Opening hours for pickup (shop time)", "Slot length", "Hold time (minutes)", "Menu for ordering ahead", "Flat White (3.40)", "Latte – Oat milk (3.90)", "Croissant"]) {
      expect(html, text).toContain(text);
    }
    expect(html).not.toContain("Shopify could not be reached");
  }, 120_000);
});
