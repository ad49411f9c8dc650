import { randomBytes } from "node:crypto";
import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobWorker } from "../../jobs/backend.server";
import { processPushSend } from "../../jobs/processors/push-send";
import { clickTokenKey, signClickToken } from "../../app/push/click-token.server";
import { enqueuePush, enqueuePushes, type PushRequest } from "../../app/push/enqueue.server";
import { ensureActivePushKey, rotatePushKey } from "../../app/push/keys.server";
import { erasePushData, exportPushData } from "../../app/push/personal-data.server";
import { closePushSender } from "../../app/push/sender.server";
import { sendDuePushes } from "../../app/push/send.server";
import { PUSH_BROWSER_ATTRIBUTE, linkSubscriptionsFromOrder, subscriptionIdFor } from "../../app/push/subscriptions.server";
import { registerInstall } from "../../app/shops/shops.server";
import { createShopifyStandin, type ShopifyStandin } from "../../standin/index.ts";
import { spawnApp, waitFor, type AppProcess } from "../support/app-process";
import { startPushReceiver, type PushReceiver, type ReceiverSubscription } from "../support/push-receiver";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Web Push end to end on each stack: storefront requests signed as Shopify's
 * app proxy signs them reach the running app (ROLE=web); pushes are sent by
 * the push worker in this process to a Web Push receiver that checks the
 * VAPID JWT and decrypts the RFC 8291 payload.
 */

const SHOP = "demo-cafe.myshopify.com";
const OTHER_SHOP = "south-cafe.myshopify.com";
const SECRET = "regulars-demo-api-secret";
const CUSTOMER = "6800000000101";
const PROMPT = "Get a nudge about tastings and new drinks. You can turn notifications off at any time.";

interface Answer {
  status: number;
  json: Record<string, unknown>;
  location: string | null;
}

/**
 * Over HTTP/2 (h2c to the local receiver: the protocol the big push services
 * speak) on every stack but the last, which keeps HTTP/1.1 covered.
 */
const variants = stackKinds().map((kind, index, kinds) => ({ ...kind, http: index === kinds.length - 1 && kinds.length > 1 ? "1.1" : "2" }));

