import { z } from "zod";
import type { MemberRecord } from "./types";

/**
 * How membership appears on the Shopify customer, for staff in the admin and
 * at the POS: a tag (visible everywhere, usable in Shopify's own customer
 * segments) and an app-owned JSON metafield with the details.
 */

export const MEMBER_TAG = "regulars-member";
/** `$app:` makes the namespace this app's own (Shopify stores it as app--<id>--regulars). */
export const MEMBERSHIP_METAFIELD = { namespace: "$app:regulars", key: "membership", type: "json" } as const;

export const membershipMetafieldValue = z.object({
  status: z.enum(["active", "left"]),
  joinedAt: z.string(),
  joinedVia: z.string(),
  leftAt: z.string().nullable(),
});
export type MembershipMetafieldValue = z.infer<typeof membershipMetafieldValue>;

/** What the Shopify customer should carry for this membership (no Member row: neither tag nor metafield). */
export interface DesiredShopifyMembership {
  tagged: boolean;
  metafield: MembershipMetafieldValue | null;
}

export function desiredShopifyMembership(member: MemberRecord | null): DesiredShopifyMembership {
  if (!member) return { tagged: false, metafield: null };
  const active = member.status === "active";
  return {
    tagged: active,
    metafield: {
      status: active ? "active" : "left",
      joinedAt: member.joinedAt.toISOString(),
      joinedVia: member.joinedVia,
      leftAt: active ? null : (member.leftAt?.toISOString() ?? null),
    },
  };
}

/** What the customer carries now, as read from the Admin API. */
export interface CurrentShopifyMembership {
  tags: string[];
  /** The metafield's raw value, or null when it is not set. */
  metafieldValue: string | null;
}

export interface ShopifyMembershipWrites {
  addTag: boolean;
  removeTag: boolean;
  /** The JSON to write, or null to leave the metafield alone. */
  setMetafield: string | null;
  deleteMetafield: boolean;
}

/** Only the writes that change something; an up-to-date customer needs none. */
export function planShopifyWrites(current: CurrentShopifyMembership, desired: DesiredShopifyMembership): ShopifyMembershipWrites {
  // Shopify compares tags case-insensitively.
  const hasTag = current.tags.some((tag) => tag.trim().toLowerCase() === MEMBER_TAG);
  const held = parseHeldValue(current.metafieldValue);
  const wanted = desired.metafield;
  const metafieldMatches = wanted === null ? current.metafieldValue === null : held !== null && sameValue(held, wanted);
  return {
    addTag: desired.tagged && !hasTag,
    removeTag: !desired.tagged && hasTag,
    setMetafield: wanted !== null && !metafieldMatches ? JSON.stringify(wanted) : null,
    deleteMetafield: wanted === null && current.metafieldValue !== null,
  };
}

export function hasWrites(writes: ShopifyMembershipWrites): boolean {
  return writes.addTag || writes.removeTag || writes.setMetafield !== null || writes.deleteMetafield;
}

function parseHeldValue(raw: string | null): MembershipMetafieldValue | null {
  if (raw === null) return null;
  try {
    const parsed = membershipMetafieldValue.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    // Someone wrote something else there; overwrite it with the truth.
    return null;
  }
}

function sameValue(a: MembershipMetafieldValue, b: MembershipMetafieldValue): boolean {
  return a.status === b.status && a.joinedAt === b.joinedAt && a.joinedVia === b.joinedVia && a.leftAt === b.leftAt;
}
