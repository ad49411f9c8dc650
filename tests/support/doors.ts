import { randomUUID } from "node:crypto";
import { Session } from "@shopify/shopify-api";
import type { Database } from "../../app/db/prisma.server";
import { PrismaSessionStorage } from "../../app/db/session-storage.server";
import { appProxyQuery, buildWebhookRequest, DEFAULT_SCOPES, signHs256, type WebhookInput } from "../../standin/index.ts";

/**
 * The app's doors as Shopify and the storefront knock on them, for the
 * credential and tenant-isolation suites: session tokens (admin and POS),
 * signed app-proxy queries, signed webhooks, and a way to call a Remix
 * loader or action in-process and read its answer whatever it returned or
 * threw. Tests import the route modules after setting `DOOR_ENV`, because
 * `app/shopify.server.ts` reads the configuration once, on import.
 */

export const DOOR_API_KEY = "doors-api-key";
export const DOOR_API_SECRET = "doors-api-secret";
export const DOOR_APP_URL = "https://regulars.example";
/** The environment the route modules are imported under: not the demo, so admin requests need a real session token. */
export const DOOR_ENV = { DEMO: "0", SHOPIFY_API_KEY: DOOR_API_KEY, SHOPIFY_API_SECRET: DOOR_API_SECRET, SHOPIFY_APP_URL: DOOR_APP_URL };

export interface TokenClaims {
  shop: string;
  aud?: string;
  secret?: string;
  /** Seconds since the epoch. */
  exp?: number;
  nbf?: number;
  iat?: number;
}

/** An App Bridge / POS session token (HS256 JWT) as Shopify issues it, with every claim overridable. */
export function sessionToken(claims: TokenClaims): string {
  const now = Math.floor(Date.now() / 1000);
  return signHs256(
    {
      iss: `https://${claims.shop}/admin`,
      dest: `https://${claims.shop}`,
      aud: claims.aud ?? DOOR_API_KEY,
      sub: "42",
      exp: claims.exp ?? now + 60,
      nbf: claims.nbf ?? now - 5,
      iat: claims.iat ?? now - 5,
      jti: randomUUID(),
      sid: "session-1",
    },
    claims.secret ?? DOOR_API_SECRET,
  );
}

/** The offline session token exchange would have stored at install: admin requests of the shop load it. */
export async function storeOfflineSession(db: Database, shop: string): Promise<void> {
  const sessions = new PrismaSessionStorage(() => db);
  await sessions.storeSession(new Session({ id: `offline_${shop}`, shop, state: "installed", isOnline: false, scope: DEFAULT_SCOPES, accessToken: `token-${shop}` }));
}

type Body = Record<string, string> | FormData | { json: unknown };

/** A request with a bearer token (null: none), as App Bridge's fetch and POS's fetch send it. */
export function bearerRequest(token: string | null, path: string, body?: Body, method?: string): Request {
  const headers = new Headers({ Origin: "https://admin.shopify.com" });
  if (token !== null) headers.set("Authorization", `Bearer ${token}`);
  if (body === undefined) return new Request(`${DOOR_APP_URL}${path}`, { method: method ?? "GET", headers });
  if (body instanceof FormData) return new Request(`${DOOR_APP_URL}${path}`, { method: method ?? "POST", headers, body });
  if ("json" in body && Object.keys(body).length === 1) {
    headers.set("Content-Type", "application/json");
    return new Request(`${DOOR_APP_URL}${path}`, { method: method ?? "POST", headers, body: JSON.stringify(body.json) });
  }
  return new Request(`${DOOR_APP_URL}${path}`, { method: method ?? "POST", headers, body: new URLSearchParams(body as Record<string, string>) });
}

export interface ProxyCall {
  shop: string;
  customerId?: string | null;
  /** Seconds since the epoch Shopify signed at; default now. */
  timestamp?: number;
  secret?: string;
  query?: Record<string, string>;
  body?: unknown;
  method?: "GET" | "POST";
}

