import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PICKUP_HOLD_ATTRIBUTE, PICKUP_LOCATION_ATTRIBUTE, PICKUP_SLOT_ATTRIBUTE } from "../../app/pickup/attributes";
import { savePickupSettings, setMenu } from "../../app/pickup/settings.server";
import { listSlots } from "../../app/pickup/slots.server";
import { registerInstall } from "../../app/shops/shops.server";
import { createShopifyStandin, DEFAULT_SCOPES, legacyId, type ShopifyStandin } from "../../standin/index.ts";
import { spawnApp, waitFor, type AppProcess } from "../support/app-process";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The storefront's order-ahead endpoints over real HTTP: the running app
 * (demo mode, its own workers) behind requests signed as Shopify's app proxy
 * signs them, making carts on the stand-in's Storefront API; the paid order
 * comes back as Shopify's webhooks and joins the queue through the drain.
 */

const SHOP = "demo-cafe.myshopify.com";
const OTHER_SHOP = "south-cafe.myshopify.com";
const HOUR = 3_600_000;

describe.each(stackKinds().filter((k) => k.queue === "postgres"))("order ahead through the app proxy on $name", (kind) => {
  let standin: ShopifyStandin;
  let stack: TestStack;
  let app: AppProcess;
  let origin: string;
  let locationId: string;
  let member: string;
  const variants: Record<string, string> = {};
  let tomorrowTen: Date;
  const db = () => stack.runtime.db;

  beforeAll(async () => {
    standin = await createShopifyStandin({ apiKey: "regulars-demo-api-key", apiSecret: "regulars-demo-api-secret" });
    const shop = standin.store.addShop({ domain: SHOP, locationName: "High Street" });
    locationId = String(legacyId(shop.locations[0]?.id ?? ""));
    for (const product of standin.store.seedMenu(SHOP)) {
      for (const variant of product.variants) variants[variant.title === "Default Title" ? product.title : `${product.title} (${variant.title})`] = String(legacyId(variant.id));
    }
    standin.store.issueAccessToken(SHOP, { token: "demo-offline-token", scope: DEFAULT_SCOPES });
    member = String(legacyId(standin.store.addCustomer(SHOP, { email: "ada@example.com", firstName: "Ada" }).id));
    stack = await startTestStack(kind);
    await registerInstall(db(), { domain: OTHER_SHOP });
    app = spawnApp({ DEMO: "1", DATABASE_URL: stack.runtime.database.url, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url, WORKER_CONCURRENCY: "2" });
    origin = await app.ready;
    for (const topic of ["orders/create", "orders/paid"]) standin.store.subscribeWebhook(SHOP, topic, `${origin}/webhooks/orders`);

    // Open every day but the last hour, so there are always slots tomorrow and a closed time to ask for.
    const hours = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: "00:00", closes: "23:00" }));
    const saved = await savePickupSettings(db(), SHOP, locationId, { enabled: true, hours, slotMinutes: 10, capacityOrders: 5, capacityItems: null, leadMinutes: 10, cutoffMinutes: 15, holdMinutes: 10 }, { locationName: "High Street" });
    if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
    const menu = await setMenu(db(), SHOP, [
      { variantId: variants["Flat White"], productId: "1", title: "Flat white", price: "3.40", isDrink: true },
      { variantId: variants["Latte (Oat milk)"], productId: "2", title: "Oat latte", price: "3.90", isDrink: true },
      { variantId: variants.Croissant, productId: "3", title: "Croissant", price: "2.80", isDrink: false },
    ]);
    if (!menu.ok) throw new Error(JSON.stringify(menu.errors));
    const tomorrow = new Date(Date.now() + 24 * HOUR).toLocaleDateString("en-CA", { timeZone: "Europe/London" });
    const table = await listSlots(db(), { shop: SHOP, locationId, date: tomorrow });
    const ten = table.slots.find((slot) => slot.label === "10:00");
    if (!ten) throw new Error("no 10:00 slot tomorrow");
    tomorrowTen = ten.start;
  });

  afterAll(async () => {
    await app?.stop("SIGINT");
    await stack?.stop();
    await standin?.close();
  });

  interface Call {
    shop?: string;
    customerId?: string | null;
    method?: "GET" | "POST";
    json?: unknown;
    form?: Record<string, string>;
    extra?: Record<string, string>;
  }

  /** A storefront request as Shopify forwards it: path below /proxy, signed query. */
  async function proxy(path: string, call: Call = {}) {
    const query = standin.appProxyQuery({ shop: call.shop ?? SHOP, loggedInCustomerId: call.customerId === undefined ? member : call.customerId, pathPrefix: "/apps/regulars", extra: call.extra });
    const body = call.json !== undefined ? JSON.stringify(call.json) : call.form ? new URLSearchParams(call.form).toString() : undefined;
    const response = await fetch(`${origin}/proxy/pickup${path}?${query}`, {
      method: call.method ?? (body === undefined ? "GET" : "POST"),
      headers: body === undefined ? {} : { "Content-Type": call.json !== undefined ? "application/json" : "application/x-www-form-urlencoded" },
      body,
      redirect: "manual",
    });
    const text = await response.text();
    return { status: response.status, text, type: response.headers.get("content-type") ?? "", location: response.headers.get("location"), cacheControl: response.headers.get("cache-control") };
  }

  const holdJson = (overrides: Record<string, unknown> = {}, call: Call = {}) =>
    proxy("/hold", { json: { locationId, slotStart: tomorrowTen.toISOString(), items: [{ variantId: variants["Flat White"], quantity: 1 }], ...overrides }, ...call });

  const nothingStored = async () => ({
    holds: await db().pickupHold.count({ where: { shop: SHOP } }),
    slots: await db().pickupSlot.count({ where: { shop: SHOP } }),
    carts: standin.store.shop(SHOP).carts.size,
  });

  it("serves the order-ahead page to a guest and to a member: locations, menu, next open slots", async () => {
    const guest = await proxy("", { customerId: null });
    expect(guest).toMatchObject({ status: 200, cacheControl: "no-store, private" });
    expect(guest.type).toContain("text/html");
    for (const text of ["Order ahead for pickup", "Flat white", "Oat latte", "Croissant", "High Street", "Continue to payment", 'action="/apps/regulars/pickup/hold"', "Ordering as a guest"]) expect(guest.text).toContain(text);
    expect(guest.text).toMatch(/<input type="radio" name="slot" value="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z" checked>/);
    const signedIn = await proxy("");
    expect(signedIn.text).toContain("Ordering as a member");
    expect((await proxy("", { method: "POST", form: {} })).status).toBe(405);
  });

  it("opens on the slot an invitation names (?slot=), on its own day, chosen", async () => {
    const invited = await proxy("", { extra: { location: locationId, slot: tomorrowTen.toISOString() } });
    expect(invited.status).toBe(200);
    expect(invited.text).toContain(`<input type="radio" name="slot" value="${tomorrowTen.toISOString()}" checked>`);
    // A slot that is not a time, or one already past, is ignored: the page opens on the next open slot.
    for (const slot of ["tomorrow", new Date(tomorrowTen.getTime() - 48 * HOUR).toISOString()]) {
      const page = await proxy("", { extra: { location: locationId, slot } });
      expect(page.status).toBe(200);
      expect(page.text).toMatch(/<input type="radio" name="slot" value="[^"]+" checked>/);
    }
  });

  it.each([
    ["a slot in the past", () => ({ slotStart: new Date(tomorrowTen.getTime() - 48 * HOUR).toISOString() }), 400, "slot-past", /has already started/],
    ["a slot in closed hours", () => ({ slotStart: new Date(tomorrowTen.getTime() + 13.5 * HOUR).toISOString() }), 400, "slot-closed", /closed for pickup/],
    ["an unknown location", () => ({ locationId: "99999" }), 400, "unknown-location", /no pickup location 99999/],
    ["an item not orderable ahead", () => ({ items: [{ variantId: variants.Espresso, quantity: 1 }] }), 400, "item-not-on-menu", /cannot be ordered ahead/],
    ["a quantity of 0", () => ({ items: [{ variantId: variants["Flat White"], quantity: 0 }] }), 400, "quantity-invalid", /must be at least 1/],
    ["a negative quantity", () => ({ items: [{ variantId: variants["Flat White"], quantity: -2 }] }), 400, "quantity-invalid", /must be at least 1/],
    ["no items", () => ({ items: [] }), 400, "cart-empty", /Choose at least one item/],
  ])("refuses %s with a clear message and stores nothing", async (_what, change, status, code, message) => {
    const answer = await holdJson(change());
    expect(answer.status).toBe(status);
    const body = JSON.parse(answer.text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).toMatch(message);
    expect(await nothingStored()).toEqual({ holds: 0, slots: 0, carts: 0 });
  });

  it("shows the page again with the message when the form asks for the impossible, keeping what was entered", async () => {
    const answer = await proxy("/hold", { form: { location: locationId, slot: tomorrowTen.toISOString(), [`qty.${variants["Flat White"]}`]: "-1", [`qty.${variants.Croissant}`]: "2" } });
    expect(answer.status).toBe(400);
    expect(answer.type).toContain("text/html");
    expect(answer.text).toContain('role="alert"');
    expect(answer.text).toMatch(/The quantity of item 1 must be at least 1 \(got -1\)\./);
    expect(answer.text).toContain(`name="qty.${variants.Croissant}" type="number" inputmode="numeric" min="0" max="20" step="1" value="2"`);
    const empty = await proxy("/hold", { form: { location: locationId, slot: tomorrowTen.toISOString() } });
    expect(empty.text).toContain("Choose at least one item to order.");
    const noSlot = await proxy("/hold", { form: { location: locationId, [`qty.${variants["Flat White"]}`]: "1" } });
    expect(noSlot.text).toContain("Choose a pickup slot.");
    expect(await nothingStored()).toEqual({ holds: 0, slots: 0, carts: 0 });
  });

  it("holds the slot, makes the Storefront cart with the pickup attributes and answers with its checkout URL", async () => {
    const answer = await holdJson({ items: [{ variantId: variants["Latte (Oat milk)"], quantity: 2 }, { variantId: variants.Croissant, quantity: 1 }] });
    expect(answer.status).toBe(200);
    const body = JSON.parse(answer.text) as { holdId: string; checkoutUrl: string; expiresAt: string };
    expect(body.checkoutUrl.startsWith(`${standin.url}/shops/${SHOP}/cart/c/`)).toBe(true);
    const hold = await db().pickupHold.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: body.holdId } } });
    expect(hold).toMatchObject({ status: "held", customerId: member, locationId, slotStart: tomorrowTen, checkoutUrl: body.checkoutUrl, itemCount: 3, drinkCount: 2 });
    const cart = [...standin.store.shop(SHOP).carts.values()].find((candidate) => candidate.id === hold.cartId);
    expect(cart?.attributes).toEqual([
      { name: PICKUP_HOLD_ATTRIBUTE, value: body.holdId },
      { name: PICKUP_LOCATION_ATTRIBUTE, value: locationId },
      { name: PICKUP_SLOT_ATTRIBUTE, value: tomorrowTen.toISOString() },
    ]);
    expect(cart?.lines.map((line) => [line.merchandiseId, line.quantity])).toEqual([
      [`gid://shopify/ProductVariant/${variants["Latte (Oat milk)"]}`, 2],
      [`gid://shopify/ProductVariant/${variants.Croissant}`, 1],
    ]);
    const page = await proxy("");
    expect(page.text).toContain("Your held slot");
    expect(page.text).toContain("2 × Oat latte, 1 × Croissant");
  });

  it("releases a hold for its own member only, once, and not from another shop", async () => {
    const { holdId } = JSON.parse((await holdJson()).text) as { holdId: string };
    expect((await proxy("/release", { json: { holdId }, customerId: "123456" })).status).toBe(403);
    expect((await proxy("/release", { json: { holdId }, shop: OTHER_SHOP })).status).toBe(404);
    expect((await proxy("/release", { json: {} })).status).toBe(400);
    expect(JSON.parse((await proxy("/release", { json: { holdId } })).text)).toEqual({ released: true, status: "released" });
    expect(JSON.parse((await proxy("/release", { json: { holdId } })).text)).toEqual({ released: false, status: "released" });
    const form = await proxy("/release", { form: { hold: holdId } });
    expect(form).toMatchObject({ status: 303, location: "/apps/regulars/pickup?released=1" });
  });

  it("sends the page's form on to checkout; the paid order arrives by webhook and joins the queue unflagged", async () => {
    const answer = await proxy("/hold", { form: { location: locationId, slot: tomorrowTen.toISOString(), [`qty.${variants["Flat White"]}`]: "1" } });
    expect(answer.status).toBe(303);
    const checkoutUrl = answer.location ?? "";
    const hold = await db().pickupHold.findFirstOrThrow({ where: { shop: SHOP, checkoutUrl } });
    const checkoutPage = await fetch(checkoutUrl);
    expect(await checkoutPage.text()).toContain("Pay now");
    const token = new URL(checkoutUrl).pathname.split("/").pop() ?? "";
    const paid = await standin.payCheckout(SHOP, token);
    expect(paid.webhooks).toEqual([{ topic: "orders/create", status: 200 }, { topic: "orders/paid", status: 200 }]);
    const orderId = String(legacyId(paid.order.id));
    const queued = await waitFor("the pickup order", async () => (await db().pickupOrder.findUnique({ where: { shop_orderId: { shop: SHOP, orderId } } })) ?? undefined);
    expect(queued).toMatchObject({ flag: null, holdId: hold.id, locationId, slotStart: tomorrowTen, customerId: member, state: "new", items: [{ title: "Flat white", quantity: 1 }] });
    expect(await db().pickupHold.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: hold.id } } })).toMatchObject({ status: "converted", orderId });
    // orders/paid was drained too, and changed nothing.
    await waitFor("both deliveries applied", async () => ((await db().webhookDelivery.count({ where: { shop: SHOP, status: "processed" } })) >= 2 ? true : undefined));
    expect(await db().pickupOrder.count({ where: { shop: SHOP } })).toBe(1);
  });
});
