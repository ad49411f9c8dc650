import type { LoaderFunctionArgs } from "@remix-run/node";
import serviceWorkerSource from "../push/service-worker.js?raw";
import { handleAppProxy, methodNotAllowed } from "../proxy/respond.server";

/**
 * GET /apps/regulars/sw.js (via the app proxy): the storefront's push
 * service worker. Served at the proxy root, so its default scope is the
 * proxy path (/apps/regulars/) and no Service-Worker-Allowed header is
 * needed (docs/push.md). `no-cache` makes browsers check for a new version.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  return handleAppProxy(request, async () =>
    new Response(serviceWorkerSource, {
      headers: { "Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff" },
    }),
  );
}

export const action = () => methodNotAllowed("GET");
