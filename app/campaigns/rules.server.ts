import { shopAnalyticsSettings } from "../analytics/dayparts";
import type { Database } from "../db/prisma.server";
import type { MessagingRules } from "./eligibility";

/**
 * The shop's messaging settings (ShopSettings: quiet hours, frequency cap,
 * program holdout; the shop's time zone), checked before any use. A missing
 * settings row means the defaults of the schema: quiet 21:00–07:00, at most
 * one push per three days, 5 % program holdout.
 */

export const MESSAGING_DEFAULTS = { quietStartMinute: 1260, quietEndMinute: 420, pushCapCount: 1, pushCapDays: 3, programHoldoutPercent: 5 } as const;

export interface ShopMessaging extends MessagingRules {
  programHoldoutPercent: number;
}

/** A stored messaging setting is out of range; the message names the column and the range. */
export class InvalidMessagingSettingsError extends Error {
  constructor(readonly shop: string, detail: string) {
    super(`shop ${shop}: ${detail}`);
    this.name = "InvalidMessagingSettingsError";
  }
}

export async function shopMessaging(db: Database, shop: string): Promise<ShopMessaging> {
  const [{ timezone }, settings] = await Promise.all([
    shopAnalyticsSettings(db, shop),
    db.shopSettings.findUnique({
      where: { shop },
      select: { quietStartMinute: true, quietEndMinute: true, pushCapCount: true, pushCapDays: true, programHoldoutPercent: true },
    }),
  ]);
  const values = settings ?? MESSAGING_DEFAULTS;
  const check = (column: keyof typeof MESSAGING_DEFAULTS, min: number, max: number) => {
    const value = values[column];
    if (!Number.isInteger(value) || value < min || value > max) throw new InvalidMessagingSettingsError(shop, `ShopSettings.${column} must be ${min}–${max} (is ${value})`);
    return value;
  };
  return {
    timezone,
    quiet: { startMinute: check("quietStartMinute", 0, 1439), endMinute: check("quietEndMinute", 0, 1439) },
    capCount: check("pushCapCount", 1, 100),
    capDays: check("pushCapDays", 1, 90),
    programHoldoutPercent: check("programHoldoutPercent", 0, 50),
  };
}
