import type { Session } from "@shopify/shopify-api";
import { getRuntime } from "./runtime.server";
import { authenticate, sessionStorage } from "./shopify.server";
import { DEMO_SHOP } from "./shops/demo.server";

export interface AdminContext {
  shop: string;
  session: Session;
  demo: boolean;
  /** Who is acting, for the audit log: the staff member's email or Shopify user id, else "staff". */
  actor: string;
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
    return { shop: DEMO_SHOP, session, demo: true, actor: "staff" };
  }
  const { session, sessionToken } = await authenticate.admin(request);
  const user = session.onlineAccessInfo?.associated_user;
  const actor = user?.email || (user?.id ? `user:${user.id}` : sessionToken?.sub ? `user:${sessionToken.sub}` : "staff");
  return { shop: session.shop, session, demo: false, actor };
}
