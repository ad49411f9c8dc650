import type { Runtime } from "../runtime.server";
import { lastHeartbeat } from "./heartbeat.server";

export interface ShopOverview {
  shop: { domain: string; name: string; timezone: string; currency: string; installedAt: string };
  jobs: { backend: string; lastHeartbeatAt: string | null; expectedEverySeconds: number; flowing: boolean };
  database: string;
}

/** What the Home page shows about a shop and whether its background work is running. */
export async function shopOverview(runtime: Runtime, domain: string): Promise<ShopOverview | null> {
  const shop = await runtime.db.shop.findFirst({ where: { domain, uninstalledAt: null } });
  if (!shop) return null;
  const beat = await lastHeartbeat(runtime.db, domain);
  const every = runtime.config.heartbeatIntervalSeconds;
  // Two missed beats in a row means the workers are not taking this shop's jobs.
  const flowing = beat !== null && Date.now() - beat.getTime() < 2 * every * 1000 + 30_000;
  return {
    shop: {
      domain: shop.domain,
      name: shop.name ?? shop.domain,
      timezone: shop.timezone,
      currency: shop.currency,
      installedAt: shop.installedAt.toISOString(),
    },
    jobs: {
      backend: runtime.jobs.kind === "redis" ? "BullMQ on Redis" : "BullMQ on PostgreSQL",
      lastHeartbeatAt: beat?.toISOString() ?? null,
      expectedEverySeconds: every,
      flowing,
    },
    database: runtime.database.kind === "embedded" ? "Embedded PostgreSQL (PGlite)" : "PostgreSQL server",
  };
}
