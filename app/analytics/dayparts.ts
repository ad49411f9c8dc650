import { z } from "zod";
import type { Database } from "../db/prisma.server";

/**
 * Dayparts as the analytics labels visits with (DESIGN.md): morning 06–11,
 * midday 11–14, afternoon 14–17, evening 17–22 in shop-local hours (start
 * inclusive, end exclusive), crossed with weekday or weekend into labels such
 * as `weekday-morning`. A shop can redefine them in `ShopSettings.dayparts`.
 */

export interface DaypartSetting {
  name: string;
  /** Local hour the daypart starts (inclusive); fractions are minutes, 6.5 = 06:30. */
  from: number;
  /** Local hour the daypart ends (exclusive), up to 24. */
  to: number;
}

export const DEFAULT_DAYPART_NAMES = ["morning", "midday", "afternoon", "evening"] as const;
export type DefaultDaypart = (typeof DEFAULT_DAYPART_NAMES)[number];

export const DEFAULT_DAYPART_HOURS: Readonly<Record<DefaultDaypart, readonly [number, number]>> = {
  morning: [6, 11],
  midday: [11, 14],
  afternoon: [14, 17],
  evening: [17, 22],
};

export const DEFAULT_DAYPARTS: readonly DaypartSetting[] = DEFAULT_DAYPART_NAMES.map((name) => ({
  name,
  from: DEFAULT_DAYPART_HOURS[name][0],
  to: DEFAULT_DAYPART_HOURS[name][1],
}));

export type DayKind = "weekday" | "weekend";

/** 0 = Sunday … 6 = Saturday, as Date#getUTCDay and PostgreSQL's `dow` count. */
export function dayKindOf(weekday: number): DayKind {
  return weekday === 0 || weekday === 6 ? "weekend" : "weekday";
}

/** The daypart a local minute of the day (0–1439) falls in, or null outside every daypart. */
export function daypartAt(dayparts: readonly DaypartSetting[], minuteOfDay: number): DaypartSetting | null {
  return dayparts.find((d) => minuteOfDay >= d.from * 60 && minuteOfDay < d.to * 60) ?? null;
}

/** A visit's label (`weekday-morning`, …) from its local weekday and minute; null outside every daypart. */
export function visitLabel(dayparts: readonly DaypartSetting[], weekday: number, minuteOfDay: number): string | null {
  const daypart = daypartAt(dayparts, minuteOfDay);
  return daypart ? `${dayKindOf(weekday)}-${daypart.name}` : null;
}

const hour = (field: string) =>
  z
    .number({ error: `${field} must be a number of hours` })
    .min(0, `${field} must be between 0 and 24`)
    .max(24, `${field} must be between 0 and 24`)
    .refine((value) => Number.isInteger(Math.round(value * 60 * 1e6) / 1e6), `${field} must be a whole number of minutes (6.5 = 06:30)`);

const daypartSetting = z.strictObject(
  {
    name: z
      .string({ error: "name must be a string" })
      .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'name must be lower-case letters, digits and single hyphens, such as "morning"')
      .max(32, "name must be at most 32 characters"),
    from: hour("from"),
    to: hour("to"),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? `unknown field ${issue.keys.join(", ")} (a daypart has name, from, to)` : "each daypart must be { name, from, to }") },
);

/** A shop's daypart definition: 1–12 named, non-overlapping windows of the local day. */
export const daypartSettings = z
  .array(daypartSetting, { error: "dayparts must be a list of { name, from, to }" })
  .min(1, "dayparts must name at least one daypart")
  .max(12, "dayparts can name at most 12 dayparts")
  .superRefine((dayparts, ctx) => {
    const seen = new Set<string>();
    dayparts.forEach((d, index) => {
      if (d.from >= d.to) ctx.addIssue({ code: "custom", path: [index, "to"], message: `"${d.name}" must end after it starts (from ${d.from}, to ${d.to})` });
      if (seen.has(d.name)) ctx.addIssue({ code: "custom", path: [index, "name"], message: `"${d.name}" is named twice` });
      seen.add(d.name);
    });
    const ordered = dayparts.map((d, index) => ({ ...d, index })).sort((a, b) => a.from - b.from);
    for (let i = 1; i < ordered.length; i++) {
      const before = ordered[i - 1];
      const after = ordered[i];
      if (before && after && after.from < before.to) {
        ctx.addIssue({
          code: "custom",
          path: [after.index],
          message: `"${after.name}" (${clock(after.from)}–${clock(after.to)}) overlaps "${before.name}" (${clock(before.from)}–${clock(before.to)})`,
        });
      }
    }
  });

