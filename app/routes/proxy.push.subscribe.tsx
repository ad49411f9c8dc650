import type { ActionFunctionArgs } from "@remix-run/node";
import { saveSubscription } from "../push/subscriptions.server";
import { subscribeRequestSchema } from "../push/storefront";
import { readJsonBody, requireMethod } from "../proxy/request.server";
import { handleAppProxy, methodNotAllowed, proxyJson } from "../proxy/respond.server";

/**
 * POST /apps/regulars/push/subscribe (via the app proxy): saves this
 * browser's push subscription, linked to the logged-in customer if any
 * (from the signed query only), and records their opt-in when it follows
 * the prompt. Posting the same subscription again is harmless.
 */
export async function action({ request }: ActionFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    requireMethod(request, "POST");
    const body = await readJsonBody(request, subscribeRequestSchema);
    const outcome = await saveSubscription(runtime.db, runtime.config.push, {
      shop: proxy.shop,
      customerId: proxy.loggedInCustomerId,
      browserId: body.browserId,
      endpoint: body.subscription.endpoint,
      p256dh: body.subscription.keys.p256dh,
      auth: body.subscription.keys.auth,
      applicationServerKey: body.applicationServerKey,
      userAgent: request.headers.get("user-agent"),
      consentText: body.optIn?.consentText ?? null,
      at: new Date(),
    });
    if (!outcome.ok) return proxyJson({ error: outcome.error }, outcome.error.code === "unknown_key" ? 409 : 400);
    return proxyJson({
      subscribed: outcome.status === "active",
      status: outcome.status,
      linked: outcome.linked,
      consentRecorded: outcome.consentRecorded,
    });
  });
}

export const loader = () => methodNotAllowed("POST");
