import { randomUUID } from "node:crypto";
import { revokeMemberCards } from "../cards/cards.server";
import type { Database } from "../db/prisma.server";
import { LEAVE_MEMBERSHIP_TEXT, WITHDRAW_PUSH_ON_LEAVE_TEXT, checkedConsentText } from "./consent";
import type { MemberRecord, MembershipChannel } from "./types";

/**
 * Joining and leaving. Each is one transaction whose first statement is a
 * conditional write on the Member row: only the request that actually moves
 * the state gets a row back, so a double tap (or two racing requests) records
 * one join, not two. The consent events are written in the same transaction,
 * so there is never a member without the consent that made them one.
 */

export interface JoinInput {
  shop: string;
  customerId: string;
  via: MembershipChannel;
  /** The exact words the customer agreed to, as shown to them. */
  consentText: string;
  at: Date;
}

export interface LeaveInput {
  shop: string;
  customerId: string;
  via: MembershipChannel;
  at: Date;
}

/** `changed` is false when the customer already was in the requested state (nothing recorded). */
export interface MembershipChange {
  changed: boolean;
  member: MemberRecord | null;
}

type Tx = Parameters<Parameters<Database["$transaction"]>[0]>[0];

/** Joins, or re-joins after leaving (new consent recorded); an active member stays as they are. */
export async function joinMembership(db: Database, input: JoinInput): Promise<MembershipChange> {
  const text = checkedConsentText(input.consentText);
  return db.$transaction(async (tx) => {
    // updatedAt only moves forward, even with an injected clock, so it works as the row's version.
    const joined = await tx.$queryRaw<MemberRecord[]>`
      INSERT INTO "Member" (shop, "customerId", status, "joinedVia", "joinedAt", "leftAt", "createdAt", "updatedAt")
      VALUES (${input.shop}, ${input.customerId}, 'active', ${input.via}, ${input.at}, NULL, ${input.at}, ${input.at})
      ON CONFLICT (shop, "customerId") DO UPDATE SET
        status = 'active', "joinedVia" = EXCLUDED."joinedVia", "joinedAt" = EXCLUDED."joinedAt", "leftAt" = NULL,
        "updatedAt" = GREATEST(EXCLUDED."updatedAt", "Member"."updatedAt" + interval '1 millisecond')
      WHERE "Member".status <> 'active'
      RETURNING shop, "customerId", status, "joinedVia", "joinedAt", "leftAt", "updatedAt", "syncedToShopifyAt"`;
    const member = joined[0];
    if (!member) return { changed: false, member: await findMember(tx, input.shop, input.customerId) };
    await recordConsent(tx, input, { kind: "membership", action: "granted", text });
    return { changed: true, member };
  });
}

/** Leaves, withdraws push consent and revokes the member card; leaving when not an active member records nothing. */
export async function leaveMembership(db: Database, input: LeaveInput): Promise<MembershipChange> {
  return db.$transaction(async (tx) => {
    const left = await tx.$queryRaw<MemberRecord[]>`
      UPDATE "Member" SET status = 'left', "leftAt" = ${input.at},
        "updatedAt" = GREATEST(${input.at}::timestamp, "updatedAt" + interval '1 millisecond')
      WHERE shop = ${input.shop} AND "customerId" = ${input.customerId} AND status = 'active'
      RETURNING shop, "customerId", status, "joinedVia", "joinedAt", "leftAt", "updatedAt", "syncedToShopifyAt"`;
    const member = left[0];
    if (!member) return { changed: false, member: await findMember(tx, input.shop, input.customerId) };
    await recordConsent(tx, input, { kind: "membership", action: "withdrawn", text: LEAVE_MEMBERSHIP_TEXT });
    await recordConsent(tx, input, { kind: "push", action: "withdrawn", text: WITHDRAW_PUSH_ON_LEAVE_TEXT });
    // Their card stops working with the membership (a new one is issued if they join again).
    await revokeMemberCards(tx, input.shop, input.customerId, input.at);
    return { changed: true, member };
  });
}

export async function findMember(db: Database | Tx, shop: string, customerId: string): Promise<MemberRecord | null> {
  return db.member.findUnique({ where: { shop_customerId: { shop, customerId } } });
}

/** For campaigns and push: only an active member may be reached. */
export async function isActiveMember(db: Database, shop: string, customerId: string): Promise<boolean> {
  const member = await db.member.findUnique({
    where: { shop_customerId: { shop, customerId } },
    select: { status: true },
  });
  return member?.status === "active";
}

async function recordConsent(
  tx: Tx,
  input: { shop: string; customerId: string; via: MembershipChannel; at: Date },
  event: { kind: "membership" | "push"; action: "granted" | "withdrawn"; text: string },
): Promise<void> {
  await tx.consentEvent.create({
    data: { shop: input.shop, id: randomUUID(), customerId: input.customerId, via: input.via, at: input.at, ...event },
  });
}
