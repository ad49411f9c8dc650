import type { z } from "zod";
import type { Database } from "../db/prisma.server";
import { findInstalledShop } from "../shops/shops.server";
import { ProxyRequestError } from "./errors";
import { verifyAppProxyQuery, type VerifiedProxyQuery } from "./signature";

/**
 * Authenticates a request Shopify forwarded through the app proxy. The shop
 * (the tenant) and the customer come only from the signed query; nothing
 * unsigned — path, headers, body — may name either.
 *
 * Replays: no replay cache. See docs/decisions/0005-app-proxy-verification.md.
 */

export interface AppProxyDeps {
  db: Database;
  apiSecret: string;
  /** The clock, injectable for tests. */
  now?: () => Date;
  toleranceSeconds?: number;
}

export async function authenticateAppProxy(request: Request, deps: AppProxyDeps): Promise<VerifiedProxyQuery> {
  const now = deps.now?.() ?? new Date();
  const verified = verifyAppProxyQuery(new URL(request.url).searchParams, {
    secret: deps.apiSecret,
    nowSeconds: Math.floor(now.getTime() / 1000),
    toleranceSeconds: deps.toleranceSeconds,
  });
  if (!verified.ok) throw new ProxyRequestError(401, "unauthorized", `Not a valid app proxy request: ${verified.error.message}.`);
  if (!(await findInstalledShop(deps.db, verified.value.shop))) {
    throw new ProxyRequestError(404, "shop_not_installed", "Membership is not available in this shop yet.");
  }
  return verified.value;
}

/** The logged-in customer, or a 401 whose message asks the visitor to log in. */
export function requireLoggedInCustomer(proxy: VerifiedProxyQuery, message: string): string {
  if (proxy.loggedInCustomerId === null) throw new ProxyRequestError(401, "login_required", message);
  return proxy.loggedInCustomerId;
}

export function requireMethod(request: Request, method: "GET" | "POST"): void {
  if (request.method !== method) throw new ProxyRequestError(405, "method_not_allowed", `Use ${method} for this address.`);
}

/** Storefront bodies are a few fields; anything bigger is refused unread. */
export const MAX_PROXY_BODY_BYTES = 16 * 1024;

/** Reads a JSON body (an empty body reads as `{}`) and validates it; any problem is a 4xx with a clear message. */
export async function readJsonBody<T extends z.ZodType>(request: Request, schema: T): Promise<z.infer<T>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_PROXY_BODY_BYTES) throw tooLarge();
  const text = await request.text();
  if (Buffer.byteLength(text) > MAX_PROXY_BODY_BYTES) throw tooLarge();
  let json: unknown = {};
  if (text.trim() !== "") {
    const type = request.headers.get("content-type") ?? "";
    if (!type.includes("application/json")) {
      throw new ProxyRequestError(415, "unsupported_media_type", "Send the request body as application/json.");
    }
    try {
      json = JSON.parse(text);
    } catch {
      throw new ProxyRequestError(400, "invalid_body", "The request body is not valid JSON.");
    }
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    throw new ProxyRequestError(400, "invalid_body", `Invalid request: ${where}${issue?.message ?? "invalid body"}.`);
  }
  return parsed.data;
}

const tooLarge = () => new ProxyRequestError(413, "payload_too_large", `The request body is over ${MAX_PROXY_BODY_BYTES} bytes.`);
