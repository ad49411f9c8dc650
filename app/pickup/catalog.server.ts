import { z } from "zod";
import type { AdminApi } from "../shopify/admin-api.server";
import type { FieldErrors, MenuItemInput } from "./settings.server";
import { shopifyNumericId } from "./settings.server";

/**
 * The shop's products and locations as the Admin GraphQL API lists them, for
 * the owner to choose the order-ahead menu and the pickup locations from.
 * Ids come back as numeric ids as text, like every other table of the app.
 */

/** Pages of 100 products read at most (10,000 products is far beyond a cafe's menu). */
const MAX_PRODUCT_PAGES = 100;

const PRODUCTS_QUERY = `#graphql
  query PickupProducts($after: String) {
    products(first: 100, after: $after, sortKey: TITLE) {
      nodes { id title variants(first: 50) { nodes { id title price } } }
      pageInfo { hasNextPage endCursor }
    }
  }`;

const LOCATIONS_QUERY = `#graphql
  query PickupLocations($after: String) {
    locations(first: 100, after: $after) {
      nodes { id name }
      pageInfo { hasNextPage endCursor }
    }
  }`;

const pageInfo = z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() });
const productsPage = z.object({
  products: z.object({
    nodes: z.array(
      z.object({
        id: z.string(),
        title: z.string(),
        variants: z.object({ nodes: z.array(z.object({ id: z.string(), title: z.string(), price: z.union([z.string(), z.number()]) })) }),
      }),
    ),
    pageInfo,
  }),
});
const locationsPage = z.object({ locations: z.object({ nodes: z.array(z.object({ id: z.string(), name: z.string() })), pageInfo }) });

export interface CatalogVariant {
  variantId: string;
  productId: string;
  /** "Oat latte" for a product's only (default) variant, "Oat latte – Large" otherwise. */
  title: string;
  price: string;
}

export interface CatalogProduct {
  productId: string;
  title: string;
  variants: CatalogVariant[];
}

/** An Admin API answer that is not the shape asked for. */
export class CatalogResponseError extends Error {
  constructor(what: string, detail: string) {
    super(`the Admin API's ${what} answer was not understood: ${detail}`);
    this.name = "CatalogResponseError";
  }
}

export async function loadCatalog(api: AdminApi): Promise<CatalogProduct[]> {
  const products: CatalogProduct[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_PRODUCT_PAGES; page++) {
    const parsed = productsPage.safeParse(await api.graphql(PRODUCTS_QUERY, { after }));
    if (!parsed.success) throw new CatalogResponseError("products", parsed.error.issues[0]?.message ?? "unexpected shape");
    for (const node of parsed.data.products.nodes) {
      const productId = shopifyNumericId(node.id, "Product");
      if (!productId) continue;
      const variants = node.variants.nodes.flatMap((variant) => {
        const variantId = shopifyNumericId(variant.id, "ProductVariant");
        if (!variantId) return [];
        const single = node.variants.nodes.length === 1 || variant.title === "Default Title";
        return [{ variantId, productId, title: single ? node.title : `${node.title} – ${variant.title}`, price: String(variant.price) }];
      });
      products.push({ productId, title: node.title, variants });
    }
    const { hasNextPage, endCursor } = parsed.data.products.pageInfo;
    if (!hasNextPage || !endCursor) break;
    after = endCursor;
  }
  return products;
}

export async function loadLocations(api: AdminApi): Promise<Array<{ locationId: string; name: string }>> {
  const locations: Array<{ locationId: string; name: string }> = [];
  let after: string | null = null;
  for (let page = 0; page < 10; page++) {
    const parsed = locationsPage.safeParse(await api.graphql(LOCATIONS_QUERY, { after }));
    if (!parsed.success) throw new CatalogResponseError("locations", parsed.error.issues[0]?.message ?? "unexpected shape");
    for (const node of parsed.data.locations.nodes) {
      const locationId = shopifyNumericId(node.id, "Location");
      if (locationId) locations.push({ locationId, name: node.name });
    }
    const { hasNextPage, endCursor } = parsed.data.locations.pageInfo;
    if (!hasNextPage || !endCursor) break;
    after = endCursor;
  }
  return locations;
}

export interface MenuSelection {
  variantId: string;
  isDrink: boolean;
  available: boolean;
}

/**
 * The menu the owner ticked, with titles and prices taken from the catalogue
 * (not from the form). A variant the catalogue no longer has is refused.
 */
export function menuFromSelection(catalog: readonly CatalogProduct[], selection: readonly MenuSelection[]): { ok: true; items: MenuItemInput[] } | { ok: false; errors: FieldErrors } {
  const variants = new Map(catalog.flatMap((product) => product.variants.map((variant) => [variant.variantId, variant] as const)));
  const items: MenuItemInput[] = [];
  for (const chosen of selection) {
    const variant = variants.get(chosen.variantId);
    if (!variant) return { ok: false, errors: { menu: `variant ${chosen.variantId} is no longer in the store; reload the page` } };
    items.push({ variantId: variant.variantId, productId: variant.productId, title: variant.title, price: normalisePrice(variant.price), isDrink: chosen.isDrink, available: chosen.available });
  }
  return { ok: true, items };
}

/** Admin API prices are decimal strings ("3.5", "3.50"); the menu keeps up to four decimals. */
function normalisePrice(price: string): string {
  const match = /^(\d{1,14})(?:\.(\d{1,4})\d*)?$/.exec(price.trim());
  return match ? `${match[1]}.${(match[2] ?? "").padEnd(2, "0")}` : price;
}
