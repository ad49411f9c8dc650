import type { Database } from "../db/prisma.server";
import { memberRecommendations } from "./recommend.server";

/**
 * "You might also like" on the order-ahead page: the member's suggestions
 * that can be ordered ahead right now, matched to the pickup menu by variant
 * (an item's key is its SKU, so the match goes through the variant the
 * recommendation item was last sold as, or a key that is the variant id).
 */
export interface MenuSuggestion {
  variantId: string;
  title: string;
  /** The member's item it goes with, for the line "goes with your …". */
  becauseOfTitle: string | null;
}

export async function menuSuggestions(db: Database, shop: string, customerId: string, menu: ReadonlyArray<{ variantId: string; title: string }>): Promise<MenuSuggestion[]> {
  const { suggestions } = await memberRecommendations(db, shop, customerId);
  if (suggestions.length === 0 || menu.length === 0) return [];
  const items = await db.recommendItem.findMany({ where: { shop, key: { in: suggestions.map((entry) => entry.item) } }, select: { key: true, variantId: true } });
  const variantOf = new Map(items.map((item) => [item.key, item.variantId]));
  const onMenu = new Map(menu.map((item) => [item.variantId, item]));
  return suggestions.flatMap((entry) => {
    const item = onMenu.get(variantOf.get(entry.item) ?? entry.item);
    return item ? [{ variantId: item.variantId, title: item.title, becauseOfTitle: entry.becauseOfTitle }] : [];
  });
}
