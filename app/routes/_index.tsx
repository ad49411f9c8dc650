import { redirect, type LoaderFunctionArgs } from "@remix-run/node";
import { getRuntime } from "../runtime.server";

/**
 * Shopify opens the app at its URL with `?shop=…`; the embedded admin lives
 * under /app. The demo goes straight there.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  const url = new URL(request.url);
  if (getRuntime().config.demo || url.searchParams.has("shop")) {
    return redirect(`/app${url.search}`);
  }
  return redirect("/auth/login");
}
