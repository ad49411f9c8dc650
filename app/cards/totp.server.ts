import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * The card's rotating code: a time-based one-time password in the manner of
 * RFC 6238 (TOTP) over RFC 4226's HOTP truncation, with HMAC-SHA-256, a
 * 60-second step and 6 digits. The member's phone computes the same digits
 * from the same secret with WebCrypto (app/cards/card-client.js), so the card
 * needs no network at the counter.
 *
 * A code as shown and typed is `<ref>-<digits>`: the card's public reference
 * (RFC 4648 base32, which has no 0/1/8/9 to confuse with the digits) says
 * which secret to check the digits against.
 */

export const STEP_SECONDS = 60;
export const CODE_DIGITS = 6;
/** Codes of up to this many steps before or after now are accepted: phones' clocks drift. */
export const DRIFT_STEPS = 2;
/** A code from up to this many steps ago is "expired" rather than "invalid" (a screenshot, an old page). */
export const EXPIRED_LOOKBACK_STEPS = 6 * 60;
export const REF_LENGTH = 8;

const BASE32_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding. */
export function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let text = "";
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) text += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return text;
}

/** RFC 4226 HOTP: HMAC over the 8-byte big-endian counter, dynamic truncation, `digits` decimal digits. */
export function hotp(secret: Uint8Array, counter: number, digits: number = CODE_DIGITS, algorithm: "sha1" | "sha256" | "sha512" = "sha256"): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`the counter must be a non-negative integer (got ${counter})`);
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, "0");
}

/** The time step of an instant (RFC 6238's T, with T0 = 0). */
export function stepAt(at: Date, stepSeconds: number = STEP_SECONDS): number {
  return Math.floor(at.getTime() / 1000 / stepSeconds);
}

/** The code's digits for the step holding `at`. */
export function totpAt(secret: Uint8Array, at: Date, options: { stepSeconds?: number; digits?: number; algorithm?: "sha1" | "sha256" | "sha512" } = {}): string {
  return hotp(secret, stepAt(at, options.stepSeconds), options.digits, options.algorithm);
}

export function formatCardCode(ref: string, digits: string): string {
  return `${ref}-${digits}`;
}

const CODE_PATTERN = new RegExp(`^([A-Z2-7]{${REF_LENGTH}})-?([0-9]{${CODE_DIGITS}})$`);

/**
 * A code as a barista types it or the scanner reads it: case and spaces do
 * not matter, the hyphen may be left out. Null when it cannot be a code.
 */
export function parseCardCode(text: string): { ref: string; digits: string } | null {
  if (text.length > 64) return null;
  const match = CODE_PATTERN.exec(text.replace(/\s+/g, "").toUpperCase());
  if (!match?.[1] || !match[2]) return null;
  return { ref: match[1], digits: match[2] };
}

export type DigitsCheck = "current" | "expired" | "invalid";

/**
 * Where the digits fall: within the drift window around now ("current"),
 * within the look-back window before it ("expired"), or nowhere ("invalid").
 * Every candidate of both windows is computed and compared in constant time,
 * so the time taken says nothing about which step (if any) matched.
 */
export function checkDigits(secret: Uint8Array, digits: string, at: Date, options: { stepSeconds?: number; drift?: number; lookback?: number } = {}): DigitsCheck {
  const now = stepAt(at, options.stepSeconds);
  const drift = options.drift ?? DRIFT_STEPS;
  const lookback = options.lookback ?? EXPIRED_LOOKBACK_STEPS;
  const given = Buffer.from(digits.padEnd(CODE_DIGITS, "\0").slice(0, CODE_DIGITS));
  let current = false;
  let expired = false;
  for (let step = now - drift - lookback; step <= now + drift; step++) {
    if (step < 0) continue;
    const same = timingSafeEqual(Buffer.from(hotp(secret, step)), given) && digits.length === CODE_DIGITS;
    if (step >= now - drift) current = current || same;
    else expired = expired || same;
  }
  return current ? "current" : expired ? "expired" : "invalid";
}
