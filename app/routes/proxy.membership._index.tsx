import type { LoaderFunctionArgs } from "@remix-run/node";
import { findMember } from "../membership/membership.server";
import { membershipView } from "../membership/types";
import { handleAppProxy, methodNotAllowed, proxyJson } from "../proxy/respond.server";

/** GET /apps/regulars/membership (via the app proxy): the logged-in customer's membership. */
export async function loader({ request }: LoaderFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    if (proxy.loggedInCustomerId === null) return proxyJson({ loggedIn: false, membership: membershipView(null) });
    const member = await findMember(runtime.db, proxy.shop, proxy.loggedInCustomerId);
    return proxyJson({ loggedIn: true, membership: membershipView(member) });
  });
}

export const action = () => methodNotAllowed("GET");
