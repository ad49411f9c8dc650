import { z } from "zod";
import type { Runtime } from "../runtime.server";
import { registerInstall } from "./shops.server";
import { scheduleShopAnalytics, scheduleShopJobs } from "../../jobs/schedules.server";
import { requestBackfill } from "../sync/backfill/request.server";
import { requireEncryptionKey } from "../config.server";
import { ensureActivePushKey } from "../push/keys.server";

/** The part of the Admin API client that install needs. */
export interface AdminGraphql {
  graphql(query: string): Promise<Response>;
}

const SHOP_QUERY = `#graphql
  query RegularsShop { shop { name ianaTimezone currencyCode } }`;

const shopResponse = z.object({
  data: z.object({
    shop: z.object({ name: z.string(), ianaTimezone: z.string(), currencyCode: z.string() }),
  }),
});

/**
 * After Shopify authenticates a shop: record the install with the shop's time
 * zone and currency (every local-day figure depends on the zone), schedule
 * its recurring jobs and start the history backfill once. Runs on every token
 * exchange, so it is idempotent.
 */
export async function onShopAuthenticated(runtime: Runtime, shop: string, admin: AdminGraphql): Promise<void> {
  const response = await admin.graphql(SHOP_QUERY);
  const parsed = shopResponse.safeParse(await response.json());
  const details = parsed.success
    ? { name: parsed.data.data.shop.name, timezone: parsed.data.data.shop.ianaTimezone, currency: parsed.data.data.shop.currencyCode }
    : {};
  await registerInstall(runtime.db, { domain: shop, ...details });
  await scheduleShopJobs(runtime.jobs, shop, runtime.config.heartbeatIntervalSeconds);
  await scheduleShopAnalytics(runtime.db, runtime.jobs, shop);
  // The storefront's push prompt needs the shop's VAPID key (created once; later installs keep it).
  await ensureActivePushKey(runtime.db, requireEncryptionKey(runtime.config), shop);
  // History first: every cohort and return curve needs the orders before the install.
  await requestBackfill(runtime, shop, ["customers", "orders"], { once: true });
}
