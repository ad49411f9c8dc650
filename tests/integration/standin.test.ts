import "@shopify/shopify-api/adapters/node";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { ApiVersion, LogSeverity, RequestedTokenType, shopifyApi, type Session } from "@shopify/shopify-api";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import { getJwt } from "@shopify/shopify-api/test-helpers";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { createShopifyStandin, type ShopifyStandin } from "../../standin/index.ts";

/**
 * The stand-in checked against Shopify's own library: if @shopify/shopify-api
 * accepts its tokens, signatures and GraphQL answers, the app will too.
 */

const API_KEY = "standin-it-key";
const API_SECRET = "standin-it-secret";
const SHOP = "it-cafe.myshopify.com";
const UNTIL = "2025-03-31T18:00:00Z";

const shopify = shopifyApi({
  apiKey: API_KEY,
  apiSecretKey: API_SECRET,
  apiVersion: ApiVersion.October25,
  hostName: "regulars.example",
  isEmbeddedApp: true,
  logger: { level: LogSeverity.Error },
});

let standin: ShopifyStandin;
let receiver: Server;
let receiverUrl: string;
const received: { topic: string | undefined; valid: boolean; reason?: string; webhookId?: string; body: string }[] = [];

function readRaw(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

/** What the app does in tests and the demo: send https://SHOP.myshopify.com/… to the stand-in. */
function rewritingFetch(base: string): typeof fetch {
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : input.toString());
    if (url.hostname.endsWith(".myshopify.com")) {
      return fetch(`${base}/shops/${url.hostname}${url.pathname}${url.search}`, init);
    }
    return fetch(input, init);
  };
}

async function offlineSession(): Promise<Session> {
  const sessionToken = standin.mintSessionToken(SHOP);
  const { session } = await shopify.auth.tokenExchange({ shop: SHOP, sessionToken, requestedTokenType: RequestedTokenType.OfflineAccessToken });
  return session;
}

