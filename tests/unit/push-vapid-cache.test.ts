import { describe, expect, it } from "vitest";
import { VAPID_JWT_LIFETIME_SECONDS, VAPID_REFRESH_MARGIN_SECONDS, VapidAuthorizationCache, generateVapidKeyPair, vapidSigningKey } from "../../app/push/vapid.server";
import { verifyJwt } from "../support/push-receiver";

function signer() {
  const pair = generateVapidKeyPair();
  return { publicKey: pair.publicKey, key: vapidSigningKey(pair.publicKey, pair.privateKey) };
}

function claims(header: string, publicKey: string) {
  const match = /^vapid t=(\S+), k=(\S+)$/.exec(header);
  expect(match?.[2]).toBe(publicKey);
  const checked = verifyJwt(match?.[1] ?? "", publicKey);
  if (!checked.ok) throw new Error(checked.reason);
  return checked.claims;
}

describe("VAPID Authorization header cache", () => {
  it("signs once per key and push-service origin and reuses the header while it is valid", () => {
    let now = Date.UTC(2026, 2, 5, 7, 0, 0);
    const cache = new VapidAuthorizationCache("mailto:ops@example.com", () => now);
    const shopA = signer();
    const first = cache.authorization(shopA, "https://fcm.googleapis.com");
    expect(claims(first, shopA.publicKey)).toEqual({ aud: "https://fcm.googleapis.com", exp: now / 1000 + VAPID_JWT_LIFETIME_SECONDS, sub: "mailto:ops@example.com" });
    for (let i = 0; i < 100; i += 1) {
      now += 60_000;
      expect(cache.authorization(shopA, "https://fcm.googleapis.com")).toBe(first);
    }
    expect(cache.signatures).toBe(1);

    const mozilla = cache.authorization(shopA, "https://updates.push.services.mozilla.com");
    expect(claims(mozilla, shopA.publicKey).aud).toBe("https://updates.push.services.mozilla.com");
    const shopB = signer();
    const other = cache.authorization(shopB, "https://fcm.googleapis.com");
    expect(claims(other, shopB.publicKey).aud).toBe("https://fcm.googleapis.com");
    expect(other).not.toBe(first);
    expect(cache.signatures).toBe(3);
  });

  it("signs a new header before the old one gets within the refresh margin of expiring", () => {
    const start = Date.UTC(2026, 2, 5, 7, 0, 0);
    let now = start;
    const cache = new VapidAuthorizationCache("https://regulars.example.com", () => now);
    const key = signer();
    const first = cache.authorization(key, "https://web.push.apple.com");
    const lastReuse = start + (VAPID_JWT_LIFETIME_SECONDS - VAPID_REFRESH_MARGIN_SECONDS - 1) * 1000;
    now = lastReuse;
    expect(cache.authorization(key, "https://web.push.apple.com")).toBe(first);
    now = lastReuse + 1000;
    const second = cache.authorization(key, "https://web.push.apple.com");
    expect(second).not.toBe(first);
    expect(claims(second, key.publicKey).exp).toBe(now / 1000 + VAPID_JWT_LIFETIME_SECONDS);
    expect(cache.signatures).toBe(2);
  });

  it("stays bounded when many origins are used", () => {
    const now = Date.UTC(2026, 2, 5);
    const cache = new VapidAuthorizationCache("mailto:ops@example.com", () => now, 4);
    const key = signer();
    for (let i = 0; i < 10; i += 1) cache.authorization(key, `https://push${i}.example.com`);
    // The latest origin is still cached; the oldest were dropped and are signed again.
    cache.authorization(key, "https://push9.example.com");
    expect(cache.signatures).toBe(10);
    cache.authorization(key, "https://push0.example.com");
    expect(cache.signatures).toBe(11);
  });
});
