import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { appProxyQuery, type AppProxyRequestInput } from "./appProxy.ts";
import { BulkRunner } from "./bulk.ts";
import { API_VERSION_PATTERN, handleGraphQL } from "./graphql/handler.ts";
import { readBody, sendReply, type HttpReply } from "./http.ts";
import { mintSessionToken } from "./jwt.ts";
import { CHECKOUT_PATH, checkoutPageHtml, checkoutPath, notFoundHtml, sendHtml } from "./checkout.ts";
import { handleStorefrontGraphQL } from "./graphql/storefront.ts";
import type { Order } from "./types.ts";
import { handleTokenExchange } from "./oauth.ts";
import { StandinStore } from "./store.ts";
import type { BulkOperation } from "./types.ts";
import { bulkOperationFinishPayload, type JsonObject } from "./webhooks/payloads.ts";
import { buildWebhookRequest, deliverWebhook, type WebhookInput, type WebhookRequest } from "./webhooks/send.ts";
import { webhookPayload, type WebhookTopic } from "./webhooks/topics.ts";

/**
 * The Shopify stand-in: a loopback HTTP server that answers the Admin API
 * calls Regulars makes, serves bulk-operation files, exchanges session tokens
 * for access tokens and sends signed webhooks. Requests the app addresses to
 * https://SHOP.myshopify.com/… arrive here as /shops/SHOP.myshopify.com/….
 */

export interface StandinOptions {
  apiKey: string;
  apiSecret: string;
  /** Base URL of the app, against which relative webhook addresses resolve. */
  appUrl?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Bring a store (e.g. pre-seeded); otherwise an empty one is made. */
  store?: StandinStore;
  /** Scopes granted to tokens from token exchange. */
  scopes?: string;
  /** How long a bulk operation runs before it completes. */
  bulkDelayMs?: number;
  /** X-Shopify-API-Version of webhooks when the call names none. */
  webhookApiVersion?: string;
}

export interface WebhookDelivery {
  request: WebhookRequest;
  status: number | null;
  error: string | null;
}

export interface SessionTokenOptions {
  userId?: number;
  expiresInSeconds?: number;
}

export interface ShopifyStandin {
  /** e.g. http://127.0.0.1:41234 */
  url: string;
  store: StandinStore;
  /** POSTs a signed webhook; resolves to the HTTP status the app answered with. */
  sendWebhook(input: WebhookInput): Promise<number>;
  /** The request sendWebhook would make, for tests that inspect or replay it. */
  webhookRequest(input: WebhookInput): WebhookRequest;
  /** The payload Shopify would send for a topic about a resource in the store. */
  webhookPayload(shop: string, topic: WebhookTopic, resourceId?: string): JsonObject;
  /** An App Bridge session token for the shop, signed with the API secret. */
  mintSessionToken(shop: string, options?: SessionTokenOptions): string;
  /** A signed app-proxy query string, as Shopify forwards storefront requests. */
  appProxyQuery(input: AppProxyRequestInput): URLSearchParams;
  /** Every webhook this stand-in has sent, oldest first. */
  deliveries: WebhookDelivery[];
  /**
   * Pays a Storefront cart's checkout (what the checkout page's "Pay now"
   * does): the order, and the statuses of the orders/create and orders/paid
   * webhooks sent to the shop's subscribed addresses (none when unsubscribed).
   */
  payCheckout(shop: string, cartToken: string): Promise<{ order: Order; created: boolean; webhooks: Array<{ topic: string; status: number | null }> }>;
  close(): Promise<void>;
}

export const DEFAULT_SCOPES =
  "read_orders,read_all_orders,read_customers,write_customers,read_locations,read_products,write_discounts,unauthenticated_read_product_listings,unauthenticated_write_checkouts";
export const DEFAULT_WEBHOOK_API_VERSION = "2025-10";

const GRAPHQL_PATH = /^\/shops\/([a-z0-9][a-z0-9-]*\.myshopify\.com)\/admin\/api\/([^/]+)\/graphql\.json$/;
const TOKEN_PATH = /^\/shops\/([a-z0-9][a-z0-9-]*\.myshopify\.com)\/admin\/oauth\/access_token$/;
const BULK_PATH = /^\/bulk\/(\d+)\.jsonl$/;
const STOREFRONT_PATH = /^\/shops\/([a-z0-9][a-z0-9-]*\.myshopify\.com)\/api\/([^/]+)\/graphql\.json$/;

const notFound: HttpReply = { status: 404, body: { errors: "Not Found" } };

