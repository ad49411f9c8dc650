import type { Database } from "../db/prisma.server";

/**
 * What the nightly computation (./compute.server.ts) left for a member or an
 * item, for the barista's view, the member card, the order-ahead page and the
 * CLI. Reads only: nothing here computes.
 */

export interface RecommendedItem {
  /** The item key: SKU, else variant id, else title. */
  item: string;
  title: string;
  score: number;
  /** For a suggestion, the member's item it goes with; null for the usual order. */
  becauseOf: string | null;
  becauseOfTitle: string | null;
}

export interface MemberRecommendations {
  usual: RecommendedItem[];
  suggestions: RecommendedItem[];
}

/** A merged customer's recommendations are their survivor's (CustomerAlias). */
async function survivor(db: Database, shop: string, customerId: string): Promise<string> {
  const alias = await db.customerAlias.findUnique({ where: { shop_customerId: { shop, customerId } }, select: { survivorId: true } });
  return alias?.survivorId ?? customerId;
}

/** The member's usual order and suggestions by rank; empty arrays when nothing was computed for them. */
export async function memberRecommendations(db: Database, shop: string, customerId: string): Promise<MemberRecommendations> {
  const member = await survivor(db, shop, customerId);
  const rows = await db.memberRecommendation.findMany({ where: { shop, customerId: member }, orderBy: [{ kind: "asc" }, { rank: "asc" }] });
  const keys = [...new Set(rows.flatMap((row) => (row.becauseOf ? [row.item, row.becauseOf] : [row.item])))];
  const titles = await itemTitles(db, shop, keys);
  const view = (row: (typeof rows)[number]): RecommendedItem => ({
    item: row.item,
    title: titles.get(row.item) ?? row.item,
    score: row.score,
    becauseOf: row.becauseOf,
    becauseOfTitle: row.becauseOf ? (titles.get(row.becauseOf) ?? row.becauseOf) : null,
  });
  return {
    usual: rows.filter((row) => row.kind === "usual").map(view),
    suggestions: rows.filter((row) => row.kind === "suggestion").map(view),
  };
}

export interface ItemPartner {
  item: string;
  title: string;
  /** P(partner in a visit | item in it), and that over P(partner in a visit). */
  confidence: number;
  lift: number;
  /** Visits holding both, and the distinct members behind them. */
  together: number;
  members: number;
  rank: number;
}

export interface ItemView {
  item: string;
  title: string;
  category: string | null;
  productId: string | null;
  variantId: string | null;
  visits: number;
  partners: ItemPartner[];
}

/**
 * An item by key, or by variant id (the order-ahead menu and the POS know
 * variants), with its top partners; null when the shop has no such item.
 */
export async function itemRecommendations(db: Database, shop: string, itemOrVariant: string, limit = 5): Promise<ItemView | null> {
  const found =
    (await db.recommendItem.findUnique({ where: { shop_key: { shop, key: itemOrVariant } } })) ??
    (await db.recommendItem.findFirst({ where: { shop, variantId: itemOrVariant }, orderBy: { visits: "desc" } }));
  if (!found) return null;
  const affinities = await db.itemAffinity.findMany({ where: { shop, item: found.key }, orderBy: { rank: "asc" }, take: limit });
  const titles = await itemTitles(db, shop, affinities.map((row) => row.partner));
  return {
    item: found.key,
    title: found.title,
    category: found.category,
    productId: found.productId,
    variantId: found.variantId,
    visits: found.visits,
    partners: affinities.map((row) => ({
      item: row.partner,
      title: titles.get(row.partner) ?? row.partner,
      confidence: row.confidence,
      lift: row.lift,
      together: row.together,
      members: row.members,
      rank: row.rank,
    })),
  };
}

async function itemTitles(db: Database, shop: string, keys: readonly string[]): Promise<Map<string, string>> {
  if (keys.length === 0) return new Map();
  const items = await db.recommendItem.findMany({ where: { shop, key: { in: [...keys] } }, select: { key: true, title: true } });
  return new Map(items.map((item) => [item.key, item.title]));
}
