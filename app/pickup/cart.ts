import { failure, type PickupFailure } from "./errors";

/**
 * A member's order-ahead cart as it arrives (app proxy, tests), checked line
 * by line before any database work. Pure.
 */

/** At most this many of one variant on one order (a cafe order, not a catering run). */
export const MAX_QUANTITY_PER_LINE = 20;
/** At most this many lines and items on one order. */
export const MAX_LINES = 20;
export const MAX_ITEMS_PER_ORDER = 50;

export interface CartLine {
  /** Shopify's numeric variant id as text. */
  variantId: string;
  quantity: number;
}

const VARIANT = /^[1-9][0-9]{0,19}$/;
const VARIANT_GID = "gid://shopify/ProductVariant/";

/**
 * Validates the lines and merges repeated variants. Returns the first
 * problem, naming the line (`items.2.quantity`).
 */
export function parseCartLines(input: unknown): { ok: true; lines: CartLine[] } | PickupFailure {
  if (!Array.isArray(input)) return failure("cart-empty", "items", "choose at least one item to order");
  if (input.length === 0) return failure("cart-empty", "items", "choose at least one item to order");
  if (input.length > MAX_LINES) return failure("cart-too-large", "items", `an order can have at most ${MAX_LINES} lines`);
  const merged = new Map<string, number>();
  for (const [index, raw] of input.entries()) {
    const line: unknown = raw;
    if (typeof line !== "object" || line === null) return failure("item-not-on-menu", `items.${index}`, `item ${index + 1} must name a variant and a quantity`);
    const variantRaw: unknown = Reflect.get(line, "variantId");
    const quantity: unknown = Reflect.get(line, "quantity");
    const bare = typeof variantRaw === "string" && variantRaw.startsWith(VARIANT_GID) ? variantRaw.slice(VARIANT_GID.length) : variantRaw;
    if (typeof bare !== "string" || !VARIANT.test(bare)) {
      return failure("item-not-on-menu", `items.${index}.variantId`, `item ${index + 1} does not name a product variant (got ${JSON.stringify(variantRaw) ?? "nothing"})`);
    }
    if (typeof quantity !== "number" || !Number.isInteger(quantity)) {
      return failure("quantity-invalid", `items.${index}.quantity`, `the quantity of item ${index + 1} must be a whole number (got ${JSON.stringify(quantity) ?? "nothing"})`);
    }
    if (quantity <= 0) return failure("quantity-invalid", `items.${index}.quantity`, `the quantity of item ${index + 1} must be at least 1 (got ${quantity})`);
    const total = (merged.get(bare) ?? 0) + quantity;
    if (total > MAX_QUANTITY_PER_LINE) {
      return failure("quantity-invalid", `items.${index}.quantity`, `at most ${MAX_QUANTITY_PER_LINE} of one item per order (got ${total})`);
    }
    merged.set(bare, total);
  }
  const lines = [...merged].map(([variantId, quantity]) => ({ variantId, quantity }));
  const items = lines.reduce((sum, line) => sum + line.quantity, 0);
  if (items > MAX_ITEMS_PER_ORDER) return failure("cart-too-large", "items", `an order can have at most ${MAX_ITEMS_PER_ORDER} items (got ${items})`);
  return { ok: true, lines };
}
