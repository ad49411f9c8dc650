import type { Session } from "@shopify/shopify-api";
import { getRuntime } from "./runtime.server";
import { authenticate, sessionStorage } from "./shopify.server";
import { DEMO_SHOP } from "./shops/demo.server";

export interface AdminContext {
  shop: string;
  session: Session;
  demo: boolean;
}

/**
 * Authenticates an embedded-admin request. In the demo there is no Shopify to
 * issue session tokens, so the demo shop's offline session stands in; the demo
 * cannot run in production (config refuses it).
 */
export async function requireAdmin(request: Request): Promise<AdminContext> {
  if (getRuntime().config.demo) {
    const session = await sessionStorage?.loadSession(`offline_${DEMO_SHOP}`);
    if (!session) throw new Response("Demo shop is not set up", { status: 503 });
    return { shop: DEMO_SHOP, session, demo: true };
  }
  const { session } = await authenticate.admin(request);
  return { shop: session.shop, session, demo: false };
}
