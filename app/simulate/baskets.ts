import { MENU, PARTNER_PASTRY, PARTNER_SHARE, type MenuCategory, type MenuItem } from "./menu";
import type { IdAllocator } from "./ids";
import type { Random } from "./random";

/**
 * What goes on a ticket. Money is integer cents throughout; prices are
 * tax-inclusive, as at a counter.
 */

export interface CatalogueItem extends MenuItem {
  productId: string;
  variantId: string;
  unitCents: number;
}

export type Catalogue = Record<MenuCategory, CatalogueItem[]>;

export interface BasketLine {
  item: CatalogueItem;
  quantity: number;
  /** Discount on the whole line. */
  discountCents: number;
}

/** Product and variant ids for the menu; items sharing a title are variants of one product. */
export function buildCatalogue(ids: IdAllocator): Catalogue {
  const catalogue: Catalogue = { drink: [], pastry: [], brunch: [], retail: [] };
  const products = new Map<string, string>();
  for (const item of MENU) {
    const productId = products.get(item.title) ?? String(ids.next("Product"));
    products.set(item.title, productId);
    catalogue[item.category].push({ ...item, productId, variantId: String(ids.next("ProductVariant")), unitCents: Math.round(Number(item.price) * 100) });
  }
  return catalogue;
}

export function line(item: CatalogueItem, quantity = 1): BasketLine {
  return { item, quantity, discountCents: 0 };
}

/** A till rings the same item twice as one line with quantity 2. */
export function mergeLines(lines: readonly BasketLine[]): BasketLine[] {
  const merged = new Map<string, BasketLine>();
  for (const entry of lines) {
    const held = merged.get(entry.item.sku);
    merged.set(entry.item.sku, held ? { ...held, quantity: held.quantity + entry.quantity, discountCents: held.discountCents + entry.discountCents } : entry);
  }
  return [...merged.values()];
}

export function basketCents(lines: readonly BasketLine[]): number {
  return lines.reduce((sum, entry) => sum + entry.item.unitCents * entry.quantity - entry.discountCents, 0);
}

/**
 * What refunding `quantity` units of a line gives back: the unit price after
 * the line's discount, as Shopify (and the stand-in's `applyRefund`) compute it.
 */
export function refundCents(entry: BasketLine, quantity: number): number {
  return Math.round(((entry.item.unitCents * entry.quantity - entry.discountCents) / entry.quantity) * quantity);
}

/** A member's occasional 10 % off the first line. */
export function withMemberDiscount(lines: BasketLine[]): BasketLine[] {
  return lines.map((entry, index) =>
    index === 0 ? { ...entry, discountCents: Math.round(entry.item.unitCents * entry.quantity * 0.1) } : entry,
  );
}

/** The pastry planted as `drink`'s partner (menu.ts), if the catalogue has it. */
export function partnerOf(catalogue: Catalogue, drink: CatalogueItem): CatalogueItem | null {
  const sku = PARTNER_PASTRY[drink.sku];
  return catalogue.pastry.find((item) => item.sku === sku) ?? null;
}

/** A customer's usual drink and pastry; the pastry is never the drink's planted partner, so the partner stays a discovery. */
export function usualOrder(random: Random, catalogue: Catalogue): { usualDrink: CatalogueItem; usualPastry: CatalogueItem } {
  const usualDrink = random.pick(catalogue.drink);
  const partner = partnerOf(catalogue, usualDrink);
  return { usualDrink, usualPastry: random.pick(catalogue.pastry.filter((item) => item !== partner)) };
}

/**
 * The planted affinity: each drink on a ticket brings its partner pastry along
 * with probability PARTNER_SHARE (own stream, so the other draws stay put).
 */
export function withPartners(random: Random, catalogue: Catalogue, lines: BasketLine[]): BasketLine[] {
  const partners = lines.flatMap((entry) => {
    const partner = entry.item.category === "drink" ? partnerOf(catalogue, entry.item) : null;
    return partner && random.chance(PARTNER_SHARE) ? [line(partner)] : [];
  });
  return partners.length === 0 ? lines : mergeLines([...lines, ...partners]);
}

export function commuterBasket(random: Random, catalogue: Catalogue, usual: { drink: CatalogueItem; pastry: CatalogueItem }): BasketLine[] {
  const lines = [line(usual.drink)];
  if (random.chance(0.35)) lines.push(line(usual.pastry));
  // A coffee for a colleague.
  if (random.chance(0.08)) lines.push(line(random.pick(catalogue.drink)));
  return mergeLines(lines);
}

/** Brunch is a table: a drink each, plates or pastries to share. */
export function brunchBasket(random: Random, catalogue: Catalogue): BasketLine[] {
  const people = random.weighted([[1, 20], [2, 45], [3, 20], [4, 15]] as const);
  const lines = Array.from({ length: people }, () => line(random.pick(catalogue.drink)));
  for (let i = 0; i < Math.max(1, people - random.int(0, 1)); i++) lines.push(line(random.pick(catalogue.brunch)));
  if (random.chance(0.4)) lines.push(line(random.pick(catalogue.pastry), random.int(1, 2)));
  return mergeLines(lines);
}

export function studentBasket(random: Random, catalogue: Catalogue, usual: { drink: CatalogueItem; pastry: CatalogueItem }): BasketLine[] {
  const lines = [line(random.chance(0.7) ? usual.drink : random.pick(catalogue.drink))];
  if (random.chance(0.2)) lines.push(line(random.pick(catalogue.drink)));
  if (random.chance(0.4)) lines.push(line(random.chance(0.6) ? usual.pastry : random.pick(catalogue.pastry)));
  return mergeLines(lines);
}

export function walkInBasket(random: Random, catalogue: Catalogue): BasketLine[] {
  const lines: BasketLine[] = [];
  if (random.chance(0.92)) lines.push(line(random.pick(catalogue.drink), random.chance(0.15) ? 2 : 1));
  if (lines.length === 0 || random.chance(0.35)) lines.push(line(random.pick(random.chance(0.75) ? catalogue.pastry : catalogue.brunch)));
  return mergeLines(lines);
}

/** Beans (and now and then a cup) bought online for delivery. */
export function onlineRetailBasket(random: Random, catalogue: Catalogue): BasketLine[] {
  const beans = catalogue.retail.filter((item) => item.sku.startsWith("BEAN"));
  const lines = [line(random.pick(beans), random.int(1, 2))];
  const cup = catalogue.retail.find((item) => item.sku === "CUP");
  if (cup && random.chance(0.15)) lines.push(line(cup));
  return mergeLines(lines);
}
