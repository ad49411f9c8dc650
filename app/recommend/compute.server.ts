import { z } from "zod";
import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import { isLocalDate } from "../analytics/local-dates";

/**
 * Personal recommendations from co-occurrence over visits (issue 9), computed
 * by the nightly recompute in set-based SQL, one shop at a time.
 *
 * A basket is the distinct items of one visit: one customer on one shop-local
 * day at one location (DESIGN.md), cancelled orders left out, a merged
 * customer counted as their survivor (CustomerAlias). An item is its SKU, else
 * its variant id, else its title, so a till without SKUs still groups lines.
 *
 * - RecommendItem: every item with the visits holding it (title, product and
 *   variant as most lines name them; the category, set from the Admin API's
 *   product type by `storeItemCategories`, is kept across recomputes).
 * - ItemAffinity: "members who order X also like Y" — for each pair seen
 *   together in at least MIN_TOGETHER visits of at least MIN_MEMBERS distinct
 *   members, confidence P(Y | X) and lift P(Y | X) / P(Y), ranked per item by
 *   confidence (then lift). The support floor keeps one regular's habit, or a
 *   handful of visits, from becoming everyone's suggestion.
 * - MemberRecommendation: the usual order (items in at least USUAL_SHARE of
 *   the member's visits and at least USUAL_MIN_VISITS of them, at most
 *   MAX_USUAL) and suggestions (at most MAX_SUGGESTIONS items outside the
 *   usual order, scored Σ over the member's items i of share(i) ×
 *   confidence(i → candidate); `becauseOf` is the item contributing most).
 *
 * Everything is rewritten in one transaction, so readers see the previous
 * night's rows or this night's, never a mix; a rerun gives the same rows.
 */

/** Visits holding both items, at least. */
export const MIN_TOGETHER = 20;
/** Distinct members behind those visits, at least. */
export const MIN_MEMBERS = 5;
/** An item is part of the usual order from this share of the member's visits… */
export const USUAL_SHARE = 0.4;
/** …and from this many of their visits. */
export const USUAL_MIN_VISITS = 2;
export const MAX_USUAL = 3;
export const MAX_SUGGESTIONS = 3;

export interface ComputeRecommendationsOptions {
  /** Last shop-local date whose visits count (inclusive, UTC midnight); every visit when absent. */
  until?: Date;
}

export interface ComputeRecommendationsResult {
  visits: number;
  items: number;
  affinities: number;
  /** Members with a usual order or a suggestion. */
  members: number;
}

const summaryRow = z.tuple([z.object({ visits: z.number(), items: z.number(), affinities: z.number(), members: z.number() })]);

// Prisma's 5 s default would abort a large shop's run; an hour bounds a stuck one.
const LONG_TRANSACTION = { maxWait: 60_000, timeout: 3_600_000 };

