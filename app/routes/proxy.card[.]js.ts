import type { LoaderFunctionArgs } from "@remix-run/node";
import { cardScriptSource } from "../cards/card-script.server";
import { handleAppProxy, methodNotAllowed } from "../proxy/respond.server";

/**
 * GET /apps/regulars/card.js (via the app proxy): the member card page's
 * script with the QR library it draws with. Not personal (the card's secret
 * is in the page); `no-cache` makes browsers check for a new version, and the
 * service worker keeps a copy for offline use.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  return handleAppProxy(request, async () =>
    new Response(cardScriptSource(), {
      headers: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" },
    }),
  );
}

export const action = () => methodNotAllowed("GET");
