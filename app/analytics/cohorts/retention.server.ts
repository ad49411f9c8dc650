import { Prisma } from "../../db/generated/client";
import type { Database } from "../../db/prisma.server";
import { assertNever } from "../../lib/assert-never";
import { runShopWideStatement } from "../bulk-sql.server";
import { dataEnd, localDateKey } from "./gaps.server";
import { buildRetentionMatrix, type RetentionCounts, type RetentionMatrix, type RetentionPeriod } from "./matrix";

/**
 * The retention matrix from the database: cohort sizes and, per cohort and
 * period since acquisition, the members with a visit, counted in SQL (one
 * row per cell reaches Node). Members count from the MemberFeature
 * acquisition week (Monday) or month of their first visit.
 */

/** The retention matrix of a shop up to `until` (a local date, capped at the latest visit). */
export async function retentionMatrix(db: Database, shop: string, options: { period: RetentionPeriod; until: Date; latestCohorts?: number }): Promise<RetentionMatrix> {
  const until = await dataEnd(db, shop, options.until);
  if (until === null) return { period: options.period, until: localDateKey(options.until), cohorts: [] };
  return buildRetentionMatrix(await loadRetentionCounts(db, shop, { period: options.period, until, latestCohorts: options.latestCohorts }), { period: options.period, until });
}

/**
 * The cohort's first day, the calendar period a visit falls in (its first
 * day), and whole periods between the two. Visits are reduced to distinct
 * (member, cohort, period start) before the period count is worked out on the
 * few grouped rows.
 */
function periodSql(period: RetentionPeriod): { start: Prisma.Sql; bucket: Prisma.Sql; since: Prisma.Sql } {
  switch (period) {
    case "week":
      return {
        start: Prisma.sql`f."acquisitionWeek"`,
        bucket: Prisma.sql`date_trunc('week', v."localDate"::timestamp)::date`,
        since: Prisma.sql`(bucket - cohort) / 7`,
      };
    case "month":
      return {
        start: Prisma.sql`f."acquisitionMonth"`,
        bucket: Prisma.sql`date_trunc('month', v."localDate"::timestamp)::date`,
        since: Prisma.sql`((extract(year FROM bucket) - extract(year FROM cohort)) * 12 + extract(month FROM bucket) - extract(month FROM cohort))::int`,
      };
    default:
      return assertNever(period, "retention period");
  }
}

/**
 * Cohort sizes and members active per period since acquisition, for members
 * first seen by `until`; with `latestCohorts`, only the latest that many
 * cohorts (the rest of the visits are not read).
 */
export async function loadRetentionCounts(db: Database, shop: string, options: { period: RetentionPeriod; until: string; latestCohorts?: number }): Promise<RetentionCounts> {
  if (options.latestCohorts !== undefined && (!Number.isInteger(options.latestCohorts) || options.latestCohorts < 1)) {
    throw new RangeError(`latestCohorts must be a whole number ≥ 1 (got ${options.latestCohorts})`);
  }
  const { start, bucket, since } = periodSql(options.period);
  const allSizes = await db.$queryRaw<Array<{ cohort: string; size: number }>>`
    SELECT to_char(${start}, 'YYYY-MM-DD') AS cohort, count(*)::int AS size
    FROM "MemberFeature" f
    WHERE f.shop = ${shop} AND f."firstVisitOn" <= ${options.until}::date
    GROUP BY 1`;
  // The earliest cohort kept; a cohort's members have no visit before its first day, so neither do the visits read.
  const kept = allSizes.filter((row) => row.size > 0).map((row) => row.cohort).sort();
  const from = options.latestCohorts === undefined ? undefined : kept[Math.max(0, kept.length - options.latestCohorts)];
  const sizes = from === undefined ? allSizes : allSizes.filter((row) => row.cohort >= from);
  const visitsFrom = from === undefined ? Prisma.empty : Prisma.sql`AND v."localDate" >= ${from}::date`;
  const cohortsFrom = from === undefined ? Prisma.empty : Prisma.sql`AND ${start} >= ${from}::date`;
  // Visits are first reduced to distinct (member, period) on their own, then joined to their members'
  // cohorts: joining all of a shop's visits first cost half as much again (bench:analytics).
  const active = await runShopWideStatement<{ cohort: string; period: number; members: number }>(db, Prisma.sql`
    SELECT to_char(cohort, 'YYYY-MM-DD') AS cohort, ${since} AS period, members
    FROM (
      SELECT ${start} AS cohort, d.bucket AS bucket, count(*)::int AS members
      FROM (
        SELECT DISTINCT v."customerId", ${bucket} AS bucket
        FROM "Visit" v
        WHERE v.shop = ${shop} AND v."localDate" <= ${options.until}::date ${visitsFrom}
      ) d
      JOIN "MemberFeature" f ON f.shop = ${shop} AND f."customerId" = d."customerId"
      WHERE f."firstVisitOn" <= ${options.until}::date ${cohortsFrom}
      GROUP BY 1, 2
    ) cells`);
  return { sizes, active };
}
