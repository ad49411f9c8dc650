import { requireEncryptionKey } from "../config.server";
import type { Database } from "../db/prisma.server";
import { shopLog } from "../lib/log.server";
import { SecretDecryptionError } from "../lib/secret-box.server";
import { getRuntime } from "../runtime.server";
import { openCardSecret } from "./cards.server";
import { checkDigits, parseCardCode } from "./totp.server";

/**
 * Checks a code the POS scanned or the barista typed against the shop's
 * cards. The ref names the card only within the shop: a card of another shop
 * is "unknown" here, whatever its digits. Refusals say why, so the barista
 * can tell a stale screenshot ("expired") from a mistyped code ("invalid").
 */

export type CardRefusalReason = "malformed" | "unknown" | "revoked" | "expired" | "invalid" | "locked";

export type CardCodeResolution =
  | { ok: true; customerId: string; cardRef: string }
  | { ok: false; reason: CardRefusalReason; message: string; /** For "locked": when the card takes codes again. */ retryAfterSeconds?: number };

/**
 * Wrong codes (digits that do not match, or match an old step) a card takes
 * within WRONG_CODE_WINDOW_MS of the first one; after that its codes are
 * refused, right or wrong, until the window ends. A guess is right with odds
 * of about 5 in a million (six digits, five steps accepted), so a guesser at
 * the counter gets about 25 in a million per quarter hour instead of as many
 * tries as the POS can send. A right code clears the count.
 */
export const WRONG_CODE_LIMIT = 5;
export const WRONG_CODE_WINDOW_MS = 15 * 60_000;

const MESSAGES: Record<CardRefusalReason, string> = {
  malformed: "That is not a member card code: it looks like ABCD2345-123456 (eight letters or digits 2–7, then six digits).",
  unknown: "No member card of this shop has that code. Check the letters, or ask the member to open their card again.",
  revoked: "This member card is no longer valid: the member left or the card was replaced.",
  expired: "This code has expired. Ask the member to show their card again: it shows a new code every minute.",
  invalid: "The code's digits do not match this card. Scan it again, or type the code shown on the member's phone.",
  locked: "Too many wrong codes were tried for this card.",
};

const refuse = (reason: CardRefusalReason): CardCodeResolution => ({ ok: false, reason, message: MESSAGES[reason] });

export async function resolveCardCode(db: Database, shop: string, code: string, now: Date = new Date(), applicationKey?: Buffer): Promise<CardCodeResolution> {
  const parsed = parseCardCode(code);
  if (!parsed) return refuse("malformed");
  const card = await db.memberCard.findUnique({ where: { shop_ref: { shop, ref: parsed.ref } } });
  if (!card) return refuse("unknown");
  if (card.revokedAt !== null && card.revokedAt <= now) return refuse("revoked");
  // The attempt is counted before the digits are checked, in one statement, so codes tried at once cannot all get past the limit.
  const windowStart = new Date(now.getTime() - WRONG_CODE_WINDOW_MS);
  const counted = await db.$executeRaw`
    UPDATE "MemberCard" SET
      "wrongCodes" = CASE WHEN "wrongCodesSince" > ${windowStart} THEN "wrongCodes" + 1 ELSE 1 END,
      "wrongCodesSince" = CASE WHEN "wrongCodesSince" > ${windowStart} THEN "wrongCodesSince" ELSE ${now} END
    WHERE shop = ${shop} AND ref = ${card.ref}
      AND NOT ("wrongCodesSince" IS NOT NULL AND "wrongCodesSince" > ${windowStart} AND "wrongCodes" >= ${WRONG_CODE_LIMIT})`;
  if (counted === 0) return locked(db, shop, card.ref, now);
  let secret: Buffer;
  try {
    secret = openCardSecret(applicationKey ?? requireEncryptionKey(getRuntime().config), shop, card.ref, card.secretSealed);
  } catch (error) {
    // A card sealed under another APP_ENCRYPTION_KEY cannot be checked: as good as unknown, and worth a log line.
    if (error instanceof SecretDecryptionError) {
      shopLog(shop).warn({ cardRef: card.ref, err: error.message }, "member card sealed under another application key");
      return refuse("unknown");
    }
    throw error;
  }
  const check = checkDigits(secret, parsed.digits, now);
  if (check !== "current") return refuse(check);
  await db.memberCard.update({ where: { shop_ref: { shop, ref: card.ref } }, data: { wrongCodes: 0, wrongCodesSince: null } });
  return { ok: true, customerId: card.customerId, cardRef: card.ref };
}

/** The card is taking no codes: when it will again, in the barista's words. */
async function locked(db: Database, shop: string, ref: string, now: Date): Promise<CardCodeResolution> {
  const card = await db.memberCard.findUnique({ where: { shop_ref: { shop, ref } }, select: { wrongCodesSince: true } });
  if (!card) return refuse("unknown");
  const opensAt = (card.wrongCodesSince?.getTime() ?? now.getTime()) + WRONG_CODE_WINDOW_MS;
  const seconds = Math.max(1, Math.ceil((opensAt - now.getTime()) / 1000));
  const minutes = Math.ceil(seconds / 60);
  return {
    ok: false,
    reason: "locked",
    message: `${MESSAGES.locked} It takes codes again in ${minutes} minute${minutes === 1 ? "" : "s"}; meanwhile, add the member to the sale by name.`,
    retryAfterSeconds: seconds,
  };
}
