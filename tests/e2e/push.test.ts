import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page, Worker } from "playwright-core";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../app/db/embedded.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { enqueuePush } from "../../app/push/enqueue.server";
import { createJobBackend, type JobBackend } from "../../jobs/backend.server";
import { createShopifyStandin, type ShopifyStandin } from "../../standin/index.ts";
import { spawnApp, waitFor, type AppProcess } from "../support/app-process";
import { launchChromium } from "../support/browser";
import { watchPageProblems } from "../support/demo-browser";
import { startPushReceiver, type PushReceiver, type ReceiverSubscription } from "../support/push-receiver";

/**
 * The push prompt (app embed) and the service worker in Chromium, against the
 * running demo app. A small "storefront" server plays Shopify's part: it
 * serves the page the embed's Liquid renders and forwards /apps/regulars/* to
 * the app with a signed app-proxy query, as Shopify does, so the service
 * worker really is registered from the proxy path. Headless Chromium cannot
 * reach a push service, so `pushManager.subscribe` answers with a
 * subscription at the local receiver (which the app then really sends to),
 * and the received push is handed to the service worker through the DevTools
 * protocol (ServiceWorker.deliverPushMessage).
 */

const SHOP = "demo-cafe.myshopify.com";
const CUSTOMER = "6800000000777";
const EXTENSION = new URL("../../extensions/regulars-storefront/", import.meta.url);
const MESSAGES = JSON.parse(readFileSync(new URL("locales/en.default.json", EXTENSION), "utf8")).push;
const HEADING = "Hear about tastings first?";
const MESSAGE = "We'll send a notification now and then: new drinks, tastings and offers that suit when you usually visit. You can turn them off at any time.";

