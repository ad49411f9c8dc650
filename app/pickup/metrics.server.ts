import type { Database } from "../db/prisma.server";
import { addDays, localDateOf } from "../analytics/local-dates";
import { localDateText, localDayBounds, parseLocalDate } from "./hours";
import { checkPeakShare, computePickupMetrics, DEFAULT_PEAK_SHARE, PickupMetricsInputError, type LocationPickupMetrics, type ServiceRow, type TrafficRow } from "./metrics";
import { shopTimeZone } from "./slots.server";

export { PickupMetricsInputError } from "./metrics";
export type { LocationPickupMetrics } from "./metrics";

/**
 * Pickup metrics of a shop over a range of shop-local days, per location
 * (definitions in app/pickup/metrics.ts). Two statements gather the rows,
 * bounded by the range's instants so they read the (shop, processedAt) and
 * (shop, locationId, slotStart) indexes; the local hour is the shop's wall
 * clock at each instant (PostgreSQL's zone rules, so a day with a clock change
 * buckets like any other).
 */

/** The longest range one call covers. */
export const MAX_RANGE_DAYS = 366;

export interface PickupMetricsRange {
  /** First shop-local day, inclusive: "YYYY-MM-DD" or a local date (UTC midnight). */
  from: string | Date;
  /** Day after the last, exclusive. */
  to: string | Date;
  /** Share of orders the peak hours hold (default 0.25). */
  peakShare?: number;
}

export interface PickupMetricsReport {
  shop: string;
  timezone: string;
  from: string;
  to: string;
  peakShare: number;
  locations: LocationPickupMetrics[];
}

function localDay(field: string, value: string | Date): Date {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime()) || value.getTime() % 86_400_000 !== 0) throw new PickupMetricsInputError(field, `${field} must be a local date (midnight UTC), got ${String(value)}`);
    return value;
  }
  const parsed = parseLocalDate(value);
  if (!parsed) throw new PickupMetricsInputError(field, `${field} must be a calendar date like 2026-03-02 (got ${JSON.stringify(value)})`);
  return parsed;
}

/** The figures for [from, to), every location with pickup settings or orders in the range. */
export async function pickupMetrics(db: Database, shop: string, range: PickupMetricsRange): Promise<PickupMetricsReport> {
  const from = localDay("from", range.from);
  const to = localDay("to", range.to);
  if (to <= from) throw new PickupMetricsInputError("to", `to (${localDateText(to)}) must be after from (${localDateText(from)})`);
  if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw new PickupMetricsInputError("to", `a range covers at most ${MAX_RANGE_DAYS} days`);
  const peakShare = checkPeakShare(range.peakShare ?? DEFAULT_PEAK_SHARE);
  const timezone = await shopTimeZone(db, shop);
  const start = localDayBounds(from, timezone).start;
  const end = localDayBounds(to, timezone).start;

  const [traffic, service, settings, named] = await Promise.all([
    db.$queryRaw<TrafficRow[]>`
      WITH served AS (
        SELECT p."locationId", p."slotStart" AS at, true AS pickup
        FROM "PickupOrder" p
        LEFT JOIN "Order" o ON o.shop = p.shop AND o.id = p."orderId"
        WHERE p.shop = ${shop} AND p."slotStart" >= ${start}::timestamp AND p."slotStart" < ${end}::timestamp AND o."cancelledAt" IS NULL
        UNION ALL
        SELECT o."locationId", o."processedAt" AS at, false AS pickup
        FROM "Order" o
        WHERE o.shop = ${shop} AND o."processedAt" >= ${start}::timestamp AND o."processedAt" < ${end}::timestamp
          AND o."cancelledAt" IS NULL AND o."locationId" IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM "PickupOrder" p WHERE p.shop = o.shop AND p."orderId" = o.id)
      ),
      local AS (
        -- Stored instants are UTC without a zone: read as UTC, shown on the shop's wall clock.
        SELECT "locationId", (at AT TIME ZONE 'UTC') AT TIME ZONE ${timezone} AS local_at, pickup FROM served
      )
      SELECT "locationId", to_char(local_at, 'YYYY-MM-DD') AS day,
        extract(hour FROM local_at)::int AS hour, (extract(minute FROM local_at)::int / 15) AS quarter,
        count(*)::int AS orders, count(*) FILTER (WHERE pickup)::int AS pickups
      FROM local GROUP BY 1, 2, 3, 4`,
    db.$queryRaw<ServiceRow[]>`
      SELECT p."locationId", extract(hour FROM (p."slotStart" AT TIME ZONE 'UTC') AT TIME ZONE ${timezone})::int AS hour,
        count(*)::int AS pickups,
        count(p."readyAt")::int AS readied,
        count(*) FILTER (WHERE p."readyAt" <= p."slotStart")::int AS "onTime",
        COALESCE(sum(extract(epoch FROM p."readyAt" - p."slotStart")) / 60, 0)::float8 AS "readyMinutes",
        count(p."pickedUpAt")::int AS "pickedUp",
        COALESCE(sum(extract(epoch FROM p."pickedUpAt" - p."slotStart")) / 60, 0)::float8 AS "pickedUpMinutes",
        count(p."noShowAt")::int AS "noShows"
      FROM "PickupOrder" p
      LEFT JOIN "Order" o ON o.shop = p.shop AND o.id = p."orderId"
      WHERE p.shop = ${shop} AND p."slotStart" >= ${start}::timestamp AND p."slotStart" < ${end}::timestamp AND o."cancelledAt" IS NULL
      GROUP BY 1, 2`,
    db.pickupSettings.findMany({ where: { shop }, select: { locationId: true } }),
    db.location.findMany({ where: { shop }, select: { id: true, name: true } }),
  ]);

  const names = new Map(named.map((row) => [row.id, row.name]));
  const locations = new Map<string, string>();
  for (const id of new Set([...settings.map((s) => s.locationId), ...traffic.map((r) => r.locationId)])) locations.set(id, names.get(id) ?? id);
  return {
    shop,
    timezone,
    from: localDateText(from),
    to: localDateText(to),
    peakShare,
    locations: computePickupMetrics({ traffic, service, locations }, { peakShare }),
  };
}

/** The weekly report's pickup section: per-location figures over [from, to). */
export async function pickupWeekMetrics(db: Database, shop: string, range: { from: string | Date; to: string | Date }): Promise<LocationPickupMetrics[]> {
  return (await pickupMetrics(db, shop, range)).locations;
}

/** The last `days` full shop-local days before today, for the admin card. */
export async function recentPickupMetrics(db: Database, shop: string, options: { days?: number; now?: Date } = {}): Promise<PickupMetricsReport> {
  const days = options.days ?? 7;
  if (!Number.isInteger(days) || days < 1 || days > MAX_RANGE_DAYS) throw new PickupMetricsInputError("days", `days must be a whole number from 1 to ${MAX_RANGE_DAYS} (got ${days})`);
  const today = localDateOf(options.now ?? new Date(), await shopTimeZone(db, shop));
  return pickupMetrics(db, shop, { from: addDays(today, -days), to: today });
}
