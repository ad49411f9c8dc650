import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { customerScope } from "./scope";
import { firstLoadParts, insertOrMerge, runForMembers, type LoadPart, type MergeCounts } from "./bulk-sql.server";

export interface RecomputeFeaturesOptions {
  /** Recompute only these customers' features (the incremental path); all of the shop's when absent. */
  customerIds?: string[];
}

export interface RecomputeFeaturesResult {
  /** Members with features in the recomputed scope. */
  members: number;
  /** Feature rows inserted or changed, and rows removed (the member has no visit left). */
  written: number;
  removed: number;
}

/**
 * Member features from visits, in one statement: first/last visit, visit
 * count, spend, gaps between consecutive distinct visit days (count, median,
 * interquartile range), the dominant pattern (the label holding more than
 * half of the visits, else `mixed`) with the share of the most common label,
 * the usual local minute (median), channel counts and the acquisition week
 * (Monday) and month.
 *
 * Only feature columns are written: predictions (pAlive, due window, …) stay
 * until `updatePredictions` recomputes them. Unchanged rows are not rewritten,
 * so `computedAt` is when a member's features last changed and a rerun writes
 * nothing. Recency and tenure depend on the day they are read: see
 * `memberTiming` in ./local-dates.
 */
export async function recomputeFeatures(db: Database, shop: string, opts: RecomputeFeaturesOptions = {}): Promise<RecomputeFeaturesResult> {
  const scope = customerScope(opts.customerIds);
  if (scope.kind === "none") return { members: 0, written: 0, removed: 0 };
  let rows: MergeCounts[];
  if (scope.kind === "some") {
    rows = await runForMembers<MergeCounts>(db, shop, scope.ids, featureMergeSql(shop, scope.ids));
  } else {
    const parts = await firstLoadParts(db);
    rows = await insertOrMerge<MergeCounts>(db, async () => (await db.memberFeature.findFirst({ where: { shop }, select: { shop: true } })) !== null, {
      insert: Array.from({ length: parts }, (_, part) => featureInsertSql(shop, { part, of: parts })),
      merge: featureMergeSql(shop, null),
    });
  }
  if (rows.length === 0) throw new Error(`feature recompute for ${shop} returned no summary row`);
  return rows.reduce((sum, row) => ({ members: sum.members + row.fresh, written: sum.written + row.written, removed: sum.removed + row.removed }), { members: 0, written: 0, removed: 0 });
}

const FEATURE_COLUMNS = [
  "firstVisitOn",
  "lastVisitOn",
  "visitCount",
  "totalSpend",
  "avgSpend",
  "gapCount",
  "gapMedianDays",
  "gapSpreadDays",
  "pattern",
  "patternShare",
  "usualMinute",
  "posVisits",
  "webVisits",
  "pickupVisits",
  "acquisitionWeek",
  "acquisitionMonth",
] as const;

const FEATURE_UPDATES = Prisma.raw(FEATURE_COLUMNS.map((column) => `"${column}" = EXCLUDED."${column}"`).join(", "));

/** `alias."column", …` over the feature columns (identifiers from the constant list above, never input). */
function columns(alias: string): Prisma.Sql {
  return Prisma.raw(FEATURE_COLUMNS.map((column) => `${alias ? `${alias}.` : ""}"${column}"`).join(", "));
}

