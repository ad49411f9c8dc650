import { ianaTimeZone } from "../analytics/dayparts";
import { localDateOf } from "../analytics/local-dates";
import type { Database } from "../db/prisma.server";
import { clockLabel, localDateText, parseLocalDate, slotGrid, timingReason, type GridSlot } from "./hours";
import { PickupError } from "./errors";
import { getPickupSettings, locationIdSchema, storedHours, type PickupSettings } from "./settings.server";

export { PickupError } from "./errors";

/**
 * The slot table of a location for one shop-local day: every slot of its
 * opening hours, what is left of its capacity and whether a member can take
 * it now. Counts come from PickupSlot (docs/decisions/0019-pickup-capacity.md):
 * holds still held, converted holds and orders that took a place.
 */

/** Why a slot cannot be chosen: timing (hours.ts), full, or pickup turned off at the location. */
export type SlotReason = "past" | "too-far" | "lead" | "cutoff" | "full" | "disabled";

export interface SlotAvailability {
  start: Date;
  /** Shop-local "HH:MM"; twice the same on the night clocks go back. */
  label: string;
  /** Places taken (orders and drinks). */
  orders: number;
  items: number;
  /** Null when the location sets no limit of that kind. */
  ordersLeft: number | null;
  itemsLeft: number | null;
  open: boolean;
  reason?: SlotReason;
}

export interface SlotTable {
  shop: string;
  locationId: string;
  timezone: string;
  /** The shop-local date, YYYY-MM-DD. */
  date: string;
  enabled: boolean;
  slotMinutes: number;
  capacityOrders: number | null;
  capacityItems: number | null;
  slots: SlotAvailability[];
}

/** The IANA zone the shop keeps its clock in: ShopSettings.timezoneOverride, else Shop.timezone. */
export async function shopTimeZone(db: Database, shop: string): Promise<string> {
  const [shopRow, settings] = await Promise.all([
    db.shop.findUnique({ where: { domain: shop }, select: { timezone: true } }),
    db.shopSettings.findUnique({ where: { shop }, select: { timezoneOverride: true } }),
  ]);
  if (!shopRow) throw new PickupError("unknown-shop", "shop", `shop ${shop} is not known to Regulars`);
  const zone = ianaTimeZone.safeParse(settings?.timezoneOverride ?? shopRow.timezone);
  if (!zone.success) throw new PickupError("bad-timezone", "shop", `shop ${shop}: ${zone.error.issues[0]?.message ?? "time zone is not valid"}`);
  return zone.data;
}

/** A location's settings, refusing a location that has none in this shop. */
export async function requirePickupLocation(db: Database, shop: string, locationId: string): Promise<PickupSettings> {
  const parsed = locationIdSchema.safeParse(locationId);
  if (!parsed.success) throw new PickupError("unknown-location", "locationId", parsed.error.issues[0]?.message ?? "location id is invalid");
  const settings = await getPickupSettings(db, shop, parsed.data);
  if (!settings.stored) throw new PickupError("unknown-location", "locationId", `location ${parsed.data} has no pickup settings in ${shop}`);
  return settings;
}

export interface ListSlotsInput {
  shop: string;
  locationId: string;
  /** Shop-local date, YYYY-MM-DD; default: today in the shop's zone. */
  date?: string;
  now?: Date;
}

/**
 * One round trip: the shop's zone, the location's settings and the slot
 * counters of a window wide enough for the local day in any zone (UTC−12 to
 * UTC+14, 25-hour days); the day's own rows are picked once its zone is known.
 */