beforeAll(async () => {
  standin = await createShopifyStandin({ apiKey: API_KEY, apiSecret: API_SECRET, bulkDelayMs: 30 });
  standin.store.addShop({ domain: SHOP, ianaTimezone: "Europe/London", currencyCode: "GBP" });
  standin.store.seedCafe(SHOP, { customers: 40, days: 30, seed: "it", until: UNTIL });
  setAbstractFetchFunc(rewritingFetch(standin.url));

  receiver = createServer((request, response) => {
    void readRaw(request).then(async (rawBody) => {
      const result = await shopify.webhooks.validate({ rawBody, rawRequest: request, rawResponse: response });
      received.push({
        topic: result.valid ? result.topic : undefined,
        valid: result.valid,
        reason: result.valid ? undefined : result.reason,
        webhookId: result.valid ? result.webhookId : undefined,
        body: rawBody,
      });
      response.writeHead(result.valid ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const address = receiver.address();
  if (address === null || typeof address === "string") throw new Error("receiver not listening");
  receiverUrl = `http://127.0.0.1:${address.port}/webhooks`;
});

afterAll(async () => {
  setAbstractFetchFunc(globalThis.fetch);
  await standin.close();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const consoleError = vi.spyOn(console, "error");
afterEach(() => {
  expect(consoleError).not.toHaveBeenCalled();
});

describe("Admin GraphQL", () => {
  it("answers 401 without a valid access token", async () => {
    const url = `${standin.url}/shops/${SHOP}/admin/api/2025-10/graphql.json`;
    const body = JSON.stringify({ query: "{ shop { name } }" });
    const bare = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json" }, body });
    expect(bare.status).toBe(401);
    expect(await bare.json()).toEqual({ errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" });
    const wrong = await fetch(url, { method: "POST", headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": "shpat_nope" }, body });
    expect(wrong.status).toBe(401);
  });

  it("serves Shopify's own GraphQL client after a token exchange", async () => {
    const session = await offlineSession();
    expect(session.accessToken).toMatch(/^shpat_/);
    expect(session.isOnline).toBe(false);
    const client = new shopify.clients.Graphql({ session });
    const response = await client.request<{ shop: { name: string; ianaTimezone: string; currencyCode: string }; locations: { nodes: { name: string }[] } }>(
      `{ shop { name myshopifyDomain ianaTimezone currencyCode } locations(first: 10) { nodes { id name } } }`,
    );
    expect(response.data?.shop).toMatchObject({ name: "It Cafe", ianaTimezone: "Europe/London", currencyCode: "GBP" });
    expect(response.data?.locations.nodes.map((l) => l.name)).toEqual(["Counter", "Station Kiosk"]);
  });

  it("answers an unknown field with a GraphQL error, as Shopify does", async () => {
    const client = new shopify.clients.Graphql({ session: await offlineSession() });
    const response = await client.request(`{ orders(first: 1) { nodes { id loyaltyPoints } } }`).catch((error: unknown) => error);
    expect(String(response)).toContain("Field 'loyaltyPoints' doesn't exist on type 'Order'");
  });

  it("answers THROTTLED when asked to, and recovers", async () => {
    const session = await offlineSession();
    standin.store.throttleNext(SHOP, 1);
    const request = () =>
      fetch(`${standin.url}/shops/${SHOP}/admin/api/2025-10/graphql.json`, {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-Shopify-Access-Token": session.accessToken ?? "" },
        body: JSON.stringify({ query: "{ shop { name } }" }),
      }).then((response) => response.json());
    expect(await request()).toMatchObject({ errors: [{ extensions: { code: "THROTTLED" } }] });
    expect(await request()).toMatchObject({ data: { shop: { name: "It Cafe" } } });
  });
});

describe("bulk operations", () => {
  it("run → poll node(id) → COMPLETED → JSONL whose children follow their parent", async () => {
    const client = new shopify.clients.Graphql({ session: await offlineSession() });
    const started = await client.request<{ bulkOperationRunQuery: { bulkOperation: { id: string; status: string } | null; userErrors: { message: string }[] } }>(
      `mutation($query: String!) { bulkOperationRunQuery(query: $query) { bulkOperation { id status } userErrors { field message } } }`,
      {
        variables: {
          query: `{ orders(query: "updated_at:>='2025-03-01T00:00:00Z'") { edges { node { id name createdAt sourceName customer { id } lineItems { edges { node { id title quantity sku } } } } } } }`,
        },
      },
    );
    const operation = started.data?.bulkOperationRunQuery.bulkOperation;
    expect(started.data?.bulkOperationRunQuery.userErrors).toEqual([]);
    expect(operation?.status).toBe("CREATED");

    type Polled = { node: { status: string; objectCount: string; rootObjectCount: string; url: string | null; errorCode: string | null } };
    let polled: Polled["node"] | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      const response = await client.request<Polled>(
        `query($id: ID!) { node(id: $id) { ... on BulkOperation { status objectCount rootObjectCount url errorCode } } }`,
        { variables: { id: operation?.id } },
      );
      polled = response.data?.node;
      if (polled?.status === "COMPLETED" || polled?.status === "FAILED") break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(polled?.status).toBe("COMPLETED");
    expect(polled?.url).toMatch(/\/bulk\/\d+\.jsonl$/);

    const file = await fetch(polled?.url ?? "");
    const lines = (await file.text()).trim().split("\n").map((line) => JSON.parse(line) as { id: string; __parentId?: string; lineItems?: unknown });
    expect(lines.length).toBe(Number(polled?.objectCount));
    expect(lines.filter((line) => !line.__parentId).length).toBe(Number(polled?.rootObjectCount));
    const parentsSoFar = new Set<string>();
    for (const line of lines) {
      if (line.__parentId) {
        expect(line.id).toMatch(/^gid:\/\/shopify\/LineItem\//);
        expect(parentsSoFar.has(line.__parentId)).toBe(true);
      } else {
        expect(line.id).toMatch(/^gid:\/\/shopify\/Order\//);
        expect(line.lineItems).toBeUndefined();
        parentsSoFar.add(line.id);
      }
    }

    const current = await client.request<{ currentBulkOperation: { id: string; status: string } }>(`{ currentBulkOperation { id status } }`);
    expect(current.data?.currentBulkOperation).toEqual({ id: operation?.id, status: "COMPLETED" });
  });

  it("announces a finished operation on bulk_operations/finish when subscribed", async () => {
    standin.store.subscribeWebhook(SHOP, "bulk_operations/finish", receiverUrl);
    standin.store.failNextBulkOperation(SHOP, "INTERNAL_SERVER_ERROR");
    const client = new shopify.clients.Graphql({ session: await offlineSession() });
    await client.request(`mutation { bulkOperationRunQuery(query: "{ customers { edges { node { id email } } } }") { userErrors { message } } }`);
    for (let attempt = 0; attempt < 50 && !received.some((r) => r.topic === "BULK_OPERATIONS_FINISH"); attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const finish = received.find((r) => r.topic === "BULK_OPERATIONS_FINISH");
    expect(finish?.valid).toBe(true);
    expect(JSON.parse(finish?.body ?? "{}")).toMatchObject({ status: "failed", error_code: "internal_server_error", type: "query" });
  });
});

describe("token exchange", () => {
  it("refuses a session token signed with another secret", async () => {
    const forged = await getJwt("it-cafe", API_KEY, "not-the-app-secret");
    const response = await fetch(`${standin.url}/shops/${SHOP}/admin/oauth/access_token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        client_id: API_KEY,
        client_secret: API_SECRET,
        grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
        subject_token: forged.token,
        subject_token_type: "urn:ietf:params:oauth:token-type:id_token",
        requested_token_type: "urn:shopify:params:oauth:token-type:offline-access-token",
      }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: "invalid_subject_token" });
  });

  it("issues online tokens with the associated user", async () => {
    const sessionToken = standin.mintSessionToken(SHOP, { userId: 77 });
    const { session } = await shopify.auth.tokenExchange({ shop: SHOP, sessionToken, requestedTokenType: RequestedTokenType.OnlineAccessToken });
    expect(session.isOnline).toBe(true);
    expect(session.onlineAccessInfo?.associated_user.id).toBe(77);
  });
});

describe("webhooks", () => {
  it("are signed exactly as Shopify signs them (validated by @shopify/shopify-api)", async () => {
    const order = [...standin.store.shop(SHOP).orders.values()].find((candidate) => candidate.customerId !== null);
    if (!order) throw new Error("seed produced no customer order");
    const payload = standin.webhookPayload(SHOP, "orders/create", order.id);
    const status = await standin.sendWebhook({ shop: SHOP, topic: "orders/create", payload, address: receiverUrl, webhookId: "retry-me" });
    expect(status).toBe(200);
    const delivery = received.find((r) => r.webhookId === "retry-me");
    expect(delivery).toMatchObject({ valid: true, topic: "ORDERS_CREATE" });
    const body = JSON.parse(delivery?.body ?? "{}") as Record<string, unknown>;
    expect(body).toMatchObject({ admin_graphql_api_id: order.id, source_name: order.sourceName, name: order.name });
    expect(body.created_at).toMatch(/[+-]\d{2}:\d{2}$/);
  });

  it("fail verification when tampered with", async () => {
    const payload = standin.webhookPayload(SHOP, "app/uninstalled");
    expect(await standin.sendWebhook({ shop: SHOP, topic: "app/uninstalled", payload, address: receiverUrl, tamper: true })).toBe(401);
    expect(await standin.sendWebhook({ shop: SHOP, topic: "app/uninstalled", payload, address: receiverUrl, tamper: "signature" })).toBe(401);
    expect(received.filter((r) => !r.valid).map((r) => r.reason)).toEqual(["invalid_hmac", "invalid_hmac"]);
  });

  it("carry every header Shopify sends", () => {
    const request = standin.webhookRequest({ shop: SHOP, topic: "shop/redact", payload: standin.webhookPayload(SHOP, "shop/redact"), address: receiverUrl });
    expect(Object.keys(request.headers)).toEqual(
      expect.arrayContaining([
        "X-Shopify-Topic",
        "X-Shopify-Hmac-Sha256",
        "X-Shopify-Shop-Domain",
        "X-Shopify-API-Version",
        "X-Shopify-Webhook-Id",
        "X-Shopify-Event-Id",
        "X-Shopify-Triggered-At",
        "Content-Type",
      ]),
    );
    expect(JSON.parse(request.body)).toEqual({ shop_id: standin.store.shop(SHOP).info.id, shop_domain: SHOP });
  });
});
