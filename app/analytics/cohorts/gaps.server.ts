import { Prisma } from "../../db/generated/client";
import type { Database } from "../../db/prisma.server";
import { isLocalDate } from "../local-dates";
import type { GapCounts } from "../math/kaplan-meier";
import type { CohortBy } from "./labels";

/**
 * The database side of the cohort tables: everything per visit stays in SQL,
 * and only counts reach Node (a few rows per cohort and day).
 *
 * A return is counted between visit *days*: two locations on one local day
 * are two visits in the Visit table (DESIGN.md) but one visit day here, as
 * coming back to the other counter that afternoon is not a return. Each visit
 * day's gap is the days to the member's next visit day (an event) or, when
 * there is none up to `until`, the days from it to `until` (censored).
 */

/** Gaps longer than this are folded into `horizon + 1`: the curves stop at day 60, so nothing beyond it changes them. */
export const RETURN_HORIZON_DAYS = 60;

export interface CohortGaps {
  /** Gap counts per cohort key (pattern label, or the ISO date of the acquisition week or month). */
  cohorts: Map<string, GapCounts[]>;
  /** Visit days of customers without member features yet (they belong to no cohort). */
  unassignedVisits: number;
}

/** Each kind's key as a (kind, pattern, first day) row; one of the two is null. */
const COHORT_KEY: Record<CohortBy, Prisma.Sql> = {
  pattern: Prisma.sql`('pattern', f."pattern", NULL::date)`,
  "acquisition-week": Prisma.sql`('acquisition-week', NULL::text, f."acquisitionWeek")`,
  "acquisition-month": Prisma.sql`('acquisition-month', NULL::text, f."acquisitionMonth")`,
};

/** YYYY-MM-DD of a local date (a Date at UTC midnight of that calendar day). */
export function localDateKey(date: Date): string {
  if (!isLocalDate(date)) throw new RangeError(`a local date must be a Date at UTC midnight of the shop-local day (got ${Number.isNaN(date.getTime()) ? "an invalid date" : date.toISOString()})`);
  return date.toISOString().slice(0, 10);
}

/**
 * The data's end: the shop's latest visit day on or before `until` (or at
 * all), null without one. Censoring at a later date than the data reaches
 * would count days nobody could have been seen as days without a return.
 */
export async function dataEnd(db: Database, shop: string, until?: Date): Promise<string | null> {
  const cap = until ? Prisma.sql`AND "localDate" <= ${localDateKey(until)}::date` : Prisma.empty;
  const [row] = await db.$queryRaw<Array<{ last: string | null }>>`
    SELECT to_char(max("localDate"), 'YYYY-MM-DD') AS last FROM "Visit" WHERE shop = ${shop} ${cap}`;
  return row?.last ?? null;
}

/**
 * Return gaps of every visit day up to `until`, counted per cohort, day and
 * outcome, for each kind asked. The kinds share one pass over the visits
 * (the window function is the expensive part): each visit is counted once
 * per kind through a lateral row.
 */
export async function loadCohortGaps(
  db: Database,
  shop: string,
  options: { kinds: readonly CohortBy[]; until: string; horizon?: number },
): Promise<Map<CohortBy, CohortGaps>> {
  const horizon = options.horizon ?? RETURN_HORIZON_DAYS;
  const kinds = [...new Set(options.kinds)];
  if (kinds.length === 0) return new Map();
  const tallies = new Map<string, { cohorts: Map<string, Map<number, GapCounts>>; unassignedVisits: number }>(
    kinds.map((kind) => [kind, { cohorts: new Map(), unassignedVisits: 0 }]),
  );
  const rows = await db.$queryRaw<Array<{ kind: string; cohort: string | null; day: number; returned: boolean; visits: number }>>`
    WITH visit_days AS (
      SELECT "customerId", "localDate" AS day
      FROM "Visit"
      WHERE shop = ${shop} AND "localDate" <= ${options.until}::date
      GROUP BY "customerId", "localDate"
    ), gaps AS (
      SELECT "customerId", day, lead(day) OVER (PARTITION BY "customerId" ORDER BY day) AS next_day
      FROM visit_days
    ), counted AS (
      SELECT k.kind, k.pattern, k.start,
             least(coalesce(g.next_day, ${options.until}::date) - g.day, ${horizon + 1}::int)::int AS day,
             (g.next_day IS NOT NULL) AS returned,
             count(*)::int AS visits
      FROM gaps g
      LEFT JOIN "MemberFeature" f ON f.shop = ${shop} AND f."customerId" = g."customerId"
      CROSS JOIN LATERAL (VALUES ${Prisma.join(kinds.map((kind) => COHORT_KEY[kind]))}) AS k(kind, pattern, start)
      GROUP BY 1, 2, 3, 4, 5
    )
    SELECT kind, coalesce(pattern, to_char(start, 'YYYY-MM-DD')) AS cohort, day, returned, visits FROM counted`;
  for (const row of rows) {
    const gaps = tallies.get(row.kind);
    if (!gaps) throw new Error(`cohort gaps came back for an unasked kind ${row.kind}`);
    if (row.cohort === null) {
      gaps.unassignedVisits += row.visits;
      continue;
    }
    const days = gaps.cohorts.get(row.cohort) ?? new Map<number, GapCounts>();
    gaps.cohorts.set(row.cohort, days);
    const counts = days.get(row.day) ?? { day: row.day, events: 0, censored: 0 };
    days.set(row.day, counts);
    if (row.returned) counts.events += row.visits;
    else counts.censored += row.visits;
  }
  return new Map(
    kinds.map((kind) => {
      const gaps = tallies.get(kind) ?? { cohorts: new Map<string, Map<number, GapCounts>>(), unassignedVisits: 0 };
      const cohorts = [...gaps.cohorts].sort(([a], [b]) => a.localeCompare(b)).map(([key, days]) => [key, [...days.values()].sort((a, b) => a.day - b.day)] as const);
      return [kind, { cohorts: new Map(cohorts), unassignedVisits: gaps.unassignedVisits }];
    }),
  );
}