export async function listSlots(db: Database, input: ListSlotsInput): Promise<SlotTable> {
  const now = input.now ?? new Date();
  const requestedDate = input.date === undefined ? null : parseLocalDate(input.date);
  if (requestedDate === null && input.date !== undefined) {
    throw new PickupError("bad-date", "date", `date must be a calendar date like 2026-03-02 (got ${JSON.stringify(input.date)})`);
  }
  const location = locationIdSchema.safeParse(input.locationId);
  const locationId = location.success ? location.data : null;
  const [windowFrom, windowTo] =
    requestedDate === null ? [now.getTime() - 27 * HOUR_MS, now.getTime() + 27 * HOUR_MS] : [requestedDate.getTime() - 15 * HOUR_MS, requestedDate.getTime() + 40 * HOUR_MS];
  const rows = await db.$queryRaw<SlotInputRow[]>`
    SELECT sh.timezone, ss."timezoneOverride" AS "timezoneOverride",
      p.enabled, p.hours, p."slotMinutes", p."capacityOrders", p."capacityItems", p."leadMinutes", p."cutoffMinutes", p."holdMinutes", p."updatedAt",
      (SELECT coalesce(json_agg(json_build_array(extract(epoch FROM c."slotStart") * 1000, c.orders, c.items)), '[]'::json)
         FROM "PickupSlot" c
         WHERE c.shop = sh.domain AND c."locationId" = p."locationId"
           AND c."slotStart" >= ${new Date(windowFrom)}::timestamp AND c."slotStart" < ${new Date(windowTo)}::timestamp) AS counters
    FROM "Shop" sh
    LEFT JOIN "ShopSettings" ss ON ss.shop = sh.domain
    LEFT JOIN "PickupSettings" p ON p.shop = sh.domain AND p."locationId" = ${locationId}
    WHERE sh.domain = ${input.shop}`;
  const row = rows[0];
  if (!row) throw new PickupError("unknown-shop", "shop", `shop ${input.shop} is not known to Regulars`);
  const zone = ianaTimeZone.safeParse(row.timezoneOverride ?? row.timezone);
  if (!zone.success) throw new PickupError("bad-timezone", "shop", `shop ${input.shop}: ${zone.error.issues[0]?.message ?? "time zone is not valid"}`);
  if (!location.success) throw new PickupError("unknown-location", "locationId", location.error.issues[0]?.message ?? "location id is invalid");
  const settings = settingsOf(input.shop, location.data, row);
  if (!settings) throw new PickupError("unknown-location", "locationId", `location ${location.data} has no pickup settings in ${input.shop}`);
  const timezone = zone.data;
  const localDate = requestedDate ?? localDateOf(now, timezone);
  const grid = slotGrid(localDate, settings.hours, settings.slotMinutes, timezone);
  const taken = countersOf(row.counters);
  return {
    shop: input.shop,
    locationId: settings.locationId,
    timezone,
    date: localDateText(localDate),
    enabled: settings.enabled,
    slotMinutes: settings.slotMinutes,
    capacityOrders: settings.capacityOrders,
    capacityItems: settings.capacityItems,
    slots: grid.map((slot) => availability(slot, settings, taken.get(slot.start.getTime()), now)),
  };
}

const HOUR_MS = 3_600_000;

interface SlotInputRow {
  timezone: string;
  timezoneOverride: string | null;
  enabled: boolean | null;
  hours: unknown;
  slotMinutes: number | null;
  capacityOrders: number | null;
  capacityItems: number | null;
  leadMinutes: number | null;
  cutoffMinutes: number | null;
  holdMinutes: number | null;
  updatedAt: Date | null;
  counters: unknown;
}

function settingsOf(shop: string, locationId: string, row: SlotInputRow): PickupSettings | null {
  const { enabled, slotMinutes, leadMinutes, cutoffMinutes, holdMinutes } = row;
  if (enabled === null || slotMinutes === null || leadMinutes === null || cutoffMinutes === null || holdMinutes === null) return null;
  return {
    shop,
    locationId,
    enabled,
    hours: storedHours(row.hours),
    slotMinutes,
    capacityOrders: row.capacityOrders,
    capacityItems: row.capacityItems,
    leadMinutes,
    cutoffMinutes,
    holdMinutes,
    stored: true,
    updatedAt: row.updatedAt,
  };
}

/** [[epochMs, orders, items], …] → places taken per slot start. */
function countersOf(value: unknown): Map<number, { orders: number; items: number }> {
  const taken = new Map<number, { orders: number; items: number }>();
  if (!Array.isArray(value)) return taken;
  for (const entry of value as unknown[]) {
    if (!Array.isArray(entry)) continue;
    const [at, orders, items] = entry as unknown[];
    if (typeof at === "number" && typeof orders === "number" && typeof items === "number") taken.set(Math.round(at), { orders, items });
  }
  return taken;
}

export function availability(slot: GridSlot, settings: PickupSettings, taken: { orders: number; items: number } | undefined, now: Date): SlotAvailability {
  const orders = taken?.orders ?? 0;
  const items = taken?.items ?? 0;
  const ordersLeft = settings.capacityOrders === null ? null : Math.max(0, settings.capacityOrders - orders);
  const itemsLeft = settings.capacityItems === null ? null : Math.max(0, settings.capacityItems - items);
  const timing = timingReason(slot, settings, now);
  const reason: SlotReason | null = !settings.enabled ? "disabled" : (timing ?? (ordersLeft === 0 || itemsLeft === 0 ? "full" : null));
  const base = { start: slot.start, label: clockLabel(slot.minute), orders, items, ordersLeft, itemsLeft };
  return reason === null ? { ...base, open: true } : { ...base, open: false, reason };
}
