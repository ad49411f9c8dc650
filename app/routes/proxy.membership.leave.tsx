import type { ActionFunctionArgs } from "@remix-run/node";
import { leaveAndSync } from "../membership/service.server";
import { STOREFRONT_MESSAGES, leaveRequestSchema } from "../membership/storefront";
import { membershipView } from "../membership/types";
import { readJsonBody, requireLoggedInCustomer, requireMethod } from "../proxy/request.server";
import { handleAppProxy, methodNotAllowed, proxyJson } from "../proxy/respond.server";

/** POST /apps/regulars/membership/leave (via the app proxy): leave, which also withdraws push consent. */
export async function action({ request }: ActionFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    requireMethod(request, "POST");
    const customerId = requireLoggedInCustomer(proxy, STOREFRONT_MESSAGES.loginToLeave);
    await readJsonBody(request, leaveRequestSchema);
    const change = await leaveAndSync(runtime, { shop: proxy.shop, customerId, via: "storefront", at: new Date() });
    return proxyJson({ loggedIn: true, changed: change.changed, membership: membershipView(change.member) });
  });
}

export const loader = () => methodNotAllowed("POST");
