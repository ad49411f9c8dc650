import type { Database } from "../db/prisma.server";
import type { Shop } from "../db/generated/client";

export interface ShopDetails {
  domain: string;
  name?: string;
  timezone?: string;
  currency?: string;
  isDemo?: boolean;
}

/** Records an install (or a re-install after uninstall); safe to call on every auth. */
export async function registerInstall(db: Database, details: ShopDetails): Promise<Shop> {
  const fields = {
    name: details.name ?? null,
    ...(details.timezone ? { timezone: details.timezone } : {}),
    ...(details.currency ? { currency: details.currency } : {}),
    isDemo: details.isDemo ?? false,
  };
  return db.shop.upsert({
    where: { domain: details.domain },
    create: { domain: details.domain, ...fields },
    update: { ...fields, uninstalledAt: null },
  });
}

export async function findInstalledShop(db: Database, domain: string): Promise<Shop | null> {
  return db.shop.findFirst({ where: { domain, uninstalledAt: null } });
}

export async function listInstalledShops(db: Database): Promise<Shop[]> {
  return db.shop.findMany({ where: { uninstalledAt: null }, orderBy: { domain: "asc" } });
}
