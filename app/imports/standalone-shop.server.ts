import type { Database } from "../db/prisma.server";
import type { Shop } from "../db/generated/client";
import type { ShopSettings } from "./shop-settings";

/** Importing needs a shop Regulars knows: installed from Shopify, or registered with `regulars shop create`. */
export class UnknownShopError extends Error {
  constructor(readonly domain: string) {
    super(
      `Shop ${domain} is not known to Regulars. Install the app on it, or register it for imports with: ` +
        `regulars shop create ${domain} --timezone Area/City --currency XXX`,
    );
    this.name = "UnknownShopError";
  }
}

/**
 * `shop create` for a shop that exists with another time zone or currency.
 * Not an update: local times already imported were read in the old time zone,
 * and an installed shop's settings come from Shopify.
 */
export class ShopSettingsConflictError extends Error {
  constructor(
    readonly existing: Pick<Shop, "domain" | "timezone" | "currency" | "source">,
    readonly requested: ShopSettings,
  ) {
    const differences = [
      existing.timezone === requested.timezone ? null : `time zone ${existing.timezone} (asked: ${requested.timezone})`,
      existing.currency === requested.currency ? null : `currency ${existing.currency} (asked: ${requested.currency})`,
    ].filter((text) => text !== null);
    const origin = existing.source === "standalone" ? "registered with `regulars shop create`" : "installed from Shopify";
    super(
      `Shop ${existing.domain} already exists (${origin}) with ${differences.join(" and ")}. ` +
        "Nothing was changed: orders already imported were read in its time zone and currency.",
    );
    this.name = "ShopSettingsConflictError";
  }
}

export type CreateShopOutcome = { outcome: "created" | "exists"; shop: Shop };

/**
 * Registers a shop without Shopify (`source = "standalone"`). Idempotent: the
 * same settings again change nothing; other settings for an existing shop are
 * refused (ShopSettingsConflictError) rather than applied.
 */
export async function createStandaloneShop(db: Database, settings: ShopSettings): Promise<CreateShopOutcome> {
  const created = await db.shop.createManyAndReturn({
    data: [
      {
        domain: settings.domain,
        name: settings.name ?? null,
        timezone: settings.timezone,
        currency: settings.currency,
        source: "standalone",
      },
    ],
    skipDuplicates: true,
  });
  const [shop] = created;
  if (shop) return { outcome: "created", shop };
  const existing = await db.shop.findUniqueOrThrow({ where: { domain: settings.domain } });
  if (existing.timezone !== settings.timezone || existing.currency !== settings.currency) {
    throw new ShopSettingsConflictError(existing, settings);
  }
  return { outcome: "exists", shop: existing };
}

/** The shop an import writes into, or UnknownShopError naming the command that registers it. */
export async function requireImportShop(db: Database, domain: string): Promise<Shop> {
  const shop = await db.shop.findUnique({ where: { domain } });
  if (!shop) throw new UnknownShopError(domain);
  return shop;
}
