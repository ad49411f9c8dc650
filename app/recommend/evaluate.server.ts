import { z } from "zod";
import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import { computeRecommendations, type ComputeRecommendationsResult } from "./compute.server";
import { scoreHoldout, type HoldoutScore, type MemberHoldout } from "./evaluate";

/**
 * Held-out evaluation on a shop's own orders: recommendations are computed
 * from the visits up to `cutoff` only (stored as the shop's recommendations),
 * then each member's visits after it are the test set. Used by the acceptance
 * test and `npm run bench:recommend`; it rewrites the shop's recommendation
 * tables, so run it on a simulated or copied shop, not a live one.
 */

export interface HoldoutEvaluation extends HoldoutScore {
  computed: ComputeRecommendationsResult;
  /** Each member's first suggestion (item key), for checks against a planted truth. */
  firstSuggestion: Map<string, string>;
  /** Each member's usual order. */
  usual: Map<string, Set<string>>;
  /** The shop's items by visits before the cutoff, most popular first. */
  popular: string[];
}

const heldOutRow = z.object({ member: z.string(), items: z.array(z.string()) });

export async function holdoutEvaluation(db: Database, shop: string, opts: { cutoff: Date; k?: number }): Promise<HoldoutEvaluation> {
  const k = opts.k ?? 3;
  const computed = await computeRecommendations(db, shop, { until: opts.cutoff });
  const [items, rows, { timezone }] = await Promise.all([
    db.recommendItem.findMany({ where: { shop }, orderBy: [{ visits: "desc" }, { key: "asc" }], select: { key: true } }),
    db.memberRecommendation.findMany({ where: { shop }, orderBy: [{ customerId: "asc" }, { kind: "asc" }, { rank: "asc" }] }),
    shopAnalyticsSettings(db, shop),
  ]);
  const popular = items.map((item) => item.key);
  const heldOut = z.array(heldOutRow).parse(
    await db.$queryRaw<unknown[]>(Prisma.sql`
      SELECT COALESCE(a."survivorId", o."customerId") AS member,
        array_agg(DISTINCT COALESCE(NULLIF(li.sku, ''), NULLIF(li."variantId", ''), li.title)) AS items
      FROM "Order" o
      JOIN "LineItem" li ON li.shop = o.shop AND li."orderId" = o.id
      LEFT JOIN "CustomerAlias" a ON a.shop = o.shop AND a."customerId" = o."customerId"
      WHERE o.shop = ${shop} AND o."cancelledAt" IS NULL AND o."customerId" IS NOT NULL AND li.quantity > 0
        AND ((o."processedAt" AT TIME ZONE 'UTC') AT TIME ZONE ${timezone})::date > ${opts.cutoff}::date
      GROUP BY 1`),
  );
  const usual = new Map<string, Set<string>>();
  const suggestions = new Map<string, string[]>();
  for (const row of rows) {
    if (row.kind === "usual") usual.set(row.customerId, (usual.get(row.customerId) ?? new Set()).add(row.item));
    else suggestions.set(row.customerId, [...(suggestions.get(row.customerId) ?? []), row.item]);
  }
  const members: MemberHoldout[] = heldOut.map((row) => ({
    suggestions: suggestions.get(row.member) ?? [],
    usual: usual.get(row.member) ?? new Set(),
    heldOut: new Set(row.items),
  }));
  const firstSuggestion = new Map([...suggestions].flatMap(([member, list]) => (list[0] ? [[member, list[0]] as const] : [])));
  return { ...scoreHoldout(members, popular, k), computed, firstSuggestion, usual, popular };
}
