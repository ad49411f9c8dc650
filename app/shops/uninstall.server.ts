import type { Runtime } from "../runtime.server";
import { unscheduleShopJobs } from "../../jobs/schedules.server";

/**
 * app/uninstalled: the shop's recurring jobs stop and its sessions go (the
 * tokens are dead). Its data stays until shop/redact, which Shopify sends 48
 * hours later, so a quick re-install finds it again.
 */
export async function onAppUninstalled(runtime: Runtime, shop: string, at: Date): Promise<void> {
  await runtime.db.shop.updateMany({ where: { domain: shop, uninstalledAt: null }, data: { uninstalledAt: at } });
  await runtime.db.session.deleteMany({ where: { shop } });
  await unscheduleShopJobs(runtime.jobs, shop);
}
