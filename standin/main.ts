import { parseArgs } from "node:util";
import { z } from "zod";
import { createShopifyStandin, DEFAULT_SCOPES, seedSummaryLine, StandinStore } from "./index.ts";

/**
 * Runs the stand-in on its own with a seeded demo cafe:
 *   npx tsx standin/main.ts --port 4100 --shop demo-cafe.myshopify.com
 * API key and secret come from --api-key/--api-secret or SHOPIFY_API_KEY/SHOPIFY_API_SECRET
 * (the app must use the same pair, or its signatures will not verify). --access-token (or
 * STANDIN_ACCESS_TOKEN) fixes the offline token so the demo app can be configured with it.
 */

const cli = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  shop: z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a SHOP.myshopify.com domain"),
  customers: z.coerce.number().int().min(0).max(100_000),
  days: z.coerce.number().int().min(1).max(3650),
  seed: z.string().min(1),
  apiKey: z.string().min(1),
  apiSecret: z.string().min(1),
  appUrl: z.string().url().optional(),
  timezone: z.string().min(1),
  currency: z.string().length(3),
  accessToken: z.string().min(1).optional(),
});

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4100" },
    host: { type: "string", default: "127.0.0.1" },
    shop: { type: "string", default: "demo-cafe.myshopify.com" },
    customers: { type: "string", default: "200" },
    days: { type: "string", default: "120" },
    seed: { type: "string", default: "demo" },
    "api-key": { type: "string", default: process.env.SHOPIFY_API_KEY ?? "standin-api-key" },
    "api-secret": { type: "string", default: process.env.SHOPIFY_API_SECRET ?? "standin-api-secret" },
    "app-url": { type: "string", default: process.env.SHOPIFY_APP_URL },
    timezone: { type: "string", default: "Europe/London" },
    currency: { type: "string", default: "GBP" },
    "access-token": { type: "string", default: process.env.STANDIN_ACCESS_TOKEN },
  },
});

const parsed = cli.safeParse({ ...values, apiKey: values["api-key"], apiSecret: values["api-secret"], appUrl: values["app-url"], accessToken: values["access-token"] });
if (!parsed.success) {
  for (const issue of parsed.error.issues) console.error(`--${issue.path.join(".")}: ${issue.message}`);
  process.exit(2);
}
const options = parsed.data;

const store = new StandinStore();
store.addShop({ domain: options.shop, ianaTimezone: options.timezone, currencyCode: options.currency, locationName: "High Street" });
const summary = store.seedCafe(options.shop, { customers: options.customers, days: options.days, seed: options.seed });
const menu = store.seedMenu(options.shop);
const token = store.issueAccessToken(options.shop, { scope: DEFAULT_SCOPES, token: options.accessToken });

const standin = await createShopifyStandin({
  apiKey: options.apiKey,
  apiSecret: options.apiSecret,
  appUrl: options.appUrl,
  port: options.port,
  host: options.host,
  store,
});

console.log(`Shopify stand-in listening on ${standin.url}`);
console.log(`  seeded ${seedSummaryLine(summary)}`);
console.log(`  Admin GraphQL: POST ${standin.url}/shops/${options.shop}/admin/api/2025-10/graphql.json`);
console.log(`  offline access token: ${token.token}`);
console.log(`  menu: ${menu.length} products; Storefront API: POST ${standin.url}/shops/${options.shop}/api/2025-10/graphql.json`);

const stop = () => {
  standin.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
