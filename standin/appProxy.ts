import { createHmac } from "node:crypto";

/**
 * App proxy signatures: Shopify forwards /apps/<subpath>/… on the storefront
 * to the app with `shop`, `logged_in_customer_id`, `path_prefix`, `timestamp`
 * added and a `signature` = hex HMAC-SHA256 over the parameters sorted by key,
 * each written `key=value` (repeated keys joined by commas), concatenated with
 * no separator.
 * https://shopify.dev/docs/apps/build/online-store/app-proxies/authenticate-app-proxies
 */

export type ProxyParams = Record<string, string | readonly string[]>;

export function signAppProxyQuery(params: ProxyParams, secret: string): string {
  const message = Object.keys(params)
    .filter((key) => key !== "signature")
    .sort()
    .map((key) => {
      const value = params[key];
      return `${key}=${typeof value === "string" ? value : (value ?? []).join(",")}`;
    })
    .join("");
  return createHmac("sha256", secret).update(message).digest("hex");
}

export interface AppProxyRequestInput {
  shop: string;
  /** The storefront customer's numeric id, or null/undefined when nobody is logged in (sent empty). */
  loggedInCustomerId?: number | string | null;
  /** e.g. "/apps/regulars" */
  pathPrefix: string;
  timestamp?: number;
  /** The storefront request's own query parameters. */
  extra?: ProxyParams;
}

/** The query string Shopify would forward to the app, signature included. */
export function appProxyQuery(input: AppProxyRequestInput, secret: string): URLSearchParams {
  const params: ProxyParams = {
    ...input.extra,
    shop: input.shop,
    logged_in_customer_id: input.loggedInCustomerId === undefined || input.loggedInCustomerId === null ? "" : String(input.loggedInCustomerId),
    path_prefix: input.pathPrefix,
    timestamp: String(input.timestamp ?? Math.floor(Date.now() / 1000)),
  };
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === "string") search.append(key, value);
    else for (const item of value) search.append(key, item);
  }
  search.append("signature", signAppProxyQuery(params, secret));
  return search;
}
