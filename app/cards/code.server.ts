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

export type CardRefusalReason = "malformed" | "unknown" | "revoked" | "expired" | "invalid";

export type CardCodeResolution = { ok: true; customerId: string; cardRef: string } | { ok: false; reason: CardRefusalReason; message: string };

const MESSAGES: Record<CardRefusalReason, string> = {
  malformed: "That is not a member card code: it looks like ABCD2345-123456 (eight letters or digits 2–7, then six digits).",
  unknown: "No member card of this shop has that code. Check the letters, or ask the member to open their card again.",
  revoked: "This member card is no longer valid: the member left or the card was replaced.",
  expired: "This code has expired. Ask the member to show their card again: it shows a new code every minute.",
  invalid: "The code's digits do not match this card. Scan it again, or type the code shown on the member's phone.",
};

const refuse = (reason: CardRefusalReason): CardCodeResolution => ({ ok: false, reason, message: MESSAGES[reason] });

export async function resolveCardCode(db: Database, shop: string, code: string, now: Date = new Date(), applicationKey?: Buffer): Promise<CardCodeResolution> {
  const parsed = parseCardCode(code);
  if (!parsed) return refuse("malformed");
  const card = await db.memberCard.findUnique({ where: { shop_ref: { shop, ref: parsed.ref } } });
  if (!card) return refuse("unknown");
  if (card.revokedAt !== null && card.revokedAt <= now) return refuse("revoked");
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
  if (check === "current") return { ok: true, customerId: card.customerId, cardRef: card.ref };
  return refuse(check);
}
