import { randomBytes } from "node:crypto";
import type { Database } from "../db/prisma.server";
import { deriveKey, openSecret, sealSecret } from "../lib/secret-box.server";
import { REF_LENGTH, base32 } from "./totp.server";

/**
 * Members' cards (MemberCard): one live card per member, issued when they
 * join (or, for members who joined before cards existed, when they first open
 * the card page) and revoked when they leave. The HMAC secret is stored
 * sealed under a key derived from APP_ENCRYPTION_KEY, bound to its shop and
 * ref, so a secret copied onto another row does not open there.
 */

export interface LiveCard {
  ref: string;
  customerId: string;
  secret: Buffer;
  createdAt: Date;
}

const SEAL_PURPOSE = "member-card-secret";
const sealContext = (shop: string, ref: string) => `member-card:${shop}:${ref}`;
export const SECRET_BYTES = 32;

type Tx = Parameters<Parameters<Database["$transaction"]>[0]>[0];

export function cardSealKey(applicationKey: Buffer): Buffer {
  return deriveKey(applicationKey, SEAL_PURPOSE);
}

export function openCardSecret(applicationKey: Buffer, shop: string, ref: string, sealed: string): Buffer {
  return openSecret(cardSealKey(applicationKey), sealed, sealContext(shop, ref));
}

/** 40 random bits as 8 base32 characters: the public part of every code. */
function newRef(): string {
  return base32(randomBytes(5)).slice(0, REF_LENGTH);
}

/**
 * The member's live card, issued now if they have none. Two requests at once
 * (a join and the card page opening) serialise on an advisory lock for the
 * member, so a member never ends up with two live cards.
 */
export async function ensureMemberCard(db: Database, applicationKey: Buffer, shop: string, customerId: string, at: Date = new Date()): Promise<LiveCard> {
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`regulars:member-card:${shop}:${customerId}`}, 0))`;
    const live = await findLiveCardRow(tx, shop, customerId);
    if (live) return { ref: live.ref, customerId, secret: openCardSecret(applicationKey, shop, live.ref, live.secretSealed), createdAt: live.createdAt };
    const secret = randomBytes(SECRET_BYTES);
    // A ref already taken in the shop (1 in 2^40 per card) is simply drawn again.
    for (let attempt = 0; attempt < 5; attempt++) {
      const ref = newRef();
      const sealed = sealSecret(cardSealKey(applicationKey), secret, sealContext(shop, ref));
      const inserted = await tx.$executeRaw`
        INSERT INTO "MemberCard" (shop, ref, "customerId", "secretSealed", "createdAt")
        VALUES (${shop}, ${ref}, ${customerId}, ${sealed}, ${at})
        ON CONFLICT (shop, ref) DO NOTHING`;
      if (inserted === 1) return { ref, customerId, secret, createdAt: at };
    }
    throw new Error(`could not draw a free card reference in ${shop}`);
  });
}

/** The member's live card, if any, opened. */
export async function findLiveCard(db: Database, applicationKey: Buffer, shop: string, customerId: string): Promise<LiveCard | null> {
  const row = await findLiveCardRow(db, shop, customerId);
  return row ? { ref: row.ref, customerId, secret: openCardSecret(applicationKey, shop, row.ref, row.secretSealed), createdAt: row.createdAt } : null;
}

function findLiveCardRow(db: Database | Tx, shop: string, customerId: string) {
  return db.memberCard.findFirst({ where: { shop, customerId, revokedAt: null }, orderBy: { createdAt: "desc" } });
}

/** Revokes the member's live cards (leaving, or a replacement): their codes are refused from then on. Returns how many. */
export async function revokeMemberCards(db: Database | Tx, shop: string, customerId: string, at: Date): Promise<number> {
  const result = await db.memberCard.updateMany({ where: { shop, customerId, revokedAt: null }, data: { revokedAt: at } });
  return result.count;
}
