import { Prisma } from "../../db/generated/client";
import type { Database } from "../../db/prisma.server";
import { assertNever } from "../../lib/assert-never";
import { dataEnd, localDateKey } from "./gaps.server";
import { buildRetentionMatrix, type RetentionCounts, type RetentionMatrix, type RetentionPeriod } from "./matrix";

/**
 * The retention matrix from the database: cohort sizes and, per cohort and
 * period since acquisition, the members with a visit, counted in SQL (one
 * row per cell reaches Node). Members count from the MemberFeature
 * acquisition week (Monday) or month of their first visit.
 */

/** The retention matrix of a shop up to `until` (a local date, capped at the latest visit). */
export async function retentionMatrix(db: Database, shop: string, options: { period: RetentionPeriod; until: Date }): Promise<RetentionMatrix> {
  const until = await dataEnd(db, shop, options.until);
  if (until === null) return { period: options.period, until: localDateKey(options.until), cohorts: [] };
  return buildRetentionMatrix(await loadRetentionCounts(db, shop, { period: options.period, until }), { period: options.period, until });
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
        bucket: Prisma.sql`date_trunc('week', v."localDate")::date`,
        since: Prisma.sql`(bucket - cohort) / 7`,
      };
    case "month":
      return {
        start: Prisma.sql`f."acquisitionMonth"`,
        bucket: Prisma.sql`date_trunc('month', v."localDate")::date`,
        since: Prisma.sql`((extract(year FROM bucket) - extract(year FROM cohort)) * 12 + extract(month FROM bucket) - extract(month FROM cohort))::int`,
      };
    default:
      return assertNever(period, "retention period");
  }
}

/** Cohort sizes and members active per period since acquisition, for members first seen by `until`. */
export async function loadRetentionCounts(db: Database, shop: string, options: { period: RetentionPeriod; until: string }): Promise<RetentionCounts> {
  const { start, bucket, since } = periodSql(options.period);
  const sizes = await db.$queryRaw<Array<{ cohort: string; size: number }>>`
    SELECT to_char(${start}, 'YYYY-MM-DD') AS cohort, count(*)::int AS size
    FROM "MemberFeature" f
    WHERE f.shop = ${shop} AND f."firstVisitOn" <= ${options.until}::date
    GROUP BY 1`;
  const active = await db.$queryRaw<Array<{ cohort: string; period: number; members: number }>>`
    SELECT to_char(cohort, 'YYYY-MM-DD') AS cohort, ${since} AS period, members
    FROM (
      SELECT cohort, bucket, count(*)::int AS members
      FROM (
        SELECT DISTINCT v."customerId", ${start} AS cohort, ${bucket} AS bucket
        FROM "Visit" v
        JOIN "MemberFeature" f ON f.shop = v.shop AND f."customerId" = v."customerId"
        WHERE v.shop = ${shop} AND v."localDate" <= ${options.until}::date AND f."firstVisitOn" <= ${options.until}::date
      ) active
      GROUP BY cohort, bucket
    ) cells`;
  return { sizes, active };
}
