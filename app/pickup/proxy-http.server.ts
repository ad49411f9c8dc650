import type { Runtime } from "../runtime.server";
import { ProxyRequestError } from "../proxy/errors";
import { MAX_PROXY_BODY_BYTES } from "../proxy/request.server";
import type { VerifiedProxyQuery } from "../proxy/signature";
import { loadOrderAheadPage } from "./order-ahead.server";
import { orderAheadHtml, type PageContext, type PageMessage } from "./order-page";

/**
 * The HTTP side of the order-ahead page behind the app proxy: reading the
 * page's form posts and answering with the page. Answers are personal, so
 * nothing may cache them.
 */

/** Shopify's proxy prefixes; anything else (it is signed, but still) falls back to the app's own. */
const PROXY_PREFIX = /^\/(apps|a|community|tools)\/[a-z0-9-]{1,60}$/;
export const DEFAULT_PROXY_PATH = "/apps/regulars";

export function proxyPathOf(proxy: VerifiedProxyQuery): string {
  return PROXY_PREFIX.test(proxy.pathPrefix) ? proxy.pathPrefix : DEFAULT_PROXY_PATH;
}

export function wantsJson(request: Request): boolean {
  return (request.headers.get("content-type") ?? "").includes("application/json");
}

/** A form post (application/x-www-form-urlencoded), size-capped like every proxy body. */
export async function readProxyForm(request: Request): Promise<URLSearchParams> {
  const type = request.headers.get("content-type") ?? "";
  if (!type.includes("application/x-www-form-urlencoded")) {
    throw new ProxyRequestError(415, "unsupported_media_type", "Send the form as application/x-www-form-urlencoded, or JSON with Content-Type: application/json.");
  }
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_PROXY_BODY_BYTES) throw new ProxyRequestError(413, "payload_too_large", `The request body is over ${MAX_PROXY_BODY_BYTES} bytes.`);
  return new URLSearchParams(text);
}

export function html(body: string, status = 200): Response {
  return new Response(body, { status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store, private" } });
}

/** "choose a slot" → "Choose a slot." for the page. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

export async function orderAheadPage(
  runtime: Runtime,
  proxy: VerifiedProxyQuery,
  options: { locationId?: string; preferredSlot?: Date; message?: PageMessage; entered?: PageContext["entered"]; status?: number } = {},
): Promise<Response> {
  const page = await loadOrderAheadPage(runtime.db, {
    shop: proxy.shop,
    customerId: proxy.loggedInCustomerId,
    locationId: options.locationId,
    ...(options.preferredSlot ? { preferredSlot: options.preferredSlot } : {}),
  });
  return html(orderAheadHtml(page, { proxyPath: proxyPathOf(proxy), message: options.message, entered: options.entered }), options.status ?? 200);
}