/** A storefront request as Shopify's app proxy forwards it to /proxy/<path>. */
export function proxyRequest(path: string, call: ProxyCall): Request {
  const query = appProxyQuery(
    { shop: call.shop, loggedInCustomerId: call.customerId ?? null, pathPrefix: "/apps/regulars", timestamp: call.timestamp, extra: call.query },
    call.secret ?? DOOR_API_SECRET,
  );
  const method = call.method ?? (call.body === undefined ? "GET" : "POST");
  const headers = new Headers({ "User-Agent": "Mozilla/5.0 (doors test)" });
  if (call.body !== undefined) headers.set("Content-Type", "application/json");
  return new Request(`${DOOR_APP_URL}/proxy/${path}?${query}`, { method, headers, body: call.body === undefined ? undefined : JSON.stringify(call.body) });
}

/** A webhook signed as Shopify signs it (a wrong secret or a tampered body when asked), ready to POST. */
export function webhookRequest(origin: string, input: Omit<WebhookInput, "address">, secret = DOOR_API_SECRET) {
  return buildWebhookRequest({ ...input, address: `${origin}/webhooks/${input.topic}` }, { apiSecret: secret, defaultApiVersion: "2025-10", now: new Date() });
}

export interface RouteAnswer {
  status: number;
  /** JSON as the browser would read it, text otherwise. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read field by field by the assertions
  body: any;
  location: string | null;
  headers: Headers;
}

type Handler = (args: { request: Request; params: Record<string, string>; context: Record<string, never> }) => unknown;

/** A loader's or action's answer, whether returned (Response, `json()`/`data()`, a plain value) or thrown. */
export async function callRoute(handler: Handler, request: Request, params: Record<string, string> = {}): Promise<RouteAnswer> {
  let value: unknown;
  try {
    value = await handler({ request, params, context: {} });
  } catch (thrown) {
    if (!(thrown instanceof Response)) throw thrown;
    value = thrown;
  }
  if (value instanceof Response) {
    const text = await value.text();
    const type = value.headers.get("content-type") ?? "";
    let body: unknown = text;
    if (type.includes("json") && text !== "") body = JSON.parse(text);
    return { status: value.status, body, location: value.headers.get("location"), headers: value.headers };
  }
  if (value && typeof value === "object" && "type" in value && value.type === "DataWithResponseInit" && "data" in value) {
    const init = ("init" in value ? value.init : null) as ResponseInit | null;
    return { status: init?.status ?? 200, body: value.data, location: null, headers: new Headers(init?.headers) };
  }
  return { status: 200, body: value, location: null, headers: new Headers() };
}

/**
 * Every row a shop holds, in every table with a `shop` column (found in the
 * catalogue, so a table added later is covered without editing this), plus
 * its Shop row: what a request of another shop must leave exactly as it was.
 */
export async function shopRowsSnapshot(db: Database, shop: string): Promise<Record<string, string[]>> {
  const tables = await db.$queryRaw<Array<{ table: string }>>`
    SELECT table_name AS table FROM information_schema.columns
    WHERE table_schema = current_schema() AND column_name = 'shop' ORDER BY table_name`;
  // One statement for every table: a snapshot is taken around each case.
  const union = tables.map(({ table }, i) => `SELECT ${i} AS t, row_to_json(x)::text AS row FROM "${table.replaceAll('"', '""')}" x WHERE shop = $1`).join(" UNION ALL ");
  const rows = tables.length === 0 ? [] : await db.$queryRawUnsafe<Array<{ t: number; row: string }>>(union, shop);
  const snapshot: Record<string, string[]> = Object.fromEntries(tables.map(({ table }) => [table, [] as string[]]));
  for (const { t, row } of rows) snapshot[tables[Number(t)]?.table ?? "?"]?.push(row);
  for (const list of Object.values(snapshot)) list.sort();
  const shopRow = await db.$queryRaw<Array<{ row: string }>>`SELECT row_to_json(s)::text AS row FROM "Shop" s WHERE domain = ${shop}`;
  snapshot.Shop = shopRow.map((r) => r.row);
  return snapshot;
}
