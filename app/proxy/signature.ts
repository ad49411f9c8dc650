import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * App proxy signatures. Shopify forwards `https://SHOP/apps/<subpath>/…` to the
 * app with `shop`, `logged_in_customer_id`, `path_prefix` and `timestamp` added
 * to the query, and `signature` = hex HMAC-SHA256 (app secret) over every other
 * parameter sorted by key, each written `key=value` (a repeated key's values
 * joined by commas), concatenated with no separator.
 * https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies
 *
 * The signature covers the query only: not the path below the prefix, not the
 * method, not the body. What it proves is "Shopify forwarded a storefront
 * request for this shop and this logged-in customer at this time".
 */

/** Shopify's own library allows 90 s of clock difference for signed queries; so do we. */
export const DEFAULT_TOLERANCE_SECONDS = 90;

/** Parameters that Shopify sets once; a second copy can only be an attempt to confuse the check. */
const SINGLE_VALUE_PARAMS = new Set(["shop", "signature", "timestamp", "logged_in_customer_id", "path_prefix"]);

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;
const CUSTOMER_ID = /^[1-9][0-9]{0,19}$/;

export interface VerifiedProxyQuery {
  /** The shop the request came through: signed, so it can be trusted as the tenant. */
  shop: string;
  /** The storefront's logged-in customer (numeric id as text), or null for a visitor. */
  loggedInCustomerId: string | null;
  /** e.g. "/apps/regulars" */
  pathPrefix: string;
  /** Seconds since the epoch when Shopify signed the query. */
  timestamp: number;
}

export type ProxyRejection =
  | "missing-signature"
  | "duplicate-parameter"
  | "bad-signature"
  | "bad-timestamp"
  | "stale"
  | "bad-shop"
  | "bad-customer";

export type ProxyVerification =
  | { ok: true; value: VerifiedProxyQuery }
  | { ok: false; error: { reason: ProxyRejection; message: string } };

export interface VerifyOptions {
  secret: string;
  /** The current time in seconds; injected so tests control the clock. */
  nowSeconds: number;
  toleranceSeconds?: number;
}

/** Groups repeated keys in arrival order, as Shopify does before signing. */
export function groupParams(query: URLSearchParams): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  for (const [key, value] of query) {
    const values = grouped.get(key);
    if (values) values.push(value);
    else grouped.set(key, [value]);
  }
  return grouped;
}

/** The exact string Shopify signs. Keys sort by code point, as Shopify's reference code does. */
export function signedMessage(params: Map<string, string[]>): string {
  return [...params.keys()]
    .filter((key) => key !== "signature")
    .sort()
    .map((key) => `${key}=${(params.get(key) ?? []).join(",")}`)
    .join("");
}

export function appProxySignature(params: Map<string, string[]>, secret: string): string {
  return createHmac("sha256", secret).update(signedMessage(params)).digest("hex");
}

const reject = (reason: ProxyRejection, message: string): ProxyVerification => ({ ok: false, error: { reason, message } });

/** Checks the signature first, then the clock, then the shape of what was signed. */
export function verifyAppProxyQuery(query: URLSearchParams, options: VerifyOptions): ProxyVerification {
  const params = groupParams(query);
  for (const key of SINGLE_VALUE_PARAMS) {
    if ((params.get(key)?.length ?? 0) > 1) return reject("duplicate-parameter", `query parameter "${key}" appears more than once`);
  }
  const given = params.get("signature")?.[0];
  if (!given) return reject("missing-signature", "the request is not signed by Shopify");
  const expected = Buffer.from(appProxySignature(params, options.secret), "hex");
  const received = /^[0-9a-f]{64}$/i.test(given) ? Buffer.from(given, "hex") : Buffer.alloc(0);
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
    return reject("bad-signature", "the request's signature does not match");
  }

  const timestampText = params.get("timestamp")?.[0] ?? "";
  const timestamp = /^\d{1,12}$/.test(timestampText) ? Number(timestampText) : Number.NaN;
  if (!Number.isSafeInteger(timestamp)) return reject("bad-timestamp", "the request has no valid timestamp");
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(options.nowSeconds - timestamp) > tolerance) {
    const age = options.nowSeconds - timestamp;
    const when = age > 0 ? `${age} s ago` : `${-age} s in the future`;
    return reject("stale", `the request was signed ${when}, outside the ±${tolerance} s window`);
  }

  const shop = params.get("shop")?.[0] ?? "";
  if (!SHOP_DOMAIN.test(shop)) return reject("bad-shop", "the request names no *.myshopify.com shop");
  const customer = params.get("logged_in_customer_id")?.[0] ?? "";
  if (customer !== "" && !CUSTOMER_ID.test(customer)) return reject("bad-customer", "logged_in_customer_id is not a customer id");
  return {
    ok: true,
    value: {
      shop,
      loggedInCustomerId: customer === "" ? null : customer,
      pathPrefix: params.get("path_prefix")?.[0] ?? "",
      timestamp,
    },
  };
}
