import type { LoaderFunctionArgs } from "@remix-run/node";
import { loadCardPage } from "../cards/card-page.server";
import { cardPageHtml } from "../cards/card-page";
import { requireEncryptionKey } from "../config.server";
import { html, proxyPathOf } from "../pickup/proxy-http.server";
import { handleAppProxy, methodNotAllowed } from "../proxy/respond.server";
import { findInstalledShop } from "../shops/shops.server";

/**
 * GET /apps/regulars/card (via the app proxy): the member card page for the
 * logged-in customer (logged_in_customer_id of the signed query only). A
 * visitor who is logged out or not a member gets a page saying what to do.
 * The page is personal (no-store); the storefront service worker keeps the
 * member's own copy for offline use (docs/membership-card.md).
 */
export async function loader({ request }: LoaderFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    const page = await loadCardPage(runtime.db, requireEncryptionKey(runtime.config), proxy.shop, proxy.loggedInCustomerId);
    const shop = await findInstalledShop(runtime.db, proxy.shop);
    return html(cardPageHtml(page, { proxyPath: proxyPathOf(proxy), shopName: shop?.name ?? proxy.shop }));
  });
}

export const action = () => methodNotAllowed("GET");
