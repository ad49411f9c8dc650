import { z } from "zod";
import type { Database } from "../db/prisma.server";
import { shopifyNumericId } from "../pickup/settings.server";
import type { AdminApi } from "../shopify/admin-api.server";

/**
 * Item categories for the tasting audience: the product type the Admin API
 * gives each product (drink, pastry, …), stored on the shop's RecommendItem
 * rows by product id. Orders carry no product type, so this is a separate
 * read of the catalogue; the nightly computation keeps what was stored.
 */

/** Pages of 100 products read at most (10,000 products is far beyond a cafe's menu). */
const MAX_PRODUCT_PAGES = 100;

const PRODUCT_TYPES_QUERY = `#graphql
  query RecommendProductTypes($after: String) {
    products(first: 100, after: $after) {
      nodes { id productType }
      pageInfo { hasNextPage endCursor }
    }
  }`;

const productsPage = z.object({
  products: z.object({
    nodes: z.array(z.object({ id: z.string(), productType: z.string().nullable() })),
    pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullable() }),
  }),
});

/** Product id (numeric, as text) → product type, for products that have one. */
export async function loadProductTypes(api: AdminApi): Promise<Map<string, string>> {
  const types = new Map<string, string>();
  let after: string | null = null;
  for (let page = 0; page < MAX_PRODUCT_PAGES; page++) {
    const parsed = productsPage.safeParse(await api.graphql(PRODUCT_TYPES_QUERY, { after }));
    if (!parsed.success) throw new Error(`the Admin API's products answer was not understood: ${parsed.error.issues[0]?.message ?? "unexpected shape"}`);
    for (const node of parsed.data.products.nodes) {
      const productId = shopifyNumericId(node.id, "Product");
      const type = node.productType?.trim() ?? "";
      if (productId && type !== "") types.set(productId, type.toLowerCase());
    }
    const { hasNextPage, endCursor } = parsed.data.products.pageInfo;
    if (!hasNextPage || !endCursor) break;
    after = endCursor;
  }
  return types;
}

/** Sets each item's category from its product's type; returns the items updated. */
export async function storeItemCategories(db: Database, shop: string, types: ReadonlyMap<string, string>): Promise<number> {
  if (types.size === 0) return 0;
  return db.$executeRaw`
    UPDATE "RecommendItem" r SET category = t.type, "updatedAt" = now()
    FROM unnest(${[...types.keys()]}::text[], ${[...types.values()]}::text[]) AS t("productId", type)
    WHERE r.shop = ${shop} AND r."productId" = t."productId" AND r.category IS DISTINCT FROM t.type`;
}

export async function refreshItemCategories(db: Database, api: AdminApi): Promise<number> {
  return storeItemCategories(db, api.shop, await loadProductTypes(api));
}
