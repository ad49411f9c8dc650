import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { deriveKey } from "../lib/secret-box.server";

/**
 * The token in a push's tracked link (`/apps/regulars/push/click?t=TOKEN`):
 * which delivery was tapped, until when the link works, and an HMAC-SHA256
 * over both and the shop, under a key derived from APP_ENCRYPTION_KEY. The
 * shop is not written in the token but is part of what is signed, so a token
 * from one shop's push is refused on another shop's storefront. The tag is
 * the first 16 bytes of the HMAC: 128 bits, as RFC 2104 §5 allows.
 */

/** A notification may sit unread for a while; its link keeps working this long after sending. */
export const CLICK_TOKEN_LIFETIME_SECONDS = 30 * 24 * 3600;

const TAG_BYTES = 16;

export function clickTokenKey(applicationKey: Buffer): Buffer {
  return deriveKey(applicationKey, "push-click-token");
}

export interface ClickClaims {
  shop: string;
  deliveryId: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

export function signClickToken(key: Buffer, claims: ClickClaims): string {
  const body = Buffer.from(JSON.stringify({ d: claims.deliveryId, e: claims.expiresAt })).toString("base64url");
  return `${body}.${tag(key, claims.shop, body).toString("base64url")}`;
}

export type ClickTokenCheck = { ok: true; deliveryId: string } | { ok: false; reason: "malformed" | "bad-signature" | "expired"; message: string };

const claimsSchema = z.strictObject({ d: z.string().min(1).max(200), e: z.number().int().positive() });

export function verifyClickToken(key: Buffer, token: string, context: { shop: string; nowSeconds: number }): ClickTokenCheck {
  const match = /^([A-Za-z0-9_-]{1,400})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!match?.[1] || !match[2]) return { ok: false, reason: "malformed", message: "the link is not one of this shop's notification links" };
  const [, body, given] = match;
  // Compared as text: base64url's last character has spare bits, and a changed character must not pass.
  const expected = Buffer.from(tag(key, context.shop, body).toString("base64url"));
  const received = Buffer.from(given);
  if (received.length !== expected.length || !timingSafeEqual(received, expected)) {
    return { ok: false, reason: "bad-signature", message: "the link has been altered or belongs to another shop" };
  }
  let claims: z.infer<typeof claimsSchema>;
  try {
    const parsed = claimsSchema.safeParse(JSON.parse(Buffer.from(body, "base64url").toString("utf8")));
    if (!parsed.success) return { ok: false, reason: "malformed", message: "the link is not one of this shop's notification links" };
    claims = parsed.data;
  } catch {
    return { ok: false, reason: "malformed", message: "the link is not one of this shop's notification links" };
  }
  if (claims.e <= context.nowSeconds) return { ok: false, reason: "expired", message: "the link has expired" };
  return { ok: true, deliveryId: claims.d };
}

function tag(key: Buffer, shop: string, body: string): Buffer {
  return createHmac("sha256", key).update(`${shop}\n${body}`).digest().subarray(0, TAG_BYTES);
}
