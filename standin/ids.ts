/**
 * Shopify ids: a numeric id in REST payloads and a global id
 * (`gid://shopify/Order/5401234567890`) in GraphQL. Both name the same object,
 * so the stand-in keeps the gid and derives the number.
 */

export type ResourceType =
  | "Customer"
  | "Order"
  | "LineItem"
  | "Location"
  | "Refund"
  | "BulkOperation"
  | "Product"
  | "ProductVariant"
  | "DiscountCodeNode"
  | "StorefrontAccessToken"
  | "CartLine"
  | "Shop";

export function gid(type: ResourceType, id: number): string {
  return `gid://shopify/${type}/${id}`;
}

const GID_PATTERN = /^gid:\/\/shopify\/([A-Za-z]+)\/(\d+)(?:\?.*)?$/;

export function parseGid(value: string): { type: string; id: number } | null {
  const match = GID_PATTERN.exec(value);
  if (!match || match[1] === undefined || match[2] === undefined) return null;
  return { type: match[1], id: Number(match[2]) };
}

/** The numeric id of a gid; throws on anything that is not one (a bug in the caller). */
export function legacyId(value: string): number {
  const parsed = parseGid(value);
  if (!parsed) throw new Error(`not a Shopify global id: ${value}`);
  return parsed.id;
}

/**
 * Real ids are 11–14 digit numbers; starting each counter in that range makes
 * payloads look like Shopify's (and catches code that assumes small ids or
 * 32-bit integers) while staying exact in a JavaScript number.
 */
export const ID_BASES: Record<ResourceType, number> = {
  Shop: 60_000_000_000,
  Location: 70_000_000_000,
  Customer: 6_800_000_000_000,
  Order: 5_400_000_000_000,
  LineItem: 13_500_000_000_000,
  Refund: 900_000_000_000,
  BulkOperation: 3_000_000_000_000,
  Product: 8_000_000_000_000,
  ProductVariant: 44_000_000_000_000,
  DiscountCodeNode: 1_200_000_000_000,
  StorefrontAccessToken: 90_000_000_000,
  CartLine: 52_000_000_000_000,
};
