import type { ActionFunctionArgs } from "@remix-run/node";
import { revokeSubscription } from "../push/subscriptions.server";
import { unsubscribeRequestSchema } from "../push/storefront";
import { readJsonBody, requireMethod } from "../proxy/request.server";
import { handleAppProxy, methodNotAllowed, proxyJson } from "../proxy/respond.server";

/**
 * POST /apps/regulars/push/unsubscribe (via the app proxy): this browser
 * turned notifications off. Only the shop in the signed query is touched,
 * and only the subscription with this endpoint (which only its browser knows).
 */
export async function action({ request }: ActionFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    requireMethod(request, "POST");
    const body = await readJsonBody(request, unsubscribeRequestSchema);
    const outcome = await revokeSubscription(runtime.db, { shop: proxy.shop, endpoint: body.endpoint, customerId: proxy.loggedInCustomerId, at: new Date() });
    return proxyJson({ subscribed: false, revoked: outcome.revoked, consentWithdrawn: outcome.consentWithdrawn });
  });
}

export const loader = () => methodNotAllowed("POST");
