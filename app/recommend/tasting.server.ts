import { z } from "zod";
import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { shopAnalyticsSettings } from "../analytics/dayparts";

/**
 * Who is most likely to want to taste a new menu item (issue 9): the shop's
 * active members who have not had it yet, ranked by affinity — the share of
 * their visits holding an item of the same category, and the share holding
 * one of the items it is like (`similarTo`), averaged over whichever of the
 * two is known — weighted by P(still a regular) from their features (BG/NBD),
 * so a lapsed fan of pastries ranks below a regular one. Where predictions are
 * withheld the weight is 1. Visits follow the recommendation baskets'
 * conventions (./compute.server.ts): merged customers count as their survivor.
 */

export const tastingInput = z.object({
  /** The new item: its key (SKU, …) or variant id. */
  item: z.string().trim().min(1, "item must not be empty").max(200, "item must be at most 200 characters"),
  /** Its category (the product type); taken from the item's RecommendItem row when absent. */
  category: z.string().trim().min(1, "category must not be empty").max(200).optional(),
  /** Items it is like (keys or variant ids). */
  similarTo: z.array(z.string().trim().min(1).max(200)).max(50, "at most 50 similar items").optional(),
  limit: z.number().int("limit must be a whole number").min(1, "limit must be at least 1").max(100_000).default(100),
});
export type TastingInput = z.input<typeof tastingInput>;

export interface TastingCandidate {
  customerId: string;
  score: number;
  visits: number;
  categoryShare: number | null;
  similarShare: number | null;
  pAlive: number | null;
}

export type TastingAudience =
  | { ok: true; item: string; category: string | null; similarTo: string[]; members: TastingCandidate[] }
  | { ok: false; message: string };

const row = z.object({
  customerId: z.string(),
  score: z.number(),
  visits: z.number(),
  categoryShare: z.number(),
  similarShare: z.number(),
  pAlive: z.number().nullable(),
});

export async function tastingAudience(db: Database, shop: string, input: TastingInput): Promise<TastingAudience> {
  const parsed = tastingInput.safeParse(input);
  if (!parsed.success) return { ok: false, message: parsed.error.issues.map((issue) => `${issue.path.join(".") || "input"}: ${issue.message}`).join("; ") };
  const { item, limit } = parsed.data;
  const known =
    (await db.recommendItem.findUnique({ where: { shop_key: { shop, key: item } } })) ??
    (await db.recommendItem.findFirst({ where: { shop, variantId: item }, orderBy: { visits: "desc" } }));
  const category = parsed.data.category ?? known?.category ?? null;
  const similarTo = await similarKeys(db, shop, parsed.data.similarTo ?? []);
  if (category === null && similarTo.length === 0) {
    return { ok: false, message: `no category is known for ${item} and no similar items were given: pass a category or items it is like` };
  }
  const itemKey = known?.key ?? item;
  const variantId = known?.variantId ?? item;
  const { timezone } = await shopAnalyticsSettings(db, shop);
  const categoryWeight = category === null ? 0 : 1;
  const similarWeight = similarTo.length === 0 ? 0 : 1;
  const rows = await db.$queryRaw<unknown[]>(Prisma.sql`
    WITH lines AS (
      SELECT COALESCE(a."survivorId", o."customerId") AS member,
        ((o."processedAt" AT TIME ZONE 'UTC') AT TIME ZONE ${timezone})::date AS day,
        COALESCE(o."locationId", 'online') AS place,
        COALESCE(NULLIF(li.sku, ''), NULLIF(li."variantId", ''), li.title) AS item, li."variantId"
      FROM "Order" o
      JOIN "LineItem" li ON li.shop = o.shop AND li."orderId" = o.id
      LEFT JOIN "CustomerAlias" a ON a.shop = o.shop AND a."customerId" = o."customerId"
      WHERE o.shop = ${shop} AND o."cancelledAt" IS NULL AND o."customerId" IS NOT NULL AND li.quantity > 0
    ),
    visits AS (
      SELECT l.member,
        COALESCE(bool_or(r.category = ${category}::text), false) AS in_category,
        bool_or(l.item = ANY(${similarTo}::text[])) AS is_similar,
        bool_or(l.item = ${itemKey} OR l."variantId" = ${variantId}) AS tasted
      FROM lines l
      LEFT JOIN "RecommendItem" r ON r.shop = ${shop} AND r.key = l.item
      GROUP BY l.member, l.day, l.place
    ),
    per_member AS (
      SELECT member, count(*)::int AS visits, avg(in_category::int)::float8 AS category_share,
        avg(is_similar::int)::float8 AS similar_share, bool_or(tasted) AS tasted
      FROM visits GROUP BY member
    ),
    members AS (
      SELECT DISTINCT COALESCE(a."survivorId", m."customerId") AS member
      FROM "Member" m LEFT JOIN "CustomerAlias" a ON a.shop = m.shop AND a."customerId" = m."customerId"
      WHERE m.shop = ${shop} AND m.status = 'active'
    ),
    scored AS (
      SELECT p.member, p.visits, p.category_share, p.similar_share, f."pAlive",
        (${categoryWeight}::float8 * p.category_share + ${similarWeight}::float8 * p.similar_share)
          / (${categoryWeight}::float8 + ${similarWeight}::float8) * COALESCE(f."pAlive", 1) AS score
      FROM per_member p
      JOIN members USING (member)
      LEFT JOIN "MemberFeature" f ON f.shop = ${shop} AND f."customerId" = p.member
      WHERE NOT p.tasted
    )
    SELECT member AS "customerId", score, visits, category_share AS "categoryShare", similar_share AS "similarShare", "pAlive"
    FROM scored WHERE score > 0
    ORDER BY score DESC, visits DESC, member
    LIMIT ${limit}::int`);
  const members = z.array(row).parse(rows).map((candidate) => ({
    ...candidate,
    categoryShare: category === null ? null : candidate.categoryShare,
    similarShare: similarTo.length === 0 ? null : candidate.similarShare,
  }));
  return { ok: true, item: itemKey, category, similarTo, members };
}

/** Similar items given by key or by variant id, as keys. */
async function similarKeys(db: Database, shop: string, given: readonly string[]): Promise<string[]> {
  if (given.length === 0) return [];
  const items = await db.recommendItem.findMany({ where: { shop, OR: [{ key: { in: [...given] } }, { variantId: { in: [...given] } }] }, select: { key: true } });
  return [...new Set([...given, ...items.map((entry) => entry.key)])];
}
