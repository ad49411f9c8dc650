import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

/**
 * Secrets at rest under the application key (APP_ENCRYPTION_KEY): AES-256-GCM
 * with a fresh 96-bit IV per secret, written "v1.<iv>.<tag>.<ciphertext>"
 * (base64url). The `context` (e.g. "push-key:SHOP:ID") is authenticated but
 * not stored, so a sealed value copied onto another row does not open there.
 *
 * Each use gets its own key derived from the application key (HKDF-SHA256 with
 * the purpose as info), so a key used to sign links never encrypts anything.
 */

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The sealed value cannot be opened with this key and context (wrong key, edited, or another row's). */
export class SecretDecryptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SecretDecryptionError";
  }
}

/** A 32-byte key for one purpose, derived from the application key. */
export function deriveKey(applicationKey: Buffer, purpose: string): Buffer {
  if (applicationKey.length !== 32) throw new RangeError(`the application key must be 32 bytes (got ${applicationKey.length})`);
  return Buffer.from(hkdfSync("sha256", applicationKey, Buffer.alloc(0), `regulars:${purpose}`, 32));
}

export function sealSecret(key: Buffer, plaintext: Buffer, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(context, "utf8"));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return [VERSION, iv, cipher.getAuthTag(), ciphertext].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
}

export function openSecret(key: Buffer, sealed: string, context: string): Buffer {
  const parts = sealed.split(".");
  if (parts.length !== 4 || parts[0] !== VERSION) throw new SecretDecryptionError(`not a sealed secret (expected "${VERSION}.<iv>.<tag>.<ciphertext>")`);
  const [iv, tag, ciphertext] = parts.slice(1).map((part) => Buffer.from(part, "base64url"));
  if (!iv || iv.length !== IV_BYTES || !tag || tag.length !== TAG_BYTES || !ciphertext) {
    throw new SecretDecryptionError("the sealed secret is truncated");
  }
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new SecretDecryptionError("the sealed secret does not open with this key: APP_ENCRYPTION_KEY differs from the one it was sealed with, or the value was altered");
  }
}
