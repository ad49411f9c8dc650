import type { ActionFunctionArgs } from "@remix-run/node";
import { joinAndSync } from "../membership/service.server";
import { STOREFRONT_MESSAGES, joinRequestSchema } from "../membership/storefront";
import { membershipView } from "../membership/types";
import { readJsonBody, requireLoggedInCustomer, requireMethod } from "../proxy/request.server";
import { handleAppProxy, methodNotAllowed, proxyJson } from "../proxy/respond.server";

/** POST /apps/regulars/membership/join (via the app proxy): join with the consent the block showed. */
export async function action({ request }: ActionFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    requireMethod(request, "POST");
    const customerId = requireLoggedInCustomer(proxy, STOREFRONT_MESSAGES.loginToJoin);
    const body = await readJsonBody(request, joinRequestSchema);
    const change = await joinAndSync(runtime, {
      shop: proxy.shop,
      customerId,
      via: "storefront",
      consentText: body.consentText,
      at: new Date(),
    });
    return proxyJson({ loggedIn: true, changed: change.changed, membership: membershipView(change.member) });
  });
}

export const loader = () => methodNotAllowed("POST");
