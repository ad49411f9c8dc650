import type { LoaderFunctionArgs } from "@remix-run/node";
import { requireEncryptionKey } from "../config.server";
import { ensureActivePushKey } from "../push/keys.server";
import { handleAppProxy, methodNotAllowed, proxyJson } from "../proxy/respond.server";

/**
 * GET /apps/regulars/push (via the app proxy): what the storefront prompt
 * needs from the app: the shop's current public key (applicationServerKey;
 * created on first use) and whether a customer is logged in. The prompt's
 * words, delay and pages are the app embed's own settings.
 */
export async function loader({ request }: LoaderFunctionArgs) {
  return handleAppProxy(request, async ({ runtime, proxy }) => {
    const key = await ensureActivePushKey(runtime.db, requireEncryptionKey(runtime.config), proxy.shop);
    return proxyJson({ publicKey: key.publicKey, loggedIn: proxy.loggedInCustomerId !== null });
  });
}

export const action = () => methodNotAllowed("GET");
