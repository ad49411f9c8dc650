import type { ActionFunctionArgs } from "@remix-run/node";
import { placeHold } from "../pickup/holds.server";
import { holdFailureStatus, holdRequestFromForm, holdRequestFromJson, holdRequestJson } from "../pickup/proxy-input";
import { orderAheadPage, readProxyForm, sentence, wantsJson } from "../pickup/proxy-http.server";
import { runtimeStorefrontDeps, startPickupCheckout, StorefrontApiError } from "../pickup/storefront.server";
import { readJsonBody, requireMethod } from "../proxy/request.server";
import { handleAppProxy, methodNotAllowed, proxyJson } from "../proxy/respond.server";
import { shopLog } from "../lib/log.server";

/**
 * POST /apps/regulars/pickup/hold (via the app proxy): holds the slot for the
 * chosen items, makes the Storefront cart with the pickup attributes and
 * sends the member to Shopify's checkout (303 for the page's form; JSON with
 * the checkout URL for a script). Refused input gets a message naming what
 * is wrong and stores nothing.
 */
export async function action({ request }: ActionFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    requireMethod(request, "POST");
    const json = wantsJson(request);
    const input = json ? holdRequestFromJson(await readJsonBody(request, holdRequestJson)) : holdRequestFromForm(await readProxyForm(request));
    const refuse = (status: number, code: string, field: string | null, message: string) =>
      json
        ? proxyJson({ error: { code, field, message: sentence(message) } }, status)
        : orderAheadPage(runtime, proxy, { locationId: input.locationId, message: { kind: "error", text: sentence(message) }, entered: input.entered, status });

    const placed = await placeHold(runtime.db, {
      shop: proxy.shop,
      locationId: input.locationId,
      slotStart: input.slotStart,
      customerId: proxy.loggedInCustomerId,
      items: input.items,
    });
    if (!placed.ok) return refuse(holdFailureStatus(placed.code), placed.code, placed.field, placed.message);

    let checkout;
    try {
      checkout = await startPickupCheckout({ ...runtimeStorefrontDeps(runtime), db: runtime.db }, placed.hold);
    } catch (error) {
      if (!(error instanceof StorefrontApiError)) throw error;
      shopLog(proxy.shop).error({ err: error }, "order-ahead checkout failed");
      return refuse(502, "checkout-unavailable", null, "the shop could not start the checkout just now; please try again in a moment");
    }
    if (!checkout.ok) return refuse(checkout.status, checkout.code, null, checkout.message);
    if (json) return proxyJson({ holdId: checkout.hold.id, expiresAt: checkout.hold.expiresAt.toISOString(), checkoutUrl: checkout.checkoutUrl });
    return new Response(null, { status: 303, headers: { Location: checkout.checkoutUrl, "Cache-Control": "no-store, private" } });
  });
}

export const loader = () => methodNotAllowed("POST");
