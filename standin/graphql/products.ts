import { legacyId } from "../ids.ts";
import type { Product, ProductVariant, StorefrontAccessToken } from "../types.ts";
import { connection, type SortValue } from "./connection.ts";
import { GqlObject, QueryError, type Args, type ResolveContext } from "./execute.ts";
import type { AdminScope } from "./root.ts";
import { matchesSearch, parseSearchQuery, type FieldValue } from "./search.ts";

/**
 * The catalogue in Admin GraphQL (`products`, `product`, `productVariant`;
 * read_products) and the Storefront API tokens an app makes for itself
 * (`storefrontAccessTokenCreate`, `shop.storefrontAccessTokens`). Variant
 * `price` is the Money scalar (a decimal string), as in API 2024-04 and later.
 */

const value = <T extends string | number | boolean | null>(v: T) => () => v;

const PRODUCT_SEARCH_FIELDS: Record<string, (product: Product) => FieldValue> = {
  id: (product) => legacyId(product.id),
  title: (product) => product.title,
  handle: (product) => product.handle,
  status: (product) => product.status.toLowerCase(),
  product_type: (product) => product.productType,
  created_at: (product) => product.createdAt,
  updated_at: (product) => product.updatedAt,
};

const PRODUCT_SORT_KEYS: Record<string, (product: Product) => SortValue> = {
  ID: (product) => legacyId(product.id),
  TITLE: (product) => product.title.toLowerCase(),
  CREATED_AT: (product) => product.createdAt,
  UPDATED_AT: (product) => product.updatedAt,
  PRODUCT_TYPE: (product) => product.productType,
  RELEVANCE: (product) => legacyId(product.id),
};

function requireReadProducts(scope: AdminScope, field: string, context: ResolveContext): void {
  if (context.validating) return;
  if (!scope.scopes.has("read_products") && !scope.scopes.has("write_products")) {
    throw new QueryError(`Access denied for ${field} field. Required access: \`read_products\` access scope.`, {
      path: [field],
      extensions: { code: "ACCESS_DENIED", requiredAccess: "`read_products` access scope." },
    });
  }
}

export function variantObject(scope: AdminScope, product: Product, variant: ProductVariant): GqlObject {
  return new GqlObject(
    "ProductVariant",
    {
      id: value(variant.id),
      legacyResourceId: value(String(legacyId(variant.id))),
      title: value(variant.title),
      displayName: value(`${product.title} - ${variant.title}`),
      price: value(variant.price),
      compareAtPrice: value(null),
      sku: value(variant.sku),
      availableForSale: value(product.status === "ACTIVE"),
      createdAt: value(product.createdAt),
      updatedAt: value(product.updatedAt),
      product: () => productObject(scope, product),
    },
    ["Node"],
  );
}

export function productObject(scope: AdminScope, product: Product): GqlObject {
  return new GqlObject(
    "Product",
    {
      id: value(product.id),
      legacyResourceId: value(String(legacyId(product.id))),
      title: value(product.title),
      handle: value(product.handle),
      status: value(product.status),
      productType: value(product.productType),
      vendor: value(product.vendor),
      createdAt: value(product.createdAt),
      updatedAt: value(product.updatedAt),
      totalVariants: value(product.variants.length),
      hasOnlyDefaultVariant: value(product.variants.length === 1 && product.variants[0]?.title === "Default Title"),
      variantsCount: () => new GqlObject("Count", { count: value(product.variants.length), precision: value("EXACT") }),
      variants: (args: Args, context: ResolveContext) =>
        connection(
          {
            typename: "ProductVariantConnection",
            fieldName: "variants",
            items: product.variants,
            sortValue: (variant) => legacyId(variant.id),
            numericId: (variant) => legacyId(variant.id),
            toNode: (variant) => variantObject(scope, product, variant),
          },
          args,
          context,
        ),
    },
    ["Node"],
  );
}

function storefrontTokenObject(token: StorefrontAccessToken): GqlObject {
  return new GqlObject(
    "StorefrontAccessToken",
    {
      id: value(token.id),
      accessToken: value(token.accessToken),
      title: value(token.title),
      createdAt: value(token.createdAt),
      updatedAt: value(token.createdAt),
      accessScopes: () =>
        ["unauthenticated_read_product_listings", "unauthenticated_write_checkouts"].map((handle) => new GqlObject("AccessScope", { handle: value(handle), description: value(handle) })),
    },
    ["Node"],
  );
}

