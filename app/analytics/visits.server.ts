import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { shopAnalyticsSettings, type AnalyticsSettings, type DaypartSetting } from "./dayparts";
import { customerScope } from "./scope";
import { firstLoadParts, insertOrMerge, runForMembers, type LoadPart, type MergeCounts } from "./bulk-sql.server";
import { membersWithAliases, shopHasAliases } from "../merges/aliases.server";

export interface RebuildVisitsOptions {
  /** Rebuild only these customers' visits (the incremental path); all of the shop's when absent. */
  customerIds?: string[];
  /** The shop's settings when the caller has already read them. */
  settings?: AnalyticsSettings;
}

export interface RebuildVisitsResult {
  /** Visits the rebuilt scope holds now. */
  visits: number;
  /** Visits inserted or changed, and visits removed (their orders were cancelled or moved). */
  written: number;
  removed: number;
}

/**
 * Derives visits from orders (DESIGN.md): one customer on one shop-local day at
 * one location, orders of that visit merged; cancelled and guest orders make
 * no visit; spend is the orders' totals less their refunds. The label, weekday
 * and minute are those of the visit's first order in the shop's zone.
 *
 * One statement computes the visits, compares them with the stored ones and
 * writes only the difference: new and changed visits are upserted in key
 * order, vanished ones deleted. A rerun writes nothing, the change is atomic
 * without a long interactive transaction, and a nightly rebuild of a large
 * shop touches only the visits that moved. A shop without any visit yet
 * skips the comparison (insertOrMerge). See
 * docs/decisions/0011-visits-and-features.md.
 *
 * Merged customers (CustomerAlias, docs/merges.md): an order counts for the
 * customer its customer is merged into. A member-scoped rebuild widens the
 * scope to everyone whose orders make those members' visits; the whole-shop
 * rebuild joins the aliases only when the shop has any, so the plan of a shop
 * without merges is the plain one.
 */
export async function rebuildVisits(db: Database, shop: string, opts: RebuildVisitsOptions = {}): Promise<RebuildVisitsResult> {
  const scope = customerScope(opts.customerIds);
  if (scope.kind === "none") return { visits: 0, written: 0, removed: 0 };
  const settings = opts.settings ?? (await shopAnalyticsSettings(db, shop));
  let rows: MergeCounts[];
  if (scope.kind === "some") {
    const members = await membersWithAliases(db, shop, scope.ids);
    rows = await runForMembers<MergeCounts>(db, shop, members, visitMergeSql(shop, settings, members));
  } else {
    const aliased = await shopHasAliases(db, shop);
    const parts = await firstLoadParts(db);
    rows = await insertOrMerge<MergeCounts>(db, async () => (await db.visit.findFirst({ where: { shop }, select: { shop: true } })) !== null, {
      insert: Array.from({ length: parts }, (_, part) => visitInsertSql(shop, settings, aliased, { part, of: parts })),
      merge: visitMergeSql(shop, settings, null, aliased),
    });
  }
  if (rows.length === 0) throw new Error(`visit rebuild for ${shop} returned no summary row`);
  return rows.reduce((sum, row) => ({ visits: sum.visits + row.fresh, written: sum.written + row.written, removed: sum.removed + row.removed }), { visits: 0, written: 0, removed: 0 });
}

const VISIT_COLUMNS = Prisma.raw(
  `"customerId", "localDate", "locationKey", "firstOrderAt", "lastOrderAt", orders, spend, weekday, "localMinute", label, pos, web, pickup`,
);
const VISIT_KEY = Prisma.raw(`"customerId", "localDate", "locationKey"`);
// A member update may have written the same visit since the statement's snapshot.
const ON_VISIT_CONFLICT = Prisma.raw(`ON CONFLICT (shop, "customerId", "localDate", "locationKey") DO UPDATE SET
  "firstOrderAt" = EXCLUDED."firstOrderAt", "lastOrderAt" = EXCLUDED."lastOrderAt", orders = EXCLUDED.orders,
  spend = EXCLUDED.spend, weekday = EXCLUDED.weekday, "localMinute" = EXCLUDED."localMinute",
  label = EXCLUDED.label, pos = EXCLUDED.pos, web = EXCLUDED.web, pickup = EXCLUDED.pickup`);

