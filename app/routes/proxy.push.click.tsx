import type { LoaderFunctionArgs } from "@remix-run/node";
import { recordPushClick } from "../push/clicks.server";
import { pushSenderFor } from "../push/sender.server";
import { handleAppProxy, methodNotAllowed } from "../proxy/respond.server";

/**
 * GET /apps/regulars/push/click?t=TOKEN (via the app proxy): a tap on a
 * notification. Records the first tap and redirects to the push's
 * destination on the storefront; an altered or expired link answers 400
 * with a way on to the shop.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    const token = new URL(request.url).searchParams.get("t") ?? "";
    const outcome = await recordPushClick(runtime.db, pushSenderFor(runtime).clickKey, { shop: proxy.shop, token, at: new Date() });
    if (!outcome.ok) {
      const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Link not valid</title></head><body><main><h1>This link no longer works</h1><p>${outcome.reason === "expired" ? "The notification is too old." : "The link has been changed or is not from this shop."} <a href="/">Continue to the shop</a>.</p></main></body></html>`;
      return new Response(page, { status: 400, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store, private" } });
    }
    return new Response(null, { status: 302, headers: { Location: outcome.destination, "Cache-Control": "no-store, private" } });
  });
}

export const action = () => methodNotAllowed("GET");
