import type { Database } from "../db/prisma.server";
import { tastingAudience, type TastingCandidate } from "../recommend/tasting.server";
import { CAMPAIGN_LIMITS, CampaignDefinitionError, type DefinitionIssue, type Offer, type TastingOffer } from "./definition";

/**
 * A tasting campaign that names its new item (issue 9): the item must be one
 * the shop knows — an item of its orders (RecommendItem, by SKU/key or variant
 * id) or of its pickup menu (PickupMenuItem, by variant id) — and the ranking
 * must have something to rank by (a category, known or given, or similar
 * items). Checked when a campaign is stored, so a run never meets an item it
 * cannot rank; the offer itself is JSON on the Campaign row.
 */

export interface TastingItem {
  /** What the ranking matches: the item key when the shop has sold it, else the variant id. */
  ref: string;
  title: string;
  category: string | null;
}

/** The item a SKU or variant id names in this shop, or null. */
export async function findTastingItem(db: Database, shop: string, ref: string): Promise<TastingItem | null> {
  const sold =
    (await db.recommendItem.findUnique({ where: { shop_key: { shop, key: ref } }, select: { key: true, title: true, category: true } })) ??
    (await db.recommendItem.findFirst({ where: { shop, variantId: ref }, orderBy: { visits: "desc" }, select: { key: true, title: true, category: true } }));
  if (sold) return { ref: sold.key, title: sold.title, category: sold.category };
  const menu = await db.pickupMenuItem.findUnique({ where: { shop_variantId: { shop, variantId: ref } }, select: { variantId: true, title: true } });
  return menu ? { ref: menu.variantId, title: menu.title, category: null } : null;
}

/** What is wrong with a tasting offer's item in this shop, under the form's field names; [] when nothing is. */
export async function tastingOfferIssues(db: Database, shop: string, offer: Offer | null): Promise<DefinitionIssue[]> {
  const tasting = offer?.tasting;
  if (!tasting) return [];
  const item = await findTastingItem(db, shop, tasting.item);
  if (!item) {
    return [{ path: "offer.item", message: `there is no item "${tasting.item}" in this shop: give the SKU or variant id of an item it has sold or of its pickup menu` }];
  }
  if (!tasting.category && !item.category && tasting.similarTo.length === 0) {
    return [{ path: "offer.category", message: `no category is known for ${item.title} (${tasting.item}): give its category (such as pastry) or the items it is like (similarTo)` }];
  }
  return [];
}

/** Throws CampaignDefinitionError when the tasting offer's item cannot be ranked in this shop. */
export async function checkTastingOffer(db: Database, shop: string, offer: Offer | null): Promise<void> {
  const issues = await tastingOfferIssues(db, shop, offer);
  if (issues.length > 0) throw new CampaignDefinitionError(issues);
}

/** The tasting fields as stored in the offer's JSON: only those given, so other offers are stored as before. */
export function tastingColumns(tasting: TastingOffer) {
  return {
    item: tasting.item,
    ...(tasting.category === null ? {} : { category: tasting.category }),
    ...(tasting.similarTo.length === 0 ? {} : { similarTo: tasting.similarTo }),
    ...(tasting.audienceSize === null ? {} : { audienceSize: tasting.audienceSize }),
    ...(tasting.minScore === null ? {} : { minScore: tasting.minScore }),
  };
}

/** A run met an item the ranking cannot use (its category was removed since authoring); retrying will not help until it is put right. */
export class TastingAudienceError extends Error {
  constructor(shop: string, campaignId: string, detail: string) {
    super(`campaign ${campaignId} of ${shop} cannot rank its tasting audience: ${detail}`);
    this.name = "TastingAudienceError";
  }
}

/**
 * The shop's active members ranked by how likely they are to want to taste
 * the item, best first, those below `minScore` left out. Members who have
 * had it, or whose visits hold nothing like it, are not in the list.
 */
export async function rankTastingAudience(db: Database, shop: string, campaignId: string, tasting: TastingOffer): Promise<TastingCandidate[]> {
  const ranked = await tastingAudience(db, shop, {
    item: tasting.item,
    ...(tasting.category === null ? {} : { category: tasting.category }),
    similarTo: tasting.similarTo,
    limit: CAMPAIGN_LIMITS.maxAudienceSize,
  });
  if (!ranked.ok) throw new TastingAudienceError(shop, campaignId, ranked.message);
  return tasting.minScore === null ? ranked.members : ranked.members.filter((member) => member.score >= (tasting.minScore ?? 0));
}

export interface TastingItemChoice {
  value: string;
  label: string;
}

const CHOICE_LIMIT = 300;

/** Items for the form's picker: the pickup menu first (where a new item usually appears), then the items sold most. */
export async function tastingItemChoices(db: Database, shop: string): Promise<TastingItemChoice[]> {
  const [menu, sold] = await Promise.all([
    db.pickupMenuItem.findMany({ where: { shop }, select: { variantId: true, title: true }, orderBy: [{ title: "asc" }, { variantId: "asc" }], take: CHOICE_LIMIT }),
    db.recommendItem.findMany({ where: { shop }, select: { key: true, title: true, variantId: true, visits: true }, orderBy: [{ visits: "desc" }, { key: "asc" }], take: CHOICE_LIMIT }),
  ]);
  const soldVariants = new Map(sold.filter((item) => item.variantId !== null).map((item) => [item.variantId, item]));
  const choices: TastingItemChoice[] = [];
  for (const item of menu) {
    const known = soldVariants.get(item.variantId);
    choices.push({ value: item.variantId, label: `${item.title} · pickup menu${known ? ` · in ${known.visits.toLocaleString("en")} visits` : " · not sold yet"}` });
  }
  const listed = new Set(menu.map((item) => item.variantId));
  for (const item of sold) {
    if (item.variantId !== null && listed.has(item.variantId)) continue;
    choices.push({ value: item.key, label: `${item.title} (${item.key}) · in ${item.visits.toLocaleString("en")} visits` });
  }
  return choices.slice(0, CHOICE_LIMIT);
}

/** "the 120 members of Weekday regulars most likely to want to taste Fig tart", as the campaign page says it. */
export function describeTastingAudience(tasting: TastingOffer, itemTitle: string, segmentName: string | null): string {
  const of = segmentName ? ` of ${segmentName}` : " of the segment";
  const who = tasting.audienceSize === null ? `the members${of}` : `the ${tasting.audienceSize.toLocaleString("en")} members${of}`;
  const bar = tasting.minScore === null ? "" : ` (scoring at least ${tasting.minScore})`;
  const basis = tasting.category || tasting.similarTo.length > 0 ? `, judged by ${[tasting.category ? `the category ${tasting.category}` : "", tasting.similarTo.length > 0 ? `items like ${tasting.similarTo.join(", ")}` : ""].filter(Boolean).join(" and ")}` : "";
  return `${who} most likely to want to taste ${itemTitle}${bar}${basis}; members who have had it are left out`;
}
