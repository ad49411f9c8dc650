/**
 * Membership in the cafe's words: a customer joins (at the counter, in the
 * online store, or added by staff), with consent recorded, and may leave.
 */

/** Where a customer joined or left: the storefront join block, the POS, or the admin. */
export const MEMBERSHIP_CHANNELS = ["storefront", "pos", "admin"] as const;
export type MembershipChannel = (typeof MEMBERSHIP_CHANNELS)[number];

/** `Member.status`. Campaigns reach only `active` members. */
export type MemberStatus = "active" | "left";

/** What a customer's membership is right now; `none` = never joined. */
export type MembershipStatus = MemberStatus | "none";

/** The part of a Member row membership decisions need. */
export interface MemberRecord {
  shop: string;
  customerId: string;
  status: string;
  joinedVia: string;
  joinedAt: Date;
  leftAt: Date | null;
  updatedAt: Date;
  syncedToShopifyAt: Date | null;
}

export interface MembershipView {
  status: MembershipStatus;
  joinedAt: string | null;
  leftAt: string | null;
}

/** The JSON the storefront (and later the POS) sees; no internal ids or sync details. */
export function membershipView(member: MemberRecord | null): MembershipView {
  if (!member) return { status: "none", joinedAt: null, leftAt: null };
  return {
    status: member.status === "active" ? "active" : "left",
    joinedAt: member.joinedAt.toISOString(),
    leftAt: member.leftAt?.toISOString() ?? null,
  };
}

/** Shopify holds the membership as of the last sync (see shopify-sync.server.ts). */
export function needsShopifySync(member: MemberRecord): boolean {
  return member.syncedToShopifyAt === null || member.syncedToShopifyAt < member.updatedAt;
}