export async function createShopifyStandin(options: StandinOptions): Promise<ShopifyStandin> {
  const store = options.store ?? new StandinStore();
  const scopes = options.scopes ?? DEFAULT_SCOPES;
  const deliveries: WebhookDelivery[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let baseUrl = "";

  const webhookRequest = (input: WebhookInput) =>
    buildWebhookRequest(input, {
      apiSecret: options.apiSecret,
      appUrl: options.appUrl,
      defaultApiVersion: options.webhookApiVersion ?? DEFAULT_WEBHOOK_API_VERSION,
      now: store.now(),
    });

  const sendWebhook = async (input: WebhookInput): Promise<number> => {
    const request = webhookRequest(input);
    const delivery: WebhookDelivery = { request, status: null, error: null };
    deliveries.push(delivery);
    const pending = deliverWebhook(request);
    inFlight.add(pending);
    try {
      const response = await pending;
      delivery.status = response.status;
      return response.status;
    } catch (error) {
      delivery.error = error instanceof Error ? error.message : String(error);
      throw error;
    } finally {
      inFlight.delete(pending);
    }
  };

  // Shopify announces finished bulk operations to shops subscribed to bulk_operations/finish.
  const announceBulkFinish = (shop: { info: { myshopifyDomain: string }; webhookSubscriptions: Map<string, string> }, operation: BulkOperation) => {
    const address = shop.webhookSubscriptions.get("bulk_operations/finish");
    if (!address) return;
    const domain = shop.info.myshopifyDomain;
    sendWebhook({
      shop: domain,
      topic: "bulk_operations/finish",
      address,
      payload: bulkOperationFinishPayload(store.shop(domain), operation),
    }).catch(() => {
      // recorded in `deliveries`; a failed delivery must not crash the stand-in
    });
  };

  // Shopify sends these once the payment is captured; a failed delivery is kept in `deliveries`.
  const payCheckout: ShopifyStandin["payCheckout"] = async (shop, cartToken) => {
    const { order, created } = store.completeCheckout(shop, cartToken);
    const webhooks: Array<{ topic: string; status: number | null }> = [];
    if (!created) return { order, created, webhooks };
    for (const topic of ["orders/create", "orders/paid"] as const) {
      const address = store.shop(shop).webhookSubscriptions.get(topic);
      if (!address) continue;
      const status = await sendWebhook({ shop, topic, address, payload: webhookPayload(store, shop, topic, order.id) }).catch(() => null);
      webhooks.push({ topic, status });
    }
    return { order, created, webhooks };
  };

  const bulk = new BulkRunner({
    store,
    baseUrl: () => baseUrl,
    delayMs: options.bulkDelayMs ?? 100,
    onFinish: announceBulkFinish,
  });

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = new URL(request.url ?? "/", "http://standin").pathname;
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };

    const graphql = GRAPHQL_PATH.exec(path);
    if (graphql) {
      const [, shop = "", version = ""] = graphql;
      if (request.method !== "POST" || !API_VERSION_PATTERN.test(version)) return sendReply(response, notFound);
      const reply = handleGraphQL(
        { store, bulk },
        { shop, accessToken: header("x-shopify-access-token"), contentType: header("content-type") ?? "", body: await readBody(request) },
      );
      return sendReply(response, { ...reply, headers: { "X-Shopify-API-Version": version, "X-Request-Id": randomUUID() } });
    }

    const storefront = STOREFRONT_PATH.exec(path);
    if (storefront) {
      const [, shop = "", version = ""] = storefront;
      if (request.method !== "POST" || !API_VERSION_PATTERN.test(version)) return sendReply(response, notFound);
      const reply = handleStorefrontGraphQL(
        store,
        { shop, accessToken: header("x-shopify-storefront-access-token"), body: await readBody(request) },
        (cartShop, cart) => `${baseUrl}${checkoutPath(cartShop, cart)}`,
      );
      return sendReply(response, reply);
    }

    const checkout = CHECKOUT_PATH.exec(path);
    if (checkout) {
      const [, shop = "", cartToken = "", pay] = checkout;
      const state = store.findShop(shop);
      const cart = state?.carts.get(cartToken);
      const key = new URL(request.url ?? "/", "http://standin").searchParams.get("key");
      if (!state || !cart || key !== cart.key) return sendHtml(response, 404, notFoundHtml());
      if (pay) {
        if (request.method !== "POST") return sendHtml(response, 405, notFoundHtml());
        await readBody(request);
        await payCheckout(shop, cartToken);
        response.writeHead(303, { Location: checkoutPath(shop, cart) }).end();
        return;
      }
      const paid = store.cart(shop, cartToken)?.orderId;
      return sendHtml(response, 200, checkoutPageHtml(state, cart, paid ? store.order(shop, paid) : null));
    }

    const token = TOKEN_PATH.exec(path);
    if (token && request.method === "POST") {
      const reply = handleTokenExchange(
        { store, apiKey: options.apiKey, apiSecret: options.apiSecret, scopes },
        token[1] ?? "",
        await readBody(request),
        header("content-type") ?? "",
      );
      return sendReply(response, reply);
    }

    const file = BULK_PATH.exec(path);
    if (file && request.method === "GET") {
      const lines = bulk.file(Number(file[1]));
      if (!lines) return sendReply(response, notFound);
      response.writeHead(200, { "Content-Type": "application/jsonl" });
      // Streamed line by line, so a large export never sits in memory twice.
      Readable.from((function* () {
        for (const line of lines) yield `${line}\n`;
      })()).pipe(response);
      return;
    }

    if (path === "/health") return sendReply(response, { status: 200, body: { ok: true } });
    return sendReply(response, notFound);
  };

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      console.error("shopify stand-in: request failed", error);
      if (!response.headersSent) sendReply(response, { status: 500, body: { errors: "Internal Server Error" } });
      else response.destroy();
    });
  });

  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the stand-in is not listening on a TCP port");
  baseUrl = `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`;

  return {
    url: baseUrl,
    store,
    sendWebhook,
    webhookRequest,
    webhookPayload: (shop, topic, resourceId) => webhookPayload(store, shop, topic, resourceId),
    mintSessionToken: (shop, tokenOptions = {}) =>
      mintSessionToken({ apiKey: options.apiKey, apiSecret: options.apiSecret, shop, now: store.now(), ...tokenOptions }),
    appProxyQuery: (input) => appProxyQuery(input, options.apiSecret),
    deliveries,
    payCheckout,
    close: async () => {
      bulk.close();
      await Promise.allSettled([...inFlight]);
      await new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}
