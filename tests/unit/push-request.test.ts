import { describe, expect, it } from "vitest";
import { InvalidPushError, checkPushRequest, type PushRequest } from "../../app/push/enqueue.server";
import { MAX_PUSH_PLAINTEXT_BYTES, PushPayloadTooLargeError, storefrontDestination } from "../../app/push/payload";

const SHOP = "corner-cafe.myshopify.com";
const base: PushRequest = {
  shop: SHOP,
  deliveryId: "c42-m1001",
  customerId: "1001",
  kind: "campaign",
  campaignId: "c42",
  payload: { title: "New menu tasting", body: "Thursday 8–10: try the autumn menu with us.", url: "/pages/tasting" },
  scheduledFor: new Date("2026-03-05T07:15:00Z"),
  ttlSeconds: 3600,
  urgency: "normal",
  topic: "tasting",
};

/** Deliberately malformed requests, as a caller outside TypeScript could send them. */
function refusal(request: Record<string, unknown>): string {
  try {
    checkPushRequest({ ...base, ...request } as PushRequest);
  } catch (error) {
    if (error instanceof InvalidPushError || error instanceof PushPayloadTooLargeError) return error.message;
    throw error;
  }
  throw new Error("expected the request to be refused");
}

describe("push requests", () => {
  it("accept a valid request and keep storefront paths as given", () => {
    expect(checkPushRequest(base).payload.url).toBe("/pages/tasting");
    expect(checkPushRequest({ ...base, urgency: undefined }).urgency).toBe("normal");
  });

  it("turn an address on the shop's own domain into its path", () => {
    const request = checkPushRequest({ ...base, payload: { ...base.payload, url: `https://${SHOP}/discount/WELCOME?redirect=%2Fproducts%2Flatte` } });
    expect(request.payload.url).toBe("/discount/WELCOME?redirect=%2Fproducts%2Flatte");
  });

  it.each([
    [{ deliveryId: "" }, /deliveryId must be 1–128/],
    [{ deliveryId: "has space" }, /deliveryId/],
    [{ shop: "cafe.com" }, /shop must be a \*\.myshopify\.com domain/],
    [{ customerId: undefined }, /customerId or subscriptionId: give exactly one/],
    [{ subscriptionId: "a".repeat(64) }, /give exactly one/],
    [{ customerId: "abc" }, /customerId must be a numeric customer id/],
    [{ kind: "promo" }, /kind must be one of campaign, transactional, test/],
    [{ campaignId: null }, /campaignId is required for a campaign push/],
    [{ kind: "transactional" }, /campaignId must be absent for a transactional push/],
    [{ ttlSeconds: -1 }, /ttlSeconds must not be negative/],
    [{ ttlSeconds: 1.5 }, /ttlSeconds must be a whole number/],
    [{ ttlSeconds: 40 * 24 * 3600 }, /ttlSeconds must be at most/],
    [{ urgency: "urgent" }, /urgency must be one of very-low, low, normal, high/],
    [{ topic: "has spaces" }, /topic must be 1–32 characters/],
    [{ topic: "t".repeat(33) }, /topic must be 1–32 characters/],
    [{ scheduledFor: new Date("nope") }, /scheduledFor must be a valid Date/],
    [{ payload: { title: "", body: "b", url: "/" } }, /payload.title must not be empty/],
    [{ payload: { title: "t", body: "b", url: "/", colour: "red" } }, /payload has unknown field colour/],
    [{ payload: { title: "t", body: "b", url: "/", icon: "http://cdn.example.com/i.png" } }, /payload.icon must be an https/],
    [{ payload: { title: "t", body: "b", url: "https://evil.example.com/" } }, /payload.url must be a storefront path .* or an address on https:\/\/corner-cafe/],
    [{ payload: { title: "t", body: "b", url: "//evil.example.com/" } }, /payload.url must be a storefront path/],
    [{ payload: { title: "t", body: "b", url: "/\\evil.example.com" } }, /payload.url must be a storefront path/],
    [{ payload: { title: "t", body: "b", url: "javascript:alert(1)" } }, /payload.url must be a storefront path/],
    [{ payload: { title: "t", body: "b", url: `https://${SHOP}:8443/x` } }, /payload.url must be a storefront path/],
  ])("refuse %o", (change, message) => {
    expect(refusal(change)).toMatch(message);
  });

  it("refuse a push that would not fit in one Web Push message, saying by how much", () => {
    // 2,000 four-byte characters: far over 4 KB once encoded.
    const message = refusal({ payload: { ...base.payload, body: "☕".repeat(1999) } });
    expect(message).toMatch(/the push takes [\d,]+ bytes as sent .* at most 3,993 .* shorten the title or body by at least [\d,]+ bytes/);
  });

  it("accept a push up to the exact limit and refuse one character more", () => {
    const fits = (body: string) => {
      try {
        checkPushRequest({ ...base, payload: { ...base.payload, body } });
        return true;
      } catch (error) {
        if (error instanceof PushPayloadTooLargeError) return false;
        throw error;
      }
    };
    // Three bytes a character, so the byte limit binds before the 2,000-character one.
    let count = 1;
    while (fits("☕".repeat(count + 1))) count += 1;
    expect(count * 3).toBeGreaterThan(MAX_PUSH_PLAINTEXT_BYTES - 400);
    expect(count * 3).toBeLessThan(MAX_PUSH_PLAINTEXT_BYTES);
    expect(fits("☕".repeat(count))).toBe(true);
    expect(fits("☕".repeat(count + 1))).toBe(false);
  });
});

describe("storefront destinations", () => {
  it.each([
    ["/", { ok: true, path: "/" }],
    ["/products/oat-latte?variant=1#reviews", { ok: true, path: "/products/oat-latte?variant=1#reviews" }],
    [`https://${SHOP}/collections/all`, { ok: true, path: "/collections/all" }],
    [`https://${SHOP}`, { ok: true, path: "/" }],
    ["https://other.myshopify.com/x", { ok: false }],
    [`http://${SHOP}/x`, { ok: false }],
    ["//evil.example.com", { ok: false }],
    ["/\\evil", { ok: false }],
    ["/a b", { ok: false }],
    ["/\u0000", { ok: false }],
    ["products", { ok: false }],
  ])("%s", (url, expected) => {
    expect(storefrontDestination(url, SHOP)).toMatchObject(expected);
  });
});
