import { z } from "zod";

/**
 * What `regulars shop create` accepts. The domain must be the shop's
 * `*.myshopify.com` name even for a cafe not (yet) on Shopify: it is the key
 * every table is partitioned by, and the one Shopify sends when the cafe
 * installs the app later, so the imported history is already theirs.
 */
export const MYSHOPIFY_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;

/** The IANA name as the runtime spells it ("europe/london" → "Europe/London"), or null if unknown. */
export function canonicalTimeZone(name: string): string | null {
  // Offsets ("+01:00") and abbreviations ("CET") are valid for Intl but carry no DST rules of a place.
  if (name !== "UTC" && !/^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+)+$/.test(name)) return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

let currencies: ReadonlySet<string> | undefined;

/** ISO 4217 codes known to the runtime's ICU data. */
export function isCurrencyCode(code: string): boolean {
  currencies ??= new Set(Intl.supportedValuesOf("currency"));
  return currencies.has(code);
}

export const shopSettingsSchema = z.object({
  domain: z
    .string()
    .trim()
    .toLowerCase()
    .regex(MYSHOPIFY_DOMAIN, "must be the shop's *.myshopify.com domain, e.g. corner-cafe.myshopify.com"),
  timezone: z
    .string()
    .trim()
    .transform((value, ctx) => {
      const canonical = canonicalTimeZone(value);
      if (canonical) return canonical;
      ctx.addIssue({ code: "custom", message: `"${value}" is not an IANA time zone (Area/City, e.g. Europe/London)` });
      return z.NEVER;
    }),
  currency: z
    .string()
    .trim()
    .toUpperCase()
    .superRefine((value, ctx) => {
      if (!isCurrencyCode(value)) {
        ctx.addIssue({ code: "custom", message: `"${value}" is not an ISO 4217 currency code (e.g. GBP, EUR, USD)` });
      }
    }),
  name: z.string().trim().min(1).max(255).optional(),
});

export type ShopSettings = z.output<typeof shopSettingsSchema>;