export async function computeRecommendations(db: Database, shop: string, opts: ComputeRecommendationsOptions = {}): Promise<ComputeRecommendationsResult> {
  if (opts.until !== undefined && !isLocalDate(opts.until)) {
    throw new RangeError(`until must be a local date (a Date at UTC midnight of the shop-local day), got ${String(opts.until)}`);
  }
  const { timezone } = await shopAnalyticsSettings(db, shop);
  const localDay = Prisma.sql`((o."processedAt" AT TIME ZONE 'UTC') AT TIME ZONE ${timezone})::date`;
  const untilFilter = opts.until ? Prisma.sql`AND ${localDay} <= ${opts.until}::date` : Prisma.empty;
  const results = await db.$transaction(
    [
      db.$executeRaw`SET LOCAL work_mem = '128MB'`,
      db.$executeRaw`SET LOCAL jit = off`,
      db.$executeRaw`CREATE TEMP TABLE rec_line (member text, day date, place text, item text, title text, "productId" text, "variantId" text) ON COMMIT DROP`,
      db.$executeRaw`
        INSERT INTO rec_line
        SELECT COALESCE(a."survivorId", o."customerId"), ${localDay}, COALESCE(o."locationId", 'online'),
          COALESCE(NULLIF(li.sku, ''), NULLIF(li."variantId", ''), li.title), li.title, li."productId", li."variantId"
        FROM "Order" o
        JOIN "LineItem" li ON li.shop = o.shop AND li."orderId" = o.id
        LEFT JOIN "CustomerAlias" a ON a.shop = o.shop AND a."customerId" = o."customerId"
        WHERE o.shop = ${shop} AND o."cancelledAt" IS NULL AND o."customerId" IS NOT NULL AND li.quantity > 0 ${untilFilter}`,
      db.$executeRaw`CREATE TEMP TABLE rec_basket (member text, visit int, item text) ON COMMIT DROP`,
      db.$executeRaw`
        INSERT INTO rec_basket
        SELECT DISTINCT member, dense_rank() OVER (ORDER BY member, day, place)::int, item FROM rec_line`,
      db.$executeRaw`CREATE TEMP TABLE rec_item (item text PRIMARY KEY, visits int) ON COMMIT DROP`,
      db.$executeRaw`INSERT INTO rec_item SELECT item, count(*)::int FROM rec_basket GROUP BY item`,
      db.$executeRaw`ANALYZE rec_basket`,
      db.$executeRaw`
        INSERT INTO "RecommendItem" (shop, key, title, "productId", "variantId", visits, "updatedAt")
        SELECT ${shop}, n.item, n.title, n."productId", n."variantId", i.visits, now()
        FROM (
          SELECT DISTINCT ON (item) item, title, "productId", "variantId"
          FROM rec_line GROUP BY item, title, "productId", "variantId"
          ORDER BY item, count(*) DESC, title, "variantId"
        ) n
        JOIN rec_item i ON i.item = n.item
        ORDER BY n.item
        ON CONFLICT (shop, key) DO UPDATE SET title = EXCLUDED.title, "productId" = EXCLUDED."productId",
          "variantId" = EXCLUDED."variantId", visits = EXCLUDED.visits, "updatedAt" = now()`,
      db.$executeRaw`DELETE FROM "RecommendItem" r WHERE r.shop = ${shop} AND NOT EXISTS (SELECT 1 FROM rec_item i WHERE i.item = r.key)`,
      db.$executeRaw`DELETE FROM "ItemAffinity" WHERE shop = ${shop}`,
      db.$executeRaw`
        WITH total AS (SELECT count(DISTINCT visit)::float8 AS visits FROM rec_basket),
        pairs AS (
          SELECT a.item, b.item AS partner, count(*)::int AS together, count(DISTINCT a.member)::int AS members
          FROM rec_basket a JOIN rec_basket b ON b.visit = a.visit AND b.item <> a.item
          GROUP BY a.item, b.item
          HAVING count(*) >= ${MIN_TOGETHER}::int AND count(DISTINCT a.member) >= ${MIN_MEMBERS}::int
        ),
        scored AS (
          SELECT p.*, p.together::float8 / i.visits AS confidence,
            (p.together::float8 / i.visits) / (j.visits::float8 / t.visits) AS lift
          FROM pairs p JOIN rec_item i ON i.item = p.item JOIN rec_item j ON j.item = p.partner CROSS JOIN total t
        )
        INSERT INTO "ItemAffinity" (shop, item, partner, together, members, confidence, lift, rank)
        SELECT ${shop}, item, partner, together, members, confidence, lift,
          row_number() OVER (PARTITION BY item ORDER BY confidence DESC, lift DESC, partner)::int
        FROM scored`,
      db.$executeRaw`DELETE FROM "MemberRecommendation" WHERE shop = ${shop}`,
      db.$executeRaw`CREATE TEMP TABLE rec_member_item (member text, item text, visits int, share float8, usual boolean, PRIMARY KEY (member, item)) ON COMMIT DROP`,
      db.$executeRaw`
        INSERT INTO rec_member_item
        SELECT member, item, count(*)::int, count(*)::float8 / max(v.visits),
          count(*)::float8 / max(v.visits) >= ${USUAL_SHARE}::float8 AND count(*) >= ${USUAL_MIN_VISITS}::int
        FROM rec_basket b
        JOIN (SELECT member AS m, count(DISTINCT visit)::float8 AS visits FROM rec_basket GROUP BY member) v ON v.m = b.member
        -- A redacted customer's orders keep a pseudonym for the aggregates; nobody is left to recommend to.
        WHERE member NOT LIKE 'redacted-%'
        GROUP BY member, item`,
      db.$executeRaw`ANALYZE rec_member_item`,
      db.$executeRaw`
        INSERT INTO "MemberRecommendation" (shop, "customerId", kind, rank, item, score, "becauseOf")
        SELECT ${shop}, member, 'usual', rank, item, share, NULL
        FROM (
          SELECT member, item, share, row_number() OVER (PARTITION BY member ORDER BY share DESC, visits DESC, item)::int AS rank
          FROM rec_member_item WHERE usual
        ) usual
        WHERE rank <= ${MAX_USUAL}::int`,
      db.$executeRaw`
        WITH contributions AS (
          -- Candidates outside the usual order (every item that qualifies, not only the three shown).
          SELECT m.member, f.partner AS candidate, m.item AS because, m.share * f.confidence AS part
          FROM rec_member_item m
          JOIN "ItemAffinity" f ON f.shop = ${shop} AND f.item = m.item
          LEFT JOIN rec_member_item held ON held.member = m.member AND held.item = f.partner
          WHERE held.usual IS NOT TRUE
        ),
        scored AS (
          SELECT member, candidate, sum(part) AS score, (array_agg(because ORDER BY part DESC, because))[1] AS because
          FROM contributions GROUP BY member, candidate
        ),
        ranked AS (
          SELECT *, row_number() OVER (PARTITION BY member ORDER BY score DESC, candidate)::int AS rank FROM scored
        )
        INSERT INTO "MemberRecommendation" (shop, "customerId", kind, rank, item, score, "becauseOf")
        SELECT ${shop}, member, 'suggestion', rank, candidate, score, because FROM ranked WHERE rank <= ${MAX_SUGGESTIONS}::int`,
      db.$queryRaw<ComputeRecommendationsResult[]>`
        SELECT (SELECT count(DISTINCT visit) FROM rec_basket)::int AS visits,
          (SELECT count(*) FROM rec_item)::int AS items,
          (SELECT count(*) FROM "ItemAffinity" WHERE shop = ${shop})::int AS affinities,
          (SELECT count(DISTINCT "customerId") FROM "MemberRecommendation" WHERE shop = ${shop})::int AS members`,
    ],
    LONG_TRANSACTION,
  );
  const summary = summaryRow.safeParse(results.at(-1));
  if (!summary.success) throw new Error(`recommendations for ${shop} returned no summary row`);
  return summary.data[0];
}