/** Each member's features as the visits make them now (CTE `fresh`). */
function freshFeaturesSql(shop: string, customerIds: string[] | null, slice?: LoadPart): Prisma.Sql {
  const visitScope = customerIds
    ? Prisma.sql`AND "customerId" = ANY(${customerIds}::text[])`
    : slice && slice.of > 1
      ? Prisma.sql`AND (hashtext("customerId") & ${slice.of - 1}::int) = ${slice.part}::int`
      : Prisma.empty;
  return Prisma.sql`
    visits AS (
      SELECT "customerId", "localDate", spend, "localMinute", pos, web, pickup,
        -- Two locations on one day are two visits but one visit day: their gap of 0 is no gap.
        NULLIF("localDate" - lag("localDate") OVER (PARTITION BY "customerId" ORDER BY "localDate"), 0) AS gap
      FROM "Visit"
      WHERE shop = ${shop} ${visitScope}
    ),
    base AS (
      SELECT "customerId", min("localDate") AS first_visit, max("localDate") AS last_visit, count(*)::int AS visit_count,
        sum(spend) AS total_spend, count(gap)::int AS gap_count,
        percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY gap::float8) AS gap_quartiles,
        round(percentile_cont(0.5) WITHIN GROUP (ORDER BY "localMinute"::float8))::int AS usual_minute,
        count(*) FILTER (WHERE pos)::int AS pos_visits, count(*) FILTER (WHERE web)::int AS web_visits,
        count(*) FILTER (WHERE pickup)::int AS pickup_visits
      FROM visits
      GROUP BY "customerId"
    ),
    top_label AS (
      -- The most common label; ties go to the first label alphabetically so reruns agree.
      SELECT DISTINCT ON ("customerId") "customerId", label, n
      FROM (
        SELECT "customerId", label, count(*)::int AS n FROM "Visit"
        WHERE shop = ${shop} ${visitScope} AND label IS NOT NULL
        GROUP BY "customerId", label
      ) label_counts
      ORDER BY "customerId", n DESC, label
    ),
    fresh AS (
      SELECT b."customerId", b.first_visit AS "firstVisitOn", b.last_visit AS "lastVisitOn", b.visit_count AS "visitCount",
        b.total_spend AS "totalSpend", round(b.total_spend / b.visit_count, 4) AS "avgSpend", b.gap_count AS "gapCount",
        b.gap_quartiles[2] AS "gapMedianDays", b.gap_quartiles[3] - b.gap_quartiles[1] AS "gapSpreadDays",
        CASE WHEN t.n * 2 > b.visit_count THEN t.label ELSE 'mixed' END AS pattern,
        COALESCE(t.n, 0)::float8 / b.visit_count AS "patternShare",
        b.usual_minute AS "usualMinute", b.pos_visits AS "posVisits", b.web_visits AS "webVisits", b.pickup_visits AS "pickupVisits",
        date_trunc('week', b.first_visit::timestamp)::date AS "acquisitionWeek",
        date_trunc('month', b.first_visit::timestamp)::date AS "acquisitionMonth"
      FROM base b LEFT JOIN top_label t ON t."customerId" = b."customerId"
    )`;
}

/**
 * A shop's first recompute: nothing to compare with, so the rows are inserted
 * in key order, in parts run at once on a PostgreSQL server (as the visits).
 */
function featureInsertSql(shop: string, slice?: LoadPart): Prisma.Sql {
  return Prisma.sql`
    WITH ${freshFeaturesSql(shop, null, slice)},
    written AS (
      INSERT INTO "MemberFeature" (shop, "customerId", ${columns("")}, "computedAt")
      SELECT ${shop}, "customerId", ${columns("")}, now() FROM fresh ORDER BY "customerId"
      RETURNING 1
    )
    SELECT count(*)::int AS fresh, count(*)::int AS written, 0 AS removed FROM written`;
}

/**
 * Compares the fresh features with the stored ones and writes only the
 * difference. `extra`, an expression that may read the CTE `fresh`, is
 * returned beside the counts as column `extra` (a member update reads its
 * members' gap rows so).
 */
export function featureMergeSql(shop: string, customerIds: string[] | null, extra?: Prisma.Sql): Prisma.Sql {
  const featureScope = customerIds ? Prisma.sql`AND "customerId" = ANY(${customerIds}::text[])` : Prisma.empty;
  return Prisma.sql`
    WITH ${freshFeaturesSql(shop, customerIds)},
    counted AS MATERIALIZED (SELECT count(*)::int AS n FROM fresh),
    changes AS MATERIALIZED (
      SELECT COALESCE(f."customerId", m."customerId") AS "customerId", f."customerId" IS NULL AS gone, ${columns("f")}
      FROM fresh f
      FULL JOIN (SELECT * FROM "MemberFeature" WHERE shop = ${shop} ${featureScope}) m ON m."customerId" = f."customerId"
      WHERE f."customerId" IS NULL OR m."customerId" IS NULL OR (${columns("m")}) IS DISTINCT FROM (${columns("f")})
    ),
    written AS (
      INSERT INTO "MemberFeature" (shop, "customerId", ${columns("")}, "computedAt")
      SELECT ${shop}, "customerId", ${columns("")}, now()
      FROM changes WHERE NOT gone
      ORDER BY "customerId"
      -- Only feature columns: the predictions stay until updatePredictions rewrites them.
      ON CONFLICT (shop, "customerId") DO UPDATE SET ${FEATURE_UPDATES}, "computedAt" = now()
      RETURNING 1
    ),
    removed AS (
      DELETE FROM "MemberFeature" m USING changes c
      WHERE c.gone AND m.shop = ${shop} AND m."customerId" = c."customerId"
      RETURNING 1
    )
    SELECT (SELECT n FROM counted) AS fresh, (SELECT count(*) FROM written)::int AS written,
      (SELECT count(*) FROM removed)::int AS removed${extra ? Prisma.sql`, ${extra} AS extra` : Prisma.empty}`;
}
