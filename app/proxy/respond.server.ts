import { getRuntime, type Runtime } from "../runtime.server";
import { ProxyRequestError, proxyErrorBody } from "./errors";
import { authenticateAppProxy } from "./request.server";
import type { VerifiedProxyQuery } from "./signature";

/**
 * The frame of every app proxy route: authenticate, run the handler, and turn
 * a refusal into JSON the storefront script can show. Answers are personal
 * (they depend on the logged-in customer), so nothing may cache them.
 */

export function proxyJson(body: unknown, status = 200): Response {
  return Response.json(body, { status, headers: { "Cache-Control": "no-store, private" } });
}

/** The answer for a method the address does not take (Remix would otherwise answer with an HTML error). */
export function methodNotAllowed(allowed: "GET" | "POST"): Response {
  const error = new ProxyRequestError(405, "method_not_allowed", `Use ${allowed} for this address.`);
  return Response.json(proxyErrorBody(error), { status: 405, headers: { Allow: allowed, "Cache-Control": "no-store, private" } });
}

export type ProxyHandler = (context: { runtime: Runtime; proxy: VerifiedProxyQuery }) => Promise<Response>;

export async function handleAppProxy(request: Request, handler: ProxyHandler): Promise<Response> {
  const runtime = getRuntime();
  try {
    const proxy = await authenticateAppProxy(request, { db: runtime.db, apiSecret: runtime.config.shopify.apiSecret });
    return await handler({ runtime, proxy });
  } catch (error) {
    if (error instanceof ProxyRequestError) return proxyJson(proxyErrorBody(error), error.status);
    throw error;
  }
}