function clock(hours: number): string {
  const minutes = Math.round(hours * 60);
  return `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/** The shop's dayparts are malformed; the message says which entry and what is wrong. */
export class InvalidDaypartsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid dayparts: ${problems.join("; ")}`);
    this.name = "InvalidDaypartsError";
  }
}

/** Parses a daypart definition, throwing InvalidDaypartsError naming every problem. */
export function parseDayparts(input: unknown): DaypartSetting[] {
  const parsed = daypartSettings.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new InvalidDaypartsError(parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${pathText(issue.path)}: ${issue.message}` : issue.message)));
}

/** `[1].to` for the second entry's `to`. */
function pathText(path: readonly PropertyKey[]): string {
  return path.map((key, i) => (typeof key === "number" ? `[${key}]` : `${i === 0 ? "" : "."}${String(key)}`)).join("");
}

/** An IANA time zone name as the shop's local calendar uses it (Europe/London, America/New_York, UTC). */
export const ianaTimeZone = z
  .string({ error: "time zone must be a string" })
  .refine(isIanaTimeZone, { error: (issue) => `"${String(issue.input)}" is not an IANA time zone such as Europe/London` });

export function isIanaTimeZone(value: string): boolean {
  if (!(value.includes("/") || value === "UTC")) return false;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export interface AnalyticsSettings {
  timezone: string;
  dayparts: DaypartSetting[];
}

/** No shop with this domain is recorded. */
export class AnalyticsShopNotFoundError extends Error {
  constructor(readonly shop: string) {
    super(`shop ${shop} is not recorded (install it or create it with \`regulars shop create\`)`);
    this.name = "AnalyticsShopNotFoundError";
  }
}

/** The shop's stored analytics settings cannot be used; the message says which and why. */
export class InvalidShopSettingsError extends Error {
  constructor(readonly shop: string, detail: string) {
    super(`shop ${shop}: ${detail}`);
    this.name = "InvalidShopSettingsError";
  }
}

/** The zone and dayparts a shop's analytics use: ShopSettings override the shop's own zone and the default dayparts. */
export async function shopAnalyticsSettings(db: Database, shop: string): Promise<AnalyticsSettings> {
  const [shopRow, settings] = await Promise.all([
    db.shop.findUnique({ where: { domain: shop }, select: { timezone: true } }),
    db.shopSettings.findUnique({ where: { shop }, select: { timezoneOverride: true, dayparts: true } }),
  ]);
  return resolveAnalyticsSettings(shop, shopRow ? { timezone: shopRow.timezone, timezoneOverride: settings?.timezoneOverride ?? null, dayparts: settings?.dayparts ?? null } : null);
}

/** The stored inputs of a shop's analytics settings: Shop.timezone and the ShopSettings overrides (null when absent). */
export interface StoredAnalyticsSettings {
  timezone: string;
  timezoneOverride: string | null;
  dayparts: unknown;
}

/**
 * Validates stored settings into the zone and dayparts the analytics use
 * (null: the shop is not recorded). Throws AnalyticsShopNotFoundError or
 * InvalidShopSettingsError naming the setting at fault.
 */
export function resolveAnalyticsSettings(shop: string, stored: StoredAnalyticsSettings | null): AnalyticsSettings {
  if (!stored) throw new AnalyticsShopNotFoundError(shop);
  const timezone = stored.timezoneOverride ?? stored.timezone;
  const zone = ianaTimeZone.safeParse(timezone);
  if (!zone.success) {
    const source = stored.timezoneOverride ? "ShopSettings.timezoneOverride" : "Shop.timezone";
    throw new InvalidShopSettingsError(shop, `${source}: ${zone.error.issues[0]?.message ?? "not an IANA time zone"}`);
  }
  if (stored.dayparts === null || stored.dayparts === undefined) {
    return { timezone: zone.data, dayparts: DEFAULT_DAYPARTS.map((d) => ({ ...d })) };
  }
  try {
    return { timezone: zone.data, dayparts: parseDayparts(stored.dayparts) };
  } catch (error) {
    if (error instanceof InvalidDaypartsError) throw new InvalidShopSettingsError(shop, `ShopSettings.dayparts: ${error.problems.join("; ")}`);
    throw error;
  }
}
