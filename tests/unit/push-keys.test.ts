import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SecretDecryptionError, deriveKey, openSecret, sealSecret } from "../../app/lib/secret-box.server";
import { generateVapidKeyPair, signVapidJwt, vapidSigningKey } from "../../app/push/vapid.server";
import { verifyJwt } from "../support/push-receiver";

const applicationKey = randomBytes(32);
const sealingKey = deriveKey(applicationKey, "push-key-encryption");

describe("sealed secrets (AES-256-GCM under the application key)", () => {
  it("round-trips a private key, in the stored v1.<iv>.<tag>.<ciphertext> form", () => {
    const secret = randomBytes(32);
    const sealed = sealSecret(sealingKey, secret, "push-key:cafe.myshopify.com:k1");
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    expect(openSecret(sealingKey, sealed, "push-key:cafe.myshopify.com:k1").equals(secret)).toBe(true);
  });

  it("uses a fresh IV each time, so equal secrets do not look equal at rest", () => {
    const secret = randomBytes(32);
    expect(sealSecret(sealingKey, secret, "c")).not.toBe(sealSecret(sealingKey, secret, "c"));
  });

  it("refuses another application key with a message that names APP_ENCRYPTION_KEY", () => {
    const sealed = sealSecret(sealingKey, randomBytes(32), "push-key:cafe.myshopify.com:k1");
    const otherKey = deriveKey(randomBytes(32), "push-key-encryption");
    expect(() => openSecret(otherKey, sealed, "push-key:cafe.myshopify.com:k1")).toThrow(SecretDecryptionError);
    expect(() => openSecret(otherKey, sealed, "push-key:cafe.myshopify.com:k1")).toThrow(/APP_ENCRYPTION_KEY/);
  });

  it("refuses a value moved to another row (the context is authenticated) or altered", () => {
    const sealed = sealSecret(sealingKey, randomBytes(32), "push-key:cafe.myshopify.com:k1");
    expect(() => openSecret(sealingKey, sealed, "push-key:other.myshopify.com:k1")).toThrow(SecretDecryptionError);
    const [version, iv, tag, body] = sealed.split(".");
    const flipped = Buffer.from(body ?? "", "base64url");
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(() => openSecret(sealingKey, [version, iv, tag, flipped.toString("base64url")].join("."), "push-key:cafe.myshopify.com:k1")).toThrow(SecretDecryptionError);
    expect(() => openSecret(sealingKey, "v2.a.b.c", "x")).toThrow(/not a sealed secret/);
    expect(() => openSecret(sealingKey, "v1.AAAA.BBBB.CCCC", "x")).toThrow(/truncated/);
  });

  it("derives different keys for different purposes", () => {
    expect(deriveKey(applicationKey, "push-key-encryption").equals(deriveKey(applicationKey, "push-click-token"))).toBe(false);
    expect(() => deriveKey(randomBytes(16), "x")).toThrow(/32 bytes/);
  });
});

describe("VAPID key pairs", () => {
  it("make ES256 JWTs that verify with the public key browsers are given, and not with another", () => {
    const pair = generateVapidKeyPair();
    expect(Buffer.from(pair.publicKey, "base64url")).toHaveLength(65);
    expect(pair.privateKey).toHaveLength(32);
    const jwt = signVapidJwt({ aud: "https://fcm.googleapis.com", exp: 2_000_000_000, sub: "mailto:ops@example.com" }, vapidSigningKey(pair.publicKey, pair.privateKey));
    expect(verifyJwt(jwt, pair.publicKey)).toEqual({ ok: true, claims: { aud: "https://fcm.googleapis.com", exp: 2_000_000_000, sub: "mailto:ops@example.com" } });
    expect(verifyJwt(jwt, generateVapidKeyPair().publicKey)).toMatchObject({ ok: false });
  });

  it("refuse halves that are not one key pair", () => {
    const pair = generateVapidKeyPair();
    expect(() => vapidSigningKey(pair.publicKey, generateVapidKeyPair().privateKey)).toThrow();
    expect(() => vapidSigningKey("AAAA", pair.privateKey)).toThrow(/65 bytes/);
  });
});