/** What blocks/push-prompt.liquid renders with its default settings (delay shortened), for a logged-in customer on the home page. */
function pageHtml(path: string): string {
  const attr = (value: string) => value.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Demo Cafe</title></head><body><main><h1>Demo Cafe ${path}</h1></main>
<div class="regulars-push" id="regulars-push-b1" data-regulars-push data-proxy-path="/apps/regulars" data-cart-update-url="/cart/update"
  data-logged-in="true" data-prompt="true" data-delay-seconds="1" data-ask-again-days="30" data-ios-hint="true" data-icon="" data-theme-color="#ffffff"
  data-consent-text="${attr(`${HEADING} ${MESSAGE}`)}" data-message-done="${attr(MESSAGES.done)}" data-message-denied="${attr(MESSAGES.denied)}"
  data-message-error="${attr(MESSAGES.error)}" data-message-off="${attr(MESSAGES.off)}">
  <div class="regulars-push__card" data-panel="prompt" role="dialog" aria-modal="false" aria-labelledby="regulars-push-heading-b1" aria-describedby="regulars-push-message-b1" hidden>
    <p id="regulars-push-heading-b1">${HEADING}</p>
    <p id="regulars-push-message-b1">${MESSAGE}</p>
    <div><button type="button" data-action="accept">Turn on notifications</button><button type="button" data-action="dismiss">Not now</button></div>
  </div>
  <div class="regulars-push__card" data-panel="ios" role="dialog" aria-modal="false" aria-labelledby="regulars-push-ios-b1" hidden>
    <p id="regulars-push-ios-b1">To get our notifications on iPhone or iPad: tap Share, then Add to Home Screen, and open the shop from your Home Screen.</p>
    <div><button type="button" data-action="dismiss">${MESSAGES.close}</button></div>
  </div>
  <p role="status" aria-live="polite" data-status></p>
</div><script src="/assets/push.js" defer></script></body></html>`;
}

function readRaw(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** Stands in for the browser's push service: permission granted on the tap, subscription at the local receiver. */
function browserStubs(subscription: ReceiverSubscription): string {
  return `(() => {
    const endpoint = ${JSON.stringify(subscription.endpoint)};
    const keys = ${JSON.stringify(subscription.keys)};
    let current = null;
    Notification.requestPermission = () => window.regularsGrantNotifications();
    PushManager.prototype.subscribe = function (options) {
      const key = options.applicationServerKey;
      const copy = new Uint8Array(key).buffer;
      current = {
        endpoint,
        expirationTime: null,
        options: { userVisibleOnly: true, applicationServerKey: copy },
        toJSON: () => ({ endpoint, expirationTime: null, keys }),
        getKey: () => null,
        unsubscribe: () => { current = null; return Promise.resolve(true); },
      };
      return Promise.resolve(current);
    };
    PushManager.prototype.getSubscription = function () { return Promise.resolve(current); };
  })();`;
}

describe("the push prompt and service worker in Chromium", () => {
  let standin: ShopifyStandin;
  let database: EmbeddedDatabase;
  let db: Database;
  let jobs: JobBackend;
  let app: AppProcess;
  let receiver: PushReceiver;
  let storefront: Server;
  let storefrontUrl: string;
  let chromium: Awaited<ReturnType<typeof launchChromium>>;
  let context: BrowserContext;

  beforeAll(async () => {
    standin = await createShopifyStandin({ apiKey: "regulars-demo-api-key", apiSecret: "regulars-demo-api-secret" });
    database = await startEmbeddedDatabase({ dataDir: "memory://" });
    await applyMigrations(database.url);
    db = createPrismaClient(database.url);
    jobs = createJobBackend({ kind: "postgres" }, database.url);
    receiver = await startPushReceiver();
    app = spawnApp({ DEMO: "1", DATABASE_URL: database.url, PUSH_ALLOW_LOCAL_RECEIVERS: "1", WORKER_CONCURRENCY: "2" });
    const origin = await app.ready;

    storefront = createServer((request, response) => {
      void (async () => {
        const url = new URL(request.url ?? "/", "http://storefront");
        if (url.pathname === "/assets/push.js") {
          response.writeHead(200, { "Content-Type": "text/javascript" }).end(readFileSync(new URL("assets/push.js", EXTENSION)));
        } else if (url.pathname.startsWith("/apps/regulars/")) {
          const extra = Object.fromEntries(url.searchParams);
          const query = standin.appProxyQuery({ shop: SHOP, loggedInCustomerId: CUSTOMER, pathPrefix: "/apps/regulars", extra });
          const body = request.method === "GET" ? undefined : await readRaw(request);
          const answer = await fetch(`${origin}/proxy/${url.pathname.slice("/apps/regulars/".length)}?${query}`, {
            method: request.method,
            headers: request.headers["content-type"] ? { "Content-Type": request.headers["content-type"] } : {},
            body,
            redirect: "manual",
          });
          const headers: Record<string, string> = { "Content-Type": answer.headers.get("content-type") ?? "application/json" };
          const location = answer.headers.get("location");
          if (location) headers.Location = location;
          response.writeHead(answer.status, headers);
          response.end(Buffer.from(await answer.arrayBuffer()));
        } else if (url.pathname === "/cart/update.js") {
          await readRaw(request);
          response.writeHead(200, { "Content-Type": "application/json" }).end("{}");
        } else {
          response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(pageHtml(url.pathname));
        }
      })().catch((error: unknown) => response.writeHead(502).end(String(error)));
    });
    await new Promise<void>((resolve) => storefront.listen(0, "127.0.0.1", resolve));
    const address = storefront.address();
    if (address === null || typeof address === "string") throw new Error("storefront not listening");
    storefrontUrl = `http://127.0.0.1:${address.port}`;
    chromium = await launchChromium();
    context = await chromium.browser.newContext();
  });

  afterAll(async () => {
    await context?.close();
    await chromium?.close();
    await new Promise<void>((resolve) => (storefront ? storefront.close(() => resolve()) : resolve()));
    await receiver?.close();
    await app?.stop("SIGINT");
    await jobs?.close();
    await db?.$disconnect();
    await database?.stop();
    await standin?.close();
  });

  it("renders the same hooks as the Liquid app embed", () => {
    const liquid = readFileSync(new URL("blocks/push-prompt.liquid", EXTENSION), "utf8");
    for (const hook of ["data-regulars-push", 'data-panel="prompt"', 'data-panel="ios"', 'data-action="accept"', 'data-action="dismiss"', "data-status", "data-proxy-path", "data-logged-in", "data-prompt", "data-delay-seconds", "data-consent-text", 'role="dialog"', 'role="status"']) {
      expect(liquid).toContain(hook);
      expect(pageHtml("/")).toContain(hook);
    }
    expect(liquid).toContain(`"default": "${HEADING}"`);
    expect(liquid).toContain(`"default": "${MESSAGE}"`);
    expect(liquid).toContain('"target": "body"');
  });

  it("asks after a tap, registers the worker from the proxy path, shows a delivered push and records its click", async () => {
    // The shop's key, as the prompt will get it; the browser's subscription is made with it.
    const settings = (await (await fetch(`${storefrontUrl}/apps/regulars/push`)).json()) as { publicKey: string };
    const subscription = receiver.subscribe({ applicationServerKey: settings.publicKey });
    await context.exposeBinding("regularsGrantNotifications", async () => {
      await context.grantPermissions(["notifications"], { origin: storefrontUrl });
      return "granted";
    });
    await context.addInitScript({ content: browserStubs(subscription) });
    const page = await context.newPage();
    const problems = watchPageProblems(page);
    await page.goto(`${storefrontUrl}/`, { waitUntil: "networkidle" });

    // The soft prompt comes first; nothing has been asked of the browser yet.
    const prompt = page.getByRole("dialog", { name: HEADING });
    await prompt.waitFor();
    expect(await page.evaluate(() => Notification.permission)).toBe("default");
    await prompt.getByRole("button", { name: "Turn on notifications" }).click();
    await page.getByRole("status").filter({ hasText: MESSAGES.done }).waitFor();
    expect(await prompt.isVisible()).toBe(false);

    const registration = await page.evaluate(async () => {
      const found = await navigator.serviceWorker.getRegistration("/apps/regulars/");
      return found ? { scope: found.scope, script: found.active?.scriptURL ?? null } : null;
    });
    expect(registration).toEqual({ scope: `${storefrontUrl}/apps/regulars/`, script: `${storefrontUrl}/apps/regulars/sw.js` });
    const saved = await waitFor("the saved subscription", async () => (await db.pushSubscription.findFirst({ where: { shop: SHOP, endpoint: subscription.endpoint } })) ?? undefined);
    expect(saved).toMatchObject({ customerId: CUSTOMER, status: "active", keyId: "k1" });
    expect(await db.consentEvent.findMany({ where: { shop: SHOP, customerId: CUSTOMER } })).toEqual([
      expect.objectContaining({ kind: "push", action: "granted", via: "storefront", text: `${HEADING} ${MESSAGE}` }),
    ]);

    // The app sends a push; the receiver decrypts it; DevTools hands it to the service worker.
    const { deliveryId } = await enqueuePush(
      { db, jobs },
      { shop: SHOP, deliveryId: "e2e-tasting", customerId: CUSTOMER, kind: "test", payload: { title: "Autumn menu tasting", body: "Thursday 8–10 at the counter.", url: "/pages/tasting", tag: "e2e-tasting" }, scheduledFor: new Date(), ttlSeconds: 3600 },
    );
    const [push] = await receiver.waitFor(1, 60_000);
    expect(push?.subscriptionId).toBe(subscription.id);
    const cdp = await context.newCDPSession(page);
    const registrations: Array<{ registrationId: string; scopeURL: string }> = [];
    const versions: Array<{ registrationId: string; status: string }> = [];
    cdp.on("ServiceWorker.workerRegistrationUpdated", (event) => registrations.push(...event.registrations));
    cdp.on("ServiceWorker.workerVersionUpdated", (event) => versions.push(...event.versions));
    await cdp.send("ServiceWorker.enable");
    const registrationId = await waitFor("the worker's registration id", async () => registrations.find((entry) => entry.scopeURL === `${storefrontUrl}/apps/regulars/`)?.registrationId);
    // A push handed to a registration whose worker is not yet activated can be dropped: wait for it.
    await waitFor("the activated worker", async () => versions.find((version) => version.registrationId === registrationId && version.status === "activated"));
    const shownNotifications = () =>
      page.evaluate(async () => {
        const found = await navigator.serviceWorker.getRegistration("/apps/regulars/");
        const list = found ? await found.getNotifications() : [];
        return list.map((notification) => ({ title: notification.title, body: notification.body, url: (notification.data as { url?: string } | null)?.url ?? null }));
      });
    // DevTools delivery is fire-and-forget; on a loaded machine the worker's start can swallow one, so it is
    // handed over again (the push's tag makes a late first copy replace, not add, a notification).
    let notifications: Awaited<ReturnType<typeof shownNotifications>> | undefined;
    for (let attempt = 1; attempt <= 3 && notifications === undefined; attempt += 1) {
      await cdp.send("ServiceWorker.deliverPushMessage", { origin: storefrontUrl, registrationId, data: push?.text ?? "" });
      notifications = await waitFor("the notification", async () => {
        const shown = await shownNotifications();
        return shown.length > 0 ? shown : undefined;
      }, 20_000).catch(() => undefined);
    }
    if (notifications === undefined) throw new Error("no notification after three deliveries of the push");
    expect(notifications).toEqual([{ title: "Autumn menu tasting", body: "Thursday 8–10 at the counter.", url: expect.stringMatching(new RegExp(`^${storefrontUrl}/apps/regulars/push/click\\?t=`)) }]);

    // A tap runs the worker's notificationclick: it closes the notification and opens the tracked link.
    const worker = await waitFor("the service worker", async () => context.serviceWorkers().find((candidate: Worker) => candidate.url().endsWith("/apps/regulars/sw.js")));
    const opened = await worker.evaluate(async () => {
      const scope = self as unknown as { registration: { getNotifications(): Promise<Notification[]> }; clients: { openWindow(url: string): Promise<unknown> } };
      let target: string | null = null;
      scope.clients.openWindow = (url: string) => {
        target = url;
        return Promise.resolve(null);
      };
      const [notification] = await scope.registration.getNotifications();
      if (!notification) return null;
      const event = new (self as unknown as { NotificationEvent: new (type: string, init: { notification: Notification }) => Event }).NotificationEvent("notificationclick", { notification });
      self.dispatchEvent(event);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return target;
    });
    expect(opened).toBe(notifications[0]?.url);
    await page.goto(opened ?? "", { waitUntil: "load" });
    expect(page.url()).toBe(`${storefrontUrl}/pages/tasting`);
    const clicked = await db.pushDelivery.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: deliveryId } } });
    expect(clicked).toMatchObject({ status: "sent", clickedAt: expect.any(Date) });
    expect(await page.evaluate(async () => (await (await navigator.serviceWorker.getRegistration("/apps/regulars/"))?.getNotifications())?.length)).toBe(0);
    expect(problems).toEqual([]);
    await page.close();
  }, 240_000);

  it("does not prompt again once the customer has said no", async () => {
    const fresh = await chromium.browser.newContext();
    const page: Page = await fresh.newPage();
    await page.goto(`${storefrontUrl}/`, { waitUntil: "networkidle" });
    const prompt = page.getByRole("dialog", { name: HEADING });
    await prompt.waitFor();
    await prompt.getByRole("button", { name: "Not now" }).click();
    expect(await prompt.isVisible()).toBe(false);
    await page.reload({ waitUntil: "networkidle" });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await prompt.isVisible()).toBe(false);
    expect(await page.evaluate(() => Notification.permission)).toBe("default");
    await fresh.close();
  });
});