const SAMPLE_TOKEN: StorefrontAccessToken = { id: "gid://shopify/StorefrontAccessToken/1", accessToken: "sample", title: "Sample", createdAt: "2025-01-01T12:00:00Z" };

/** `shop.storefrontAccessTokens(first:)`. */
export function shopStorefrontTokensField(scope: AdminScope): GqlObject["fields"] {
  return {
    storefrontAccessTokens: (args: Args, context: ResolveContext) =>
      connection(
        {
          typename: "StorefrontAccessTokenConnection",
          fieldName: "storefrontAccessTokens",
          items: context.validating ? [SAMPLE_TOKEN] : [...scope.state.storefrontTokens.values()],
          sortValue: (token) => legacyId(token.id),
          numericId: (token) => legacyId(token.id),
          toNode: storefrontTokenObject,
        },
        args,
        context,
      ),
  };
}

export function productQueries(scope: AdminScope): GqlObject["fields"] {
  const catalogue = () => [...scope.state.products.values()];
  const findVariant = (id: unknown, anyOfType: boolean) => {
    for (const product of catalogue()) {
      const variant = product.variants.find((candidate) => anyOfType || candidate.id === id);
      if (variant) return variantObject(scope, product, variant);
    }
    return null;
  };
  return {
    products: (args: Args, context: ResolveContext) => {
      requireReadProducts(scope, "products", context);
      const requested = args.sortKey ?? "ID";
      const sortValue = typeof requested === "string" ? PRODUCT_SORT_KEYS[requested] : undefined;
      if (!sortValue) {
        throw new QueryError(`Argument 'sortKey' on Field 'products' has an invalid value (${String(requested)}). Expected type 'ProductSortKeys'.`, {
          extensions: { code: "argumentLiteralsIncompatible", typeName: "Field", argumentName: "sortKey" },
        });
      }
      const items =
        context.validating || typeof args.query !== "string" || args.query.trim() === ""
          ? catalogue()
          : catalogue().filter((product) => matchesSearch(product, parseSearchQuery(String(args.query)), PRODUCT_SEARCH_FIELDS));
      return connection(
        { typename: "ProductConnection", fieldName: "products", items, sortValue, numericId: (p) => legacyId(p.id), toNode: (p) => productObject(scope, p) },
        args,
        context,
      );
    },
    productsCount: () => new GqlObject("Count", { count: value(scope.state.products.size), precision: value("EXACT") }),
    product: (args: Args, context: ResolveContext) => {
      requireReadProducts(scope, "product", context);
      const found = catalogue().find((product) => context.validating || product.id === args.id);
      return found ? productObject(scope, found) : null;
    },
    productVariant: (args: Args, context: ResolveContext) => {
      requireReadProducts(scope, "productVariant", context);
      return findVariant(args.id, context.validating);
    },
  };
}

/** Shopify lets an app make up to 100 Storefront API tokens per shop. */
const MAX_STOREFRONT_TOKENS = 100;

export function storefrontTokenMutations(scope: AdminScope): GqlObject["fields"] {
  const userError = (field: string[], message: string) => new GqlObject("UserError", { field: () => field, message: value(message) });
  return {
    storefrontAccessTokenCreate: (args: Args, context: ResolveContext) => {
      if (context.validating || context.dryRun) {
        return new GqlObject("StorefrontAccessTokenCreatePayload", {
          storefrontAccessToken: () => storefrontTokenObject(SAMPLE_TOKEN),
          userErrors: () => [userError(["input", "title"], "sample")],
          shop: () => new GqlObject("Shop", { id: value("gid://shopify/Shop/1") }),
        });
      }
      const input = args.input !== null && typeof args.input === "object" && !Array.isArray(args.input) ? args.input : {};
      const title = typeof input.title === "string" ? input.title.trim() : "";
      const shop = scope.state.info.myshopifyDomain;
      const errors =
        title === ""
          ? [userError(["input", "title"], "Title can't be blank")]
          : scope.state.storefrontTokens.size >= MAX_STOREFRONT_TOKENS
            ? [userError(["input"], "Maximum number of storefront access tokens reached")]
            : [];
      const token = errors.length === 0 ? scope.store.createStorefrontToken(shop, title) : null;
      return new GqlObject("StorefrontAccessTokenCreatePayload", {
        storefrontAccessToken: () => (token ? storefrontTokenObject(token) : null),
        userErrors: () => errors,
        shop: () => new GqlObject("Shop", { id: value(`gid://shopify/Shop/${scope.state.info.id}`) }),
      });
    },
  };
}
