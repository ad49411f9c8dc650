import type { ActionFunctionArgs } from "@remix-run/node";
import { getHold, releaseHold } from "../pickup/holds.server";
import { releaseRequestJson } from "../pickup/proxy-input";
import { proxyPathOf, readProxyForm, wantsJson } from "../pickup/proxy-http.server";
import { ProxyRequestError, proxyErrorBody } from "../proxy/errors";
import { readJsonBody, requireMethod } from "../proxy/request.server";
import { handleAppProxy, methodNotAllowed, proxyJson } from "../proxy/respond.server";

/**
 * POST /apps/regulars/pickup/release (via the app proxy): gives a held slot
 * back. The hold id is the proof of holding it (random, on the member's own
 * cart); a member's hold can only be released by that member. Releasing
 * twice changes nothing.
 */
export async function action({ request }: ActionFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    requireMethod(request, "POST");
    const json = wantsJson(request);
    const id = json ? (await readJsonBody(request, releaseRequestJson)).holdId : ((await readProxyForm(request)).get("hold") ?? "").trim();
    if (id === "" || id.length > 64) {
      return proxyJson(proxyErrorBody(new ProxyRequestError(400, "invalid_body", "Invalid request: hold: name the hold to release.")), 400);
    }
    const hold = await getHold(runtime.db, proxy.shop, id);
    if (!hold) return proxyJson({ error: { code: "hold-not-found", field: "holdId", message: "There is no such hold in this shop." } }, 404);
    if (hold.customerId !== null && hold.customerId !== proxy.loggedInCustomerId) {
      return proxyJson({ error: { code: "not-your-hold", field: "holdId", message: "This hold belongs to another customer." } }, 403);
    }
    const released = await releaseHold(runtime.db, proxy.shop, id);
    if (json) return proxyJson({ released: released.released, status: released.status });
    return new Response(null, { status: 303, headers: { Location: `${proxyPathOf(proxy)}/pickup?released=1`, "Cache-Control": "no-store, private" } });
  });
}

export const loader = () => methodNotAllowed("POST");