/**
 * The visits the orders make now (CTE `fresh`), for the whole shop or some
 * customers. With `aliased`, an order's customer is mapped through
 * CustomerAlias; a customer list must then hold every customer whose orders
 * make its members' visits (`membersWithAliases`).
 */
function freshVisitsSql(shop: string, settings: AnalyticsSettings, customerIds: string[] | null, aliased: boolean, slice?: LoadPart): Prisma.Sql {
  const customer = aliased ? Prisma.sql`COALESCE(a."survivorId", o."customerId")` : Prisma.sql`o."customerId"`;
  const orderScope = customerIds
    ? Prisma.sql`AND o."customerId" = ANY(${customerIds}::text[])`
    : slice && slice.of > 1
      ? Prisma.sql`AND (hashtext(${customer}) & ${slice.of - 1}::int) = ${slice.part}::int`
      : Prisma.empty;
  const aliasJoin = aliased ? Prisma.sql`LEFT JOIN "CustomerAlias" a ON a.shop = o.shop AND a."customerId" = o."customerId"` : Prisma.empty;
  return Prisma.sql`
    grouped AS (
      SELECT "customerId", local_at::date AS "localDate", "locationKey",
        min("processedAt") AS "firstOrderAt", max("processedAt") AS "lastOrderAt", count(*)::int AS orders,
        sum("totalPrice" - "refundedAmount") AS spend, min(local_at) AS first_local,
        bool_or(channel = 'pos') AS pos, bool_or(channel = 'web') AS web, bool_or(pickup) AS pickup
      FROM (
        SELECT ${customer} AS "customerId", COALESCE(o."locationId", 'online') AS "locationKey",
          -- processedAt holds UTC without a zone: read it as UTC, then show it on the shop's wall clock.
          (o."processedAt" AT TIME ZONE 'UTC') AT TIME ZONE ${settings.timezone} AS local_at,
          o."processedAt", o."totalPrice", o."refundedAmount", o.channel,
          -- An order-ahead order carries its hold (app/pickup/attributes.ts); imported and simulated histories a pickup time.
          (o."noteAttributes" @> '[{"name":"_regulars_pickup_hold"}]'::jsonb OR o."noteAttributes" @> '[{"name":"pickup_at"}]'::jsonb) AS pickup
        FROM "Order" o ${aliasJoin}
        WHERE o.shop = ${shop} AND o."cancelledAt" IS NULL AND o."customerId" IS NOT NULL ${orderScope}
      ) o
      GROUP BY "customerId", local_at::date, "locationKey"
    ),
    timed AS (
      -- date_part, not extract: extract returns numeric, several times slower over millions of rows.
      SELECT g.*, date_part('dow', g."localDate")::int AS weekday,
        (date_part('hour', g.first_local) * 60 + date_part('minute', g.first_local))::int AS "localMinute"
      FROM grouped g
    ),
    fresh AS (
      SELECT "customerId", "localDate", "locationKey", "firstOrderAt", "lastOrderAt", orders, spend, weekday, "localMinute",
        ${labelSql(settings.dayparts)} AS label, pos, web, pickup
      FROM timed
    )`;
}

/**
 * A shop's first rebuild: nothing to compare with, so the visits are inserted
 * in key order (index inserts stay local; the grouping already sorts by key).
 * On a PostgreSQL server the load comes in parts run at once (`insertOrMerge`):
 * until the last part commits, readers see part of the shop's first visits.
 */
