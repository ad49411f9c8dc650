import type { LoaderFunctionArgs } from "@remix-run/node";
import { storefrontManifest } from "../push/manifest.server";
import { handleAppProxy, methodNotAllowed } from "../proxy/respond.server";

/** GET /apps/regulars/manifest.webmanifest (via the app proxy): the storefront's web app manifest (home-screen install, iOS push). */
export async function loader({ request }: LoaderFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    const query = new URL(request.url).searchParams;
    const manifest = await storefrontManifest(runtime.db, proxy.shop, { icon: query.get("icon"), themeColor: query.get("theme_color") });
    return new Response(JSON.stringify(manifest), { headers: { "Content-Type": "application/manifest+json", "Cache-Control": "no-cache" } });
  });
}

export const action = () => methodNotAllowed("GET");
