import { randomBytes } from "node:crypto";
import { MENU } from "../app/simulate/menu.ts";
import { gid } from "./ids.ts";
import { fromCents, toCents } from "./money.ts";
import type { ResourceType } from "./ids.ts";
import type { Cart, CartLine, NoteAttribute, Product, ProductVariant, StorefrontAccessToken } from "./types.ts";

/**
 * The shop's catalogue (products and their variants), Storefront API tokens
 * and carts: what the order-ahead flow needs from Shopify. Kept apart from
 * `store.ts`; the store calls these with its own clock and id counters.
 */

export interface ProductInput {
  title: string;
  productType?: string;
  status?: Product["status"];
  /** One entry per variant; a product without options has one, titled "Default Title". */
  variants: Array<{ title?: string; price: string; sku?: string | null }>;
}

export interface CatalogContext {
  nextId(type: ResourceType): number;
  now: string;
  vendor: string;
}

export function handleize(title: string): string {
  return title
    .toLowerCase()
    .replace(/&/g, "and")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

export function buildProduct(input: ProductInput, context: CatalogContext): Product {
  if (input.title.trim() === "") throw new Error("a product needs a title");
  if (input.variants.length === 0) throw new Error(`product ${input.title} needs at least one variant`);
  const productId = gid("Product", context.nextId("Product"));
  const variants: ProductVariant[] = input.variants.map((variant) => ({
    id: gid("ProductVariant", context.nextId("ProductVariant")),
    productId,
    title: variant.title ?? "Default Title",
    price: fromCents(toCents(variant.price)),
    sku: variant.sku ?? null,
  }));
  return {
    id: productId,
    title: input.title.trim(),
    handle: handleize(input.title),
    productType: input.productType ?? "",
    vendor: context.vendor,
    status: input.status ?? "ACTIVE",
    createdAt: context.now,
    updatedAt: context.now,
    variants,
  };
}

/** The cafe menu of `app/simulate/menu.ts` as products: one per title, a variant per SKU (Latte: whole or oat milk). */
export function menuProductInputs(): ProductInput[] {
  const byTitle = new Map<string, ProductInput>();
  for (const item of MENU) {
    const product = byTitle.get(item.title) ?? { title: item.title, productType: item.category, variants: [] };
    product.variants.push({ title: item.variantTitle, price: item.price, sku: item.sku });
    byTitle.set(item.title, product);
  }
  return [...byTitle.values()];
}

export function findVariant(products: Iterable<Product>, variantId: string): { product: Product; variant: ProductVariant } | null {
  for (const product of products) {
    const variant = product.variants.find((candidate) => candidate.id === variantId);
    if (variant) return { product, variant };
  }
  return null;
}

export function buildStorefrontToken(title: string, context: CatalogContext): StorefrontAccessToken {
  return {
    id: gid("StorefrontAccessToken", context.nextId("StorefrontAccessToken")),
    accessToken: randomBytes(16).toString("hex"),
    title,
    createdAt: context.now,
  };
}

export interface CartInput {
  lines: Array<{ merchandiseId: string; quantity: number }>;
  attributes: NoteAttribute[];
  buyerEmail: string | null;
}

export interface CartUserError {
  field: string[];
  message: string;
  code: string;
}

/** Shopify's limits on a cart attribute (the key and value are stored on the order as a note attribute). */
const ATTRIBUTE_KEY_MAX = 255;
const ATTRIBUTE_VALUE_MAX = 5000;
const LINE_QUANTITY_MAX = 1_000_000;

/** What cartCreate refuses: merchandise that does not exist, quantities out of range, attributes too long. */
export function validateCartInput(input: CartInput, products: Iterable<Product>): CartUserError[] {
  const errors: CartUserError[] = [];
  const catalogue = [...products];
  input.lines.forEach((line, index) => {
    const field = ["input", "lines", String(index)];
    const found = findVariant(catalogue, line.merchandiseId);
    if (!found || found.product.status !== "ACTIVE") {
      errors.push({ field: [...field, "merchandiseId"], code: "INVALID", message: `The merchandise with id ${line.merchandiseId} does not exist.` });
    }
    if (!Number.isInteger(line.quantity) || line.quantity < 1 || line.quantity > LINE_QUANTITY_MAX) {
      errors.push({ field: [...field, "quantity"], code: "INVALID", message: "The quantity must be a positive number." });
    }
  });
  input.attributes.forEach((attribute, index) => {
    if (attribute.name.length === 0 || attribute.name.length > ATTRIBUTE_KEY_MAX || attribute.value.length > ATTRIBUTE_VALUE_MAX) {
      errors.push({ field: ["input", "attributes", String(index)], code: "INVALID", message: "Attribute key or value is too long." });
    }
  });
  return errors;
}

export function buildCart(input: CartInput, context: CatalogContext): Cart {
  const token = `hWN${randomBytes(12).toString("hex")}`;
  const key = randomBytes(16).toString("hex");
  // Lines of the same merchandise are merged, as Shopify merges them.
  const merged = new Map<string, number>();
  for (const line of input.lines) merged.set(line.merchandiseId, (merged.get(line.merchandiseId) ?? 0) + line.quantity);
  const lines: CartLine[] = [...merged].map(([merchandiseId, quantity]) => ({
    id: gid("CartLine", context.nextId("CartLine")),
    merchandiseId,
    quantity,
  }));
  return {
    id: `gid://shopify/Cart/${token}?key=${key}`,
    token,
    key,
    lines,
    attributes: input.attributes.map((attribute) => ({ name: attribute.name, value: attribute.value })),
    buyerEmail: input.buyerEmail,
    createdAt: context.now,
    updatedAt: context.now,
    orderId: null,
  };
}

export function cartSubtotal(cart: Cart, products: Iterable<Product>): string {
  const catalogue = [...products];
  let cents = 0;
  for (const line of cart.lines) {
    const found = findVariant(catalogue, line.merchandiseId);
    if (found) cents += toCents(found.variant.price) * line.quantity;
  }
  return fromCents(cents);
}