describe.each(variants)("web push on $name over HTTP/$http", (kind) => {
  let standin: ShopifyStandin;
  let stack: TestStack;
  let app: AppProcess;
  let origin: string;
  let receiver: PushReceiver;
  let worker: JobWorker;
  let publicKey: string;

  beforeAll(async () => {
    // Only for signing proxy queries as Shopify does.
    standin = await createShopifyStandin({ apiKey: "regulars-demo-api-key", apiSecret: SECRET });
    stack = await startTestStack(kind, { PUSH_ALLOW_LOCAL_RECEIVERS: "1", PUSH_HTTP: kind.http });
    await registerInstall(stack.runtime.db, { domain: SHOP, name: "Demo Cafe" });
    await registerInstall(stack.runtime.db, { domain: OTHER_SHOP });
    app = spawnApp({ DEMO: "1", ROLE: "web", DATABASE_URL: stack.runtime.database.url, PUSH_ALLOW_LOCAL_RECEIVERS: "1" });
    origin = await app.ready;
    receiver = await startPushReceiver();
    worker = stack.runtime.jobs.worker("push", (job) => processPushSend(job, stack.runtime), { concurrency: 2 });
    await worker.waitUntilReady();
  });

  afterAll(async () => {
    await worker?.close();
    if (stack) closePushSender(stack.runtime);
    await receiver?.close();
    await app?.stop("SIGINT");
    await stack?.stop();
    await standin?.close();
  });

  /** A storefront request as Shopify forwards it to /proxy/<path>. */
  async function proxy(
    path: string,
    call: { shop?: string; customerId?: string | null; body?: unknown; query?: Record<string, string>; tamper?: (q: URLSearchParams) => void } = {},
  ): Promise<Answer> {
    const signed = standin.appProxyQuery({
      shop: call.shop ?? SHOP,
      loggedInCustomerId: call.customerId === undefined ? CUSTOMER : call.customerId,
      pathPrefix: "/apps/regulars",
      extra: call.query,
    });
    call.tamper?.(signed);
    const response = await fetch(`${origin}/proxy/${path}?${signed}`, {
      method: call.body === undefined ? "GET" : "POST",
      headers: call.body === undefined ? {} : { "Content-Type": "application/json", "User-Agent": "Mozilla/5.0 (test browser)" },
      body: call.body === undefined ? undefined : JSON.stringify(call.body),
      redirect: "manual",
    });
    const type = response.headers.get("content-type") ?? "";
    const json = type.includes("json") ? ((await response.json()) as Record<string, unknown>) : { text: await response.text() };
    return { status: response.status, json, location: response.headers.get("location") };
  }

  const browserId = () => randomBytes(12).toString("base64url");

  function subscribeBody(subscription: ReceiverSubscription, options: { browser?: string; key?: string; optIn?: boolean } = {}) {
    return {
      subscription: { endpoint: subscription.endpoint, expirationTime: null, keys: subscription.keys },
      applicationServerKey: options.key ?? publicKey,
      browserId: options.browser ?? browserId(),
      ...(options.optIn ? { optIn: { consentText: PROMPT } } : {}),
    };
  }

  async function subscribed(options: { customerId?: string | null; shop?: string; key?: string } = {}): Promise<ReceiverSubscription> {
    const subscription = receiver.subscribe({ applicationServerKey: options.key ?? publicKey });
    const answer = await proxy("push/subscribe", { shop: options.shop, customerId: options.customerId ?? null, body: subscribeBody(subscription, { key: options.key }) });
    expect(answer.status, JSON.stringify(answer.json)).toBe(200);
    return subscription;
  }

  const delivery = (id: string, shop = SHOP) => stack.runtime.db.pushDelivery.findUniqueOrThrow({ where: { shop_id: { shop, id } } });
  const request = (overrides: Partial<PushRequest>): PushRequest => ({
    shop: SHOP,
    deliveryId: `d-${randomBytes(6).toString("hex")}`,
    kind: "test",
    payload: { title: "Autumn menu tasting", body: "Thursday 8–10 at the counter: come and try it.", url: "/pages/tasting" },
    scheduledFor: new Date(),
    ttlSeconds: 3600,
    ...overrides,
  });
  async function settled(id: string, shop = SHOP) {
    return waitFor(`delivery ${id} to settle`, async () => {
      const row = await delivery(id, shop);
      return row.status === "queued" || row.status === "sending" ? undefined : row;
    });
  }

  it("hands the storefront the shop's public key, created on first use", async () => {
    const answer = await proxy("push", { customerId: null });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ publicKey: expect.stringMatching(/^[A-Za-z0-9_-]{87}$/), loggedIn: false });
    publicKey = String(answer.json.publicKey);
    expect((await proxy("push")).json).toEqual({ publicKey, loggedIn: true });
    expect(await stack.runtime.db.pushKey.count({ where: { shop: SHOP } })).toBe(1);
    const stored = await stack.runtime.db.pushKey.findFirstOrThrow({ where: { shop: SHOP } });
    expect(stored.privateKeyEnc).toMatch(/^v1\./);
  });

  it("serves the service worker and the web app manifest through the proxy", async () => {
    const worker = await fetch(`${origin}/proxy/sw.js?${standin.appProxyQuery({ shop: SHOP, pathPrefix: "/apps/regulars" })}`);
    expect(worker.status).toBe(200);
    expect(worker.headers.get("content-type")).toMatch(/^text\/javascript/);
    const source = await worker.text();
    expect(source).toContain('addEventListener("push"');
    expect(source).toContain('addEventListener("notificationclick"');
    const manifest = await proxy("manifest.webmanifest", { query: { icon: "https://cdn.shopify.com/s/files/1/logo.png", theme_color: "#336699" } });
    expect(manifest.status).toBe(200);
    expect(manifest.json).toMatchObject({ name: "Demo Cafe", start_url: "/", scope: "/", display: "standalone", theme_color: "#336699", icons: [{ src: "https://cdn.shopify.com/s/files/1/logo.png" }] });
    expect((await proxy("manifest.webmanifest", { query: { icon: "https://evil.example.com/x.png" } })).json).toMatchObject({ icons: [] });
  });

  it("saves a logged-in customer's subscription once, with their opt-in, however often it is posted", async () => {
    const subscription = receiver.subscribe({ applicationServerKey: publicKey });
    const browser = browserId();
    const first = await proxy("push/subscribe", { body: subscribeBody(subscription, { browser, optIn: true }) });
    expect(first).toMatchObject({ status: 200, json: { subscribed: true, status: "active", linked: true, consentRecorded: true } });
    const again = await proxy("push/subscribe", { body: subscribeBody(subscription, { browser, optIn: true }) });
    expect(again.json).toMatchObject({ subscribed: true, consentRecorded: false });
    const rows = await stack.runtime.db.pushSubscription.findMany({ where: { shop: SHOP, customerId: CUSTOMER } });
    expect(rows).toEqual([
      expect.objectContaining({ id: subscriptionIdFor(subscription.endpoint), endpoint: subscription.endpoint, browserId: browser, keyId: "k1", status: "active", userAgent: "Mozilla/5.0 (test browser)" }),
    ]);
    const consent = await stack.runtime.db.consentEvent.findMany({ where: { shop: SHOP, customerId: CUSTOMER, kind: "push" } });
    expect(consent).toEqual([expect.objectContaining({ action: "granted", via: "storefront", text: PROMPT })]);
  });

  it("refuses forged or stale signatures, bad bodies and unsafe endpoints", async () => {
    const subscription = receiver.subscribe({ applicationServerKey: publicKey });
    const forged = await proxy("push/subscribe", { body: subscribeBody(subscription), tamper: (q) => q.set("logged_in_customer_id", "6800000000999") });
    expect(forged).toMatchObject({ status: 401, json: { error: { code: "unauthorized" } } });
    const unsigned = await proxy("push", { tamper: (q) => q.delete("signature") });
    expect(unsigned.status).toBe(401);
    expect(await stack.runtime.db.pushSubscription.count({ where: { endpoint: subscription.endpoint } })).toBe(0);

    const outside = { ...subscription, endpoint: "https://evil.example.com/push/1" };
    expect(await proxy("push/subscribe", { body: subscribeBody(outside) })).toMatchObject({
      status: 400,
      json: { error: { code: "endpoint_refused", message: expect.stringMatching(/evil\.example\.com is not a push service/) } },
    });
    const lan = { ...subscription, endpoint: "http://10.0.0.7:8080/push/1" };
    expect(await proxy("push/subscribe", { body: subscribeBody(lan) })).toMatchObject({ status: 400, json: { error: { code: "endpoint_refused" } } });
    const offCurve = { ...subscription, keys: { ...subscription.keys, p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString("base64url") } };
    expect(await proxy("push/subscribe", { body: subscribeBody(offCurve) })).toMatchObject({ status: 400, json: { error: { code: "invalid_keys" } } });
    const strangerKey = receiver.subscribe().keys.p256dh;
    expect(await proxy("push/subscribe", { body: subscribeBody(subscription, { key: strangerKey }) })).toMatchObject({ status: 409, json: { error: { code: "unknown_key" } } });
    expect(await proxy("push/subscribe", { body: { ...subscribeBody(subscription), browserId: "short" } })).toMatchObject({
      status: 400,
      json: { error: { code: "invalid_body", message: expect.stringMatching(/browserId must be 16–64/) } },
    });
    expect((await proxy("push/subscribe")).status).toBe(405);
    expect((await proxy("push/subscribe", { shop: "nowhere-cafe.myshopify.com", body: subscribeBody(subscription) })).status).toBe(404);
  });

  it("links an anonymous subscription when the same browser logs in, or orders", async () => {
    const browser = browserId();
    const subscription = receiver.subscribe({ applicationServerKey: publicKey });
    const anonymous = await proxy("push/subscribe", { customerId: null, body: subscribeBody(subscription, { browser }) });
    expect(anonymous.json).toMatchObject({ subscribed: true, linked: false, consentRecorded: false });
    // Logged in later, the script posts again with the opt-in it kept from the tap.
    const loggedIn = await proxy("push/subscribe", { customerId: "6800000000202", body: subscribeBody(subscription, { browser, optIn: true }) });
    expect(loggedIn.json).toMatchObject({ linked: true, consentRecorded: true });
    expect((await stack.runtime.db.pushSubscription.findFirstOrThrow({ where: { endpoint: subscription.endpoint } })).customerId).toBe("6800000000202");

    const orderedFrom = browserId();
    const second = receiver.subscribe({ applicationServerKey: publicKey });
    await proxy("push/subscribe", { customerId: null, body: subscribeBody(second, { browser: orderedFrom }) });
    const order = { customerId: "6800000000303", noteAttributes: [{ name: "pickup_at", value: "08:15" }, { name: PUSH_BROWSER_ATTRIBUTE, value: orderedFrom }] };
    expect(await linkSubscriptionsFromOrder(stack.runtime.db, SHOP, order, new Date())).toEqual({ linked: 1 });
    expect(await linkSubscriptionsFromOrder(stack.runtime.db, OTHER_SHOP, order, new Date())).toEqual({ linked: 0 });
    expect(await linkSubscriptionsFromOrder(stack.runtime.db, SHOP, { customerId: null, noteAttributes: order.noteAttributes }, new Date())).toEqual({ linked: 0 });
    expect((await stack.runtime.db.pushSubscription.findFirstOrThrow({ where: { endpoint: second.endpoint } })).customerId).toBe("6800000000303");
    // Linking by order records no consent: nothing was shown with the order.
    expect(await stack.runtime.db.consentEvent.count({ where: { shop: SHOP, customerId: "6800000000303" } })).toBe(0);
  });

  it("sends to the receiver, which verifies the VAPID JWT and decrypts the text", async () => {
    const subscription = await subscribed({ customerId: "6800000000404" });
    const outcome = await enqueuePush(stack.runtime, request({ customerId: "6800000000404", urgency: "high", topic: "tasting", ttlSeconds: 7200 }));
    expect(outcome).toMatchObject({ status: "queued", subscriptionId: subscriptionIdFor(subscription.endpoint) });
    const row = await settled(outcome.deliveryId);
    expect(row).toMatchObject({ status: "sent", attempts: 1, statusCode: 201, error: null, customerId: "6800000000404" });
    const push = receiver.received.find((entry) => entry.subscriptionId === subscription.id);
    expect(push).toMatchObject({ ttl: 7200, urgency: "high", topic: "tasting", publicKey, jwt: { aud: receiver.origin, sub: "mailto:push@regulars.invalid" } });
    const message = JSON.parse(push?.text ?? "{}") as Record<string, unknown>;
    expect(message).toEqual({ v: 1, title: "Autumn menu tasting", body: "Thursday 8–10 at the counter: come and try it.", click: expect.stringMatching(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/) });
    expect((await stack.runtime.db.pushSubscription.findFirstOrThrow({ where: { endpoint: subscription.endpoint } })).lastSuccessAt).not.toBeNull();

    // The same delivery id again is the same delivery: nothing more is sent.
    expect(await enqueuePush(stack.runtime, request({ deliveryId: outcome.deliveryId, customerId: "6800000000404" }))).toMatchObject({ status: "duplicate" });

    // The tap: recorded once, redirected to the destination on the storefront.
    const click = await proxy("push/click", { customerId: null, query: { t: String(message.click) } });
    expect(click).toMatchObject({ status: 302, location: "/pages/tasting" });
    const clickedAt = (await delivery(outcome.deliveryId)).clickedAt;
    expect(clickedAt).not.toBeNull();
    expect(await proxy("push/click", { customerId: null, query: { t: String(message.click) } })).toMatchObject({ status: 302, location: "/pages/tasting" });
    expect((await delivery(outcome.deliveryId)).clickedAt).toEqual(clickedAt);
  });

  it("refuses a tampered, foreign or expired click link with 400 and records nothing", async () => {
    await subscribed({ customerId: "6800000000505" });
    const { deliveryId } = await enqueuePush(stack.runtime, request({ customerId: "6800000000505" }));
    await settled(deliveryId);
    const key = clickTokenKey(stack.runtime.config.encryptionKey ?? Buffer.alloc(0));
    const valid = signClickToken(key, { shop: SHOP, deliveryId, expiresAt: Math.floor(Date.now() / 1000) + 600 });
    const tampered = `${valid.slice(0, -2)}${valid.endsWith("AA") ? "BB" : "AA"}`;
    const expired = signClickToken(key, { shop: SHOP, deliveryId, expiresAt: Math.floor(Date.now() / 1000) - 1 });
    for (const [shop, token] of [[SHOP, tampered], [OTHER_SHOP, valid], [SHOP, expired], [SHOP, ""]] as const) {
      const answer = await proxy("push/click", { shop, customerId: null, query: { t: token } });
      expect(answer.status, `${shop} ${token}`).toBe(400);
      expect(answer.location).toBeNull();
      expect(String(answer.json.text)).toContain('<a href="/">Continue to the shop</a>');
    }
    expect((await delivery(deliveryId)).clickedAt).toBeNull();
  });

  it("keeps shops apart: shop A's subscription never receives shop B's push, and B cannot unsubscribe it", async () => {
    const subscription = await subscribed({ customerId: "6800000000606" });
    const id = subscriptionIdFor(subscription.endpoint);
    const bySubscription = await enqueuePush(stack.runtime, request({ shop: OTHER_SHOP, subscriptionId: id }));
    const byCustomer = await enqueuePush(stack.runtime, request({ shop: OTHER_SHOP, customerId: "6800000000606" }));
    expect([bySubscription.status, byCustomer.status]).toEqual(["no-subscription", "no-subscription"]);
    expect(await stack.runtime.db.pushDelivery.count({ where: { shop: OTHER_SHOP } })).toBe(0);

    const foreign = await proxy("push/unsubscribe", { shop: OTHER_SHOP, customerId: "6800000000606", body: { endpoint: subscription.endpoint } });
    expect(foreign).toMatchObject({ status: 200, json: { revoked: false } });
    expect((await stack.runtime.db.pushSubscription.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id } } })).status).toBe("active");
    expect(receiver.requestsFor(subscription.id)).toBe(0);

    const own = await proxy("push/unsubscribe", { customerId: "6800000000606", body: { endpoint: subscription.endpoint } });
    expect(own).toMatchObject({ status: 200, json: { subscribed: false, revoked: true } });
    expect((await stack.runtime.db.pushSubscription.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id } } })).status).toBe("revoked");
    expect((await enqueuePush(stack.runtime, request({ subscriptionId: id }))).status).toBe("no-subscription");
  });

  it("withdraws push consent when a customer turns off their last subscribed browser", async () => {
    const subscription = receiver.subscribe({ applicationServerKey: publicKey });
    await proxy("push/subscribe", { customerId: "6800000000707", body: subscribeBody(subscription, { optIn: true }) });
    const off = await proxy("push/unsubscribe", { customerId: "6800000000707", body: { endpoint: subscription.endpoint } });
    expect(off.json).toMatchObject({ revoked: true, consentWithdrawn: true });
    const events = await stack.runtime.db.consentEvent.findMany({ where: { shop: SHOP, customerId: "6800000000707", kind: "push" }, orderBy: { at: "asc" } });
    expect(events.map((event) => event.action)).toEqual(["granted", "withdrawn"]);
  });

  it("expires the subscription on 410 and does not retry", async () => {
    const subscription = await subscribed({ customerId: "6800000000808" });
    receiver.script(subscription.id, { status: 410 });
    const { deliveryId } = await enqueuePush(stack.runtime, request({ customerId: "6800000000808" }));
    const row = await settled(deliveryId);
    expect(row).toMatchObject({ status: "expired", statusCode: 410, attempts: 1, error: expect.stringMatching(/answered 410: the subscription has expired/) });
    const stored = await stack.runtime.db.pushSubscription.findFirstOrThrow({ where: { endpoint: subscription.endpoint } });
    expect(stored).toMatchObject({ status: "expired", expiredAt: expect.any(Date) });
    // Another drain finds nothing to retry.
    await sendDuePushes(stack.runtime, SHOP);
    expect(receiver.requestsFor(subscription.id)).toBe(1);
    expect((await enqueuePush(stack.runtime, request({ customerId: "6800000000808" }))).status).toBe("no-subscription");
    // The browser posting the same dead subscription again is told to subscribe afresh.
    const repost = await proxy("push/subscribe", { customerId: "6800000000808", body: subscribeBody(subscription) });
    expect(repost.json).toMatchObject({ subscribed: false, status: "expired" });
  });

  it("stores a refusal whose text holds NUL or is cut inside a character, readably", async () => {
    const subscription = await subscribed({ customerId: "6800000000810" });
    receiver.script(subscription.id, { status: 400, text: `bad\0${"x".repeat(195)}\u{1F600} and more` });
    const { deliveryId } = await enqueuePush(stack.runtime, request({ customerId: "6800000000810" }));
    const row = await settled(deliveryId);
    expect(row).toMatchObject({ status: "failed", statusCode: 400, attempts: 1 });
    // The text is cut at 200 characters, inside the emoji: the half left is replaced, the NUL dropped.
    expect(row.error).toMatch(new RegExp(`refused the push with 400: bad${"x".repeat(195)}\uFFFD$`));
  });

  it("retries a 429 after its Retry-After, and a 500, then sends once", async () => {
    const subscription = await subscribed({ customerId: "6800000000909" });
    receiver.script(subscription.id, { status: 429, retryAfter: "1" }, { status: 503, retryAfter: "1" });
    const { deliveryId } = await enqueuePush(stack.runtime, request({ customerId: "6800000000909" }));
    const row = await settled(deliveryId);
    expect(row).toMatchObject({ status: "sent", attempts: 3, statusCode: 201, error: null });
    expect(receiver.requestsFor(subscription.id)).toBe(3);
    expect(receiver.received.filter((push) => push.subscriptionId === subscription.id)).toHaveLength(1);
  });

  it("sends each delivery once when the job runs twice at the same time", async () => {
    const subscriptions = await Promise.all(Array.from({ length: 12 }, (_, i) => subscribed({ customerId: `68000000010${String(i).padStart(2, "0")}` })));
    // Due a second from now, so the worker and the two extra runs below all find them due together.
    const at = new Date(Date.now() + 1000);
    const outcomes = await enqueuePushes(
      stack.runtime,
      subscriptions.map((subscription) => request({ subscriptionId: subscriptionIdFor(subscription.endpoint), scheduledFor: at })),
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at.getTime() - Date.now())));
    const job = { data: { shop: SHOP, purpose: "send" } } as Job;
    await Promise.all([processPushSend(job, stack.runtime), processPushSend(job, stack.runtime)]);
    for (const outcome of outcomes) expect((await settled(outcome.deliveryId)).status).toBe("sent");
    for (const subscription of subscriptions) expect(receiver.requestsFor(subscription.id)).toBe(1);
  });

  it("sends each delivery of a batch its own notification when the batch holds several", async () => {
    const subscriptions = await Promise.all(Array.from({ length: 9 }, (_, i) => subscribed({ customerId: `68000000014${String(i).padStart(2, "0")}` })));
    const titles = ["Tasting A", "Tasting B", "Tasting C"];
    // Due a second from now, so one drain claims them all in one batch.
    const at = new Date(Date.now() + 1000);
    const outcomes = await enqueuePushes(
      stack.runtime,
      subscriptions.map((subscription, i) =>
        request({ subscriptionId: subscriptionIdFor(subscription.endpoint), scheduledFor: at, payload: { title: titles[i % 3] ?? "", body: `For member ${i}`, url: "/pages/tasting" } }),
      ),
    );
    // One stored notification edited into one the drain must not send.
    const broken = outcomes[4]?.deliveryId ?? "";
    await stack.runtime.db.pushDelivery.update({ where: { shop_id: { shop: SHOP, id: broken } }, data: { payload: { title: "", body: "x", url: "/" } } });
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, at.getTime() - Date.now())));
    await processPushSend({ data: { shop: SHOP, purpose: "send" } } as Job, stack.runtime);
    for (const [i, subscription] of subscriptions.entries()) {
      const row = await settled(outcomes[i]?.deliveryId ?? "");
      if (i === 4) {
        expect(row).toMatchObject({ status: "failed", statusCode: null });
        expect(row.error).toMatch(/^the stored notification is invalid: title/);
        expect(receiver.requestsFor(subscription.id)).toBe(0);
        continue;
      }
      expect(row.status).toBe("sent");
      const push = receiver.received.find((entry) => entry.subscriptionId === subscription.id);
      expect(JSON.parse(push?.text ?? "{}")).toMatchObject({ title: titles[i % 3], body: `For member ${i}` });
    }
  });

  it("never sends a delivery left mid-send by a worker that died", async () => {
    const subscription = await subscribed({ customerId: "6800000001201" });
    const at = new Date(Date.now() + 60_000);
    const { deliveryId } = await enqueuePush(stack.runtime, request({ customerId: "6800000001201", scheduledFor: at }));
    // What a drain leaves when killed between its claim and the answer.
    await stack.runtime.db.pushDelivery.update({ where: { shop_id: { shop: SHOP, id: deliveryId } }, data: { status: "sending", attempts: 1, sentAt: new Date(Date.now() - 120_000) } });
    const result = await sendDuePushes(stack.runtime, SHOP);
    expect(result.interrupted).toBeGreaterThanOrEqual(1);
    expect(await delivery(deliveryId)).toMatchObject({ status: "failed", error: expect.stringMatching(/interrupted while sending/) });
    expect(receiver.requestsFor(subscription.id)).toBe(0);
  });

  it("keeps sending to subscriptions made with a rotated-out key, and new ones use the new key", async () => {
    const old = await subscribed({ customerId: "6800000001301" });
    const applicationKey = stack.runtime.config.encryptionKey ?? Buffer.alloc(0);
    const rotation = await rotatePushKey(stack.runtime.db, applicationKey, SHOP);
    expect(rotation.retired.map((key) => key.publicKey)).toEqual([publicKey]);
    const next = await ensureActivePushKey(stack.runtime.db, applicationKey, SHOP);
    expect(next.publicKey).not.toBe(publicKey);
    expect((await proxy("push")).json).toMatchObject({ publicKey: next.publicKey });

    const fresh = await subscribed({ customerId: "6800000001302", key: next.publicKey });
    const outcomes = await enqueuePushes(stack.runtime, [request({ customerId: "6800000001301" }), request({ customerId: "6800000001302" })]);
    for (const outcome of outcomes) expect((await settled(outcome.deliveryId)).status).toBe("sent");
    expect(receiver.received.find((push) => push.subscriptionId === old.id)?.publicKey).toBe(publicKey);
    expect(receiver.received.find((push) => push.subscriptionId === fresh.id)?.publicKey).toBe(next.publicKey);
    publicKey = next.publicKey;
  });

  it("exports and erases a customer's push data for the compliance webhooks", async () => {
    const subscription = await subscribed({ customerId: "6800000001501" });
    const { deliveryId } = await enqueuePush(stack.runtime, request({ customerId: "6800000001501" }));
    await settled(deliveryId);
    const exported = await exportPushData(stack.runtime.db, SHOP, "6800000001501");
    expect(exported).toMatchObject({ pushSubscriptions: [{ endpoint: subscription.endpoint, status: "active" }], pushDeliveries: [{ id: deliveryId, status: "sent" }] });
    await stack.runtime.db.$transaction((tx) => erasePushData(tx, SHOP, "6800000001501", "redacted-test"));
    expect(await stack.runtime.db.pushSubscription.count({ where: { shop: SHOP, customerId: "6800000001501" } })).toBe(0);
    expect((await delivery(deliveryId)).customerId).toBe("redacted-test");
    expect(await exportPushData(stack.runtime.db, SHOP, "6800000001501")).toEqual({ pushSubscriptions: [], pushDeliveries: [] });
  });

  it("asks again for the wake-up at the stored time when a call is repeated (its first run may have died before asking)", async () => {
    await subscribed({ customerId: "6800000001601" });
    // Stored with milliseconds, in the future: the wake-up is at the next whole second after it.
    const at = new Date(Math.floor(Date.now() / 1000) * 1000 + 3_600_250);
    const first = await enqueuePush(stack.runtime, request({ customerId: "6800000001601", scheduledFor: at }));
    expect(first.status).toBe("queued");
    const asked: Array<{ data: unknown; jobId: unknown }> = [];
    const recording = {
      ...stack.runtime.jobs,
      queue: () => ({
        add: async (_name: string, data: unknown, options: { jobId?: string }) => {
          asked.push({ data, jobId: options.jobId });
          return { id: "recorded" };
        },
      }),
    } as unknown as typeof stack.runtime.jobs;
    // The repeat carries a different time; what is stored wins, and nothing new is recorded.
    const repeat = await enqueuePush({ db: stack.runtime.db, jobs: recording }, request({ deliveryId: first.deliveryId, customerId: "6800000001601", scheduledFor: new Date(at.getTime() + 60_000) }));
    expect(repeat).toEqual({ deliveryId: first.deliveryId, status: "duplicate", subscriptionId: first.status === "queued" ? first.subscriptionId : "" });
    expect(asked).toEqual([{ data: { shop: SHOP, purpose: "wake" }, jobId: `push-wake-${SHOP}-${at.getTime() - 250 + 1000}` }]);
    expect((await delivery(first.deliveryId)).scheduledFor).toEqual(at);
  });

  it("waits for a push scheduled later, then sends it", async () => {
    const subscription = await subscribed({ customerId: "6800000001401" });
    const { deliveryId } = await enqueuePush(stack.runtime, request({ customerId: "6800000001401", scheduledFor: new Date(Date.now() + 1500) }));
    expect((await delivery(deliveryId)).status).toBe("queued");
    expect(receiver.requestsFor(subscription.id)).toBe(0);
    expect((await settled(deliveryId)).status).toBe("sent");
    expect(receiver.rejected).toEqual([]);
  });
  it("sent every push over the HTTP this block is about", () => {
    const used = receiver.requestsByProtocol();
    const [spoken, other] = kind.http === "2" ? [used.http2, used.http1] : [used.http1, used.http2];
    expect(other).toBe(0);
    expect(spoken).toBeGreaterThan(20);
  });
});
