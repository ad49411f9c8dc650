import { Session } from "@shopify/shopify-api";
import type { Runtime } from "../runtime.server";
import { PrismaSessionStorage } from "../db/session-storage.server";
import { registerInstall } from "./shops.server";
import { scheduleShopAnalytics, scheduleShopJobs } from "../../jobs/schedules.server";

export const DEMO_SHOP = "demo-cafe.myshopify.com";

/**
 * The demo's shop: installed, with an offline session, so the admin renders
 * without Shopify. Only reachable when DEMO is on (refused in production).
 */
export async function ensureDemoShop(runtime: Runtime): Promise<Session> {
  await registerInstall(runtime.db, {
    domain: DEMO_SHOP,
    name: "Demo Cafe",
    timezone: "Europe/London",
    currency: "GBP",
    isDemo: true,
  });
  const session = new Session({
    id: `offline_${DEMO_SHOP}`,
    shop: DEMO_SHOP,
    state: "demo",
    isOnline: false,
    scope: runtime.config.shopify.scopes.join(","),
    accessToken: "demo-offline-token",
  });
  await new PrismaSessionStorage(() => runtime.db).storeSession(session);
  if (runtime.config.role !== "web") {
    await scheduleShopJobs(runtime.jobs, DEMO_SHOP, runtime.config.heartbeatIntervalSeconds);
    await scheduleShopAnalytics(runtime.db, runtime.jobs, DEMO_SHOP);
  }
  return session;
}