export function visitInsertSql(shop: string, settings: AnalyticsSettings, aliased = false, slice?: LoadPart): Prisma.Sql {
  return Prisma.sql`
    WITH ${freshVisitsSql(shop, settings, null, aliased, slice)},
    written AS (
      INSERT INTO "Visit" (shop, ${VISIT_COLUMNS})
      SELECT ${shop}, ${VISIT_COLUMNS} FROM fresh ORDER BY ${VISIT_KEY}
      RETURNING 1
    )
    SELECT count(*)::int AS fresh, count(*)::int AS written, 0 AS removed FROM written`;
}

/**
 * Compares the fresh visits with the stored ones and writes only the
 * difference. A customer list is always read through the aliases (it must
 * come from `membersWithAliases`); the whole shop only when `aliased`.
 */
export function visitMergeSql(shop: string, settings: AnalyticsSettings, customerIds: string[] | null, aliased = customerIds !== null): Prisma.Sql {
  const visitScope = customerIds ? Prisma.sql`AND "customerId" = ANY(${customerIds}::text[])` : Prisma.empty;
  return Prisma.sql`
    WITH ${freshVisitsSql(shop, settings, customerIds, aliased)},
    counted AS MATERIALIZED (SELECT count(*)::int AS n FROM fresh),
    changes AS MATERIALIZED (
      SELECT COALESCE(f."customerId", v."customerId") AS "customerId", COALESCE(f."localDate", v."localDate") AS "localDate",
        COALESCE(f."locationKey", v."locationKey") AS "locationKey", f."customerId" IS NULL AS gone,
        f."firstOrderAt", f."lastOrderAt", f.orders, f.spend, f.weekday, f."localMinute", f.label, f.pos, f.web, f.pickup
      FROM fresh f
      FULL JOIN (SELECT * FROM "Visit" WHERE shop = ${shop} ${visitScope}) v
        ON v."customerId" = f."customerId" AND v."localDate" = f."localDate" AND v."locationKey" = f."locationKey"
      WHERE f."customerId" IS NULL OR v."customerId" IS NULL
        OR (v."firstOrderAt", v."lastOrderAt", v.orders, v.spend, v.weekday, v."localMinute", v.label, v.pos, v.web, v.pickup)
          IS DISTINCT FROM (f."firstOrderAt", f."lastOrderAt", f.orders, f.spend, f.weekday, f."localMinute", f.label, f.pos, f.web, f.pickup)
    ),
    written AS (
      INSERT INTO "Visit" (shop, ${VISIT_COLUMNS})
      SELECT ${shop}, ${VISIT_COLUMNS} FROM changes WHERE NOT gone ORDER BY ${VISIT_KEY}
      ${ON_VISIT_CONFLICT}
      RETURNING 1
    ),
    removed AS (
      DELETE FROM "Visit" v USING changes c
      WHERE c.gone AND v.shop = ${shop}
        AND v."customerId" = c."customerId" AND v."localDate" = c."localDate" AND v."locationKey" = c."locationKey"
      RETURNING 1
    )
    SELECT (SELECT n FROM counted) AS fresh, (SELECT count(*) FROM written)::int AS written,
      (SELECT count(*) FROM removed)::int AS removed`;
}

/**
 * The label of the visit's first order, computed in SQL from the shop's
 * dayparts (bound as parameters): `weekday-` or `weekend-` and the daypart's
 * name; null outside every daypart (text || NULL is NULL).
 */
function labelSql(dayparts: readonly DaypartSetting[]): Prisma.Sql {
  const minute = Prisma.sql`"localMinute"`;
  const cases = dayparts.map(
    (d) => Prisma.sql`WHEN ${minute} >= ${Math.round(d.from * 60)}::int AND ${minute} < ${Math.round(d.to * 60)}::int THEN ${d.name}::text`,
  );
  return Prisma.sql`(CASE WHEN weekday IN (0, 6) THEN 'weekend-' ELSE 'weekday-' END || CASE ${Prisma.join(cases, " ")} END)`;
}
