import { describe, expect, it } from "vitest";
import { shopFromDest } from "../../app/pos/token-claims";

describe("the shop a POS session token names", () => {
  it.each([
    ["https://cafe.myshopify.com", "cafe.myshopify.com"],
    ["https://cafe-2.myshopify.com/", "cafe-2.myshopify.com"],
    ["http://cafe.myshopify.com", null],
    ["https://cafe.myshopify.com/admin", null],
    ["https://cafe.myshopify.com:8443", null],
    ["https://cafe.myshopify.com?shop=other.myshopify.com", null],
    ["https://localhost", null],
    ["cafe.myshopify.com", null],
    [42, null],
    [undefined, null],
  ])("%s → %s", (dest, shop) => {
    expect(shopFromDest(dest)).toBe(shop);
  });
});
