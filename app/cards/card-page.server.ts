import type { Database } from "../db/prisma.server";
import { memberSummary } from "../members/summary.server";
import { findMember } from "../membership/membership.server";
import type { PerkStatus } from "../perks/perks.server";
import { ensureMemberCard } from "./cards.server";

/**
 * What the member card page shows, read for the customer in the signed
 * proxy query. A member who has no card yet (they joined before cards
 * existed, or through a path without the application key) gets one now.
 */

export type CardPage =
  | { kind: "logged-out" }
  | { kind: "not-member"; left: boolean }
  | {
      kind: "member";
      ref: string;
      /** The HMAC secret (base64url): the phone derives the codes from it, offline. */
      secret: string;
      name: string | null;
      memberSince: string;
      visits: number;
      perks: PerkStatus[];
    };

export async function loadCardPage(db: Database, applicationKey: Buffer, shop: string, customerId: string | null, now: Date = new Date()): Promise<CardPage> {
  if (customerId === null) return { kind: "logged-out" };
  const member = await findMember(db, shop, customerId);
  if (!member || member.status !== "active") return { kind: "not-member", left: member !== null };
  const card = await ensureMemberCard(db, applicationKey, shop, customerId, now);
  // The summary is null while the customer's own record has not arrived from Shopify yet: no visits to show.
  const summary = await memberSummary(db, shop, customerId, now);
  return {
    kind: "member",
    ref: card.ref,
    secret: card.secret.toString("base64url"),
    name: summary?.name ?? null,
    memberSince: member.joinedAt.toISOString().slice(0, 10),
    visits: summary?.visits ?? 0,
    perks: summary?.perks ?? [],
  };
}
