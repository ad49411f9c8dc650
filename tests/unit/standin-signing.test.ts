import "@shopify/shopify-api/adapters/node";
import { ApiVersion, LogSeverity, shopifyApi } from "@shopify/shopify-api";
import { getJwt } from "@shopify/shopify-api/test-helpers";
import { describe, expect, it } from "vitest";
import { appProxyQuery } from "../../standin/appProxy.ts";
import { mintSessionToken, verifySessionToken } from "../../standin/jwt.ts";

const API_KEY = "standin-test-key";
const API_SECRET = "standin-test-secret";
const SHOP = "signing-cafe.myshopify.com";

const shopify = shopifyApi({
  apiKey: API_KEY,
  apiSecretKey: API_SECRET,
  apiVersion: ApiVersion.October25,
  hostName: "regulars.example",
  isEmbeddedApp: true,
  logger: { level: LogSeverity.Error },
});

describe("session tokens", () => {
  it("are accepted by Shopify's own decoder", async () => {
    const token = mintSessionToken({ apiKey: API_KEY, apiSecret: API_SECRET, shop: SHOP, userId: 42 });
    const payload = await shopify.session.decodeSessionToken(token);
    expect(payload.dest).toBe(`https://${SHOP}`);
    expect(payload.iss).toBe(`https://${SHOP}/admin`);
    expect(payload.aud).toBe(API_KEY);
    expect(payload.sub).toBe("42");
    expect(payload.exp - payload.iat).toBe(60);
  });

  it("verify Shopify's test-helper tokens, and reject one signed with another secret or expired", async () => {
    const now = Date.now();
    const good = await getJwt("signing-cafe", API_KEY, API_SECRET);
    expect(verifySessionToken(good.token, API_SECRET, now).ok).toBe(true);
    const forged = await getJwt("signing-cafe", API_KEY, "someone-elses-secret");
    expect(verifySessionToken(forged.token, API_SECRET, now)).toEqual({ ok: false, reason: "signature verification failed" });
    const stale = mintSessionToken({ apiKey: API_KEY, apiSecret: API_SECRET, shop: SHOP, now: new Date(now - 120_000) });
    expect(verifySessionToken(stale, API_SECRET, now)).toEqual({ ok: false, reason: "token expired" });
  });
});

describe("app proxy signatures", () => {
  it("validate with Shopify's own app-proxy check, and fail once a parameter changes", async () => {
    const query = appProxyQuery(
      { shop: SHOP, loggedInCustomerId: 6800000000001, pathPrefix: "/apps/regulars", extra: { extra: ["1", "2"], offer: "oat-latte" } },
      API_SECRET,
    );
    // Repeated keys (extra=1&extra=2) are signed as "extra=1,2", so the check gets the URLSearchParams itself.
    expect(await shopify.utils.validateHmac(query, { signator: "appProxy" })).toBe(true);
    query.set("logged_in_customer_id", "6800000000002");
    expect(await shopify.utils.validateHmac(query, { signator: "appProxy" })).toBe(false);
  });
});
