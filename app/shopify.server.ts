import "@shopify/shopify-app-remix/adapters/node";
import { setAbstractFetchFunc } from "@shopify/shopify-api/runtime";
import { ApiVersion, AppDistribution, shopifyApp } from "@shopify/shopify-app-remix/server";
import { getConfig } from "./config.server";
import { standinFetch } from "./shopify/standin-routing.server";
import { PrismaSessionStorage } from "./db/session-storage.server";
import { getRuntime } from "./runtime.server";
import { onShopAuthenticated } from "./shops/install.server";

/**
 * The one place that configures the Shopify app. Embedded auth uses token
 * exchange (Shopify-managed installation, scopes and webhooks declared in
 * shopify.app.toml); the shop's offline token is what jobs use.
 */
const config = getConfig();

// Tests and the demo only (refused in production): the library's calls go to the Shopify stand-in.
// The node adapter captured globalThis.fetch on import, so this must come after it.
if (config.shopify.apiOriginOverride) setAbstractFetchFunc(standinFetch(config.shopify.apiOriginOverride));

export const API_VERSION = ApiVersion.October26; // keep equal to ADMIN_API_VERSION and shopify.app.toml

const shopify = shopifyApp({
  apiKey: config.shopify.apiKey,
  apiSecretKey: config.shopify.apiSecret,
  apiVersion: API_VERSION,
  scopes: config.shopify.scopes,
  appUrl: config.shopify.appUrl,
  authPathPrefix: "/auth",
  sessionStorage: new PrismaSessionStorage(() => getRuntime().db),
  distribution: AppDistribution.AppStore,
  useOnlineTokens: false,
  future: { unstable_newEmbeddedAuthStrategy: true, expiringOfflineAccessTokens: true },
  hooks: {
    afterAuth: async ({ session, admin }) => {
      await onShopAuthenticated(getRuntime(), session.shop, admin);
    },
  },
  ...(config.shopify.customShopDomain ? { customShopDomains: [config.shopify.customShopDomain] } : {}),
});

export default shopify;
export const addDocumentResponseHeaders = shopify.addDocumentResponseHeaders;
export const authenticate = shopify.authenticate;
export const unauthenticated = shopify.unauthenticated;
export const login = shopify.login;
export const sessionStorage = shopify.sessionStorage;
