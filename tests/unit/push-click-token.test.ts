import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { clickTokenKey, signClickToken, verifyClickToken } from "../../app/push/click-token.server";

const key = clickTokenKey(randomBytes(32));
const SHOP = "corner-cafe.myshopify.com";
const NOW = 1_780_000_000;

describe("push click tokens", () => {
  const token = signClickToken(key, { shop: SHOP, deliveryId: "c42-m1001", expiresAt: NOW + 3600 });

  it("name the delivery while they are valid", () => {
    expect(verifyClickToken(key, token, { shop: SHOP, nowSeconds: NOW })).toEqual({ ok: true, deliveryId: "c42-m1001" });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  });

  it("are refused once expired", () => {
    expect(verifyClickToken(key, token, { shop: SHOP, nowSeconds: NOW + 3600 })).toMatchObject({ ok: false, reason: "expired" });
  });

  it("are refused on another shop's storefront and under another application key", () => {
    expect(verifyClickToken(key, token, { shop: "other-cafe.myshopify.com", nowSeconds: NOW })).toMatchObject({ ok: false, reason: "bad-signature" });
    expect(verifyClickToken(clickTokenKey(randomBytes(32)), token, { shop: SHOP, nowSeconds: NOW })).toMatchObject({ ok: false, reason: "bad-signature" });
  });

  it("are refused when any character is changed", () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (let index = 0; index < token.length; index += 1) {
      const char = token[index] ?? "";
      if (char === ".") continue;
      const replacement = alphabet[(alphabet.indexOf(char) + 1) % alphabet.length] ?? "A";
      const tampered = `${token.slice(0, index)}${replacement}${token.slice(index + 1)}`;
      expect(verifyClickToken(key, tampered, { shop: SHOP, nowSeconds: NOW }).ok, `changed at ${index}`).toBe(false);
    }
  });

  it("refuse a forged body even with a well-formed tag, and malformed input", () => {
    const [, tag] = token.split(".");
    const forgedBody = Buffer.from(JSON.stringify({ d: "c42-m1001", e: NOW + 10 ** 8 })).toString("base64url");
    expect(verifyClickToken(key, `${forgedBody}.${tag}`, { shop: SHOP, nowSeconds: NOW })).toMatchObject({ ok: false, reason: "bad-signature" });
    for (const bad of ["", ".", "abc", `${token}.x`, token.replace(".", ""), "a".repeat(500) + ".AAAAAAAAAAAAAAAAAAAAAA"]) {
      expect(verifyClickToken(key, bad, { shop: SHOP, nowSeconds: NOW }).ok).toBe(false);
    }
  });
});
