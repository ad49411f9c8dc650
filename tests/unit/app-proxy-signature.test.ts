import "@shopify/shopify-api/adapters/node";
import { ApiVersion, LogSeverity, shopifyApi } from "@shopify/shopify-api";
import { describe, expect, it } from "vitest";
import { appProxySignature, groupParams, signedMessage, verifyAppProxyQuery, type ProxyRejection } from "../../app/proxy/signature";
import { appProxyQuery } from "../../standin/appProxy.ts";

const SECRET = "app-proxy-test-secret";
const SHOP = "north-cafe.myshopify.com";
const NOW = Math.floor(Date.now() / 1000);

const shopify = shopifyApi({
  apiKey: "app-proxy-test-key",
  apiSecretKey: SECRET,
  apiVersion: ApiVersion.October25,
  hostName: "regulars.example",
  isEmbeddedApp: true,
  logger: { level: LogSeverity.Error },
});

function signed(overrides: { secret?: string; timestamp?: number; customer?: number | null; extra?: Record<string, string | string[]> } = {}) {
  return appProxyQuery(
    {
      shop: SHOP,
      loggedInCustomerId: overrides.customer === undefined ? 6800000000001 : overrides.customer,
      pathPrefix: "/apps/regulars",
      timestamp: overrides.timestamp ?? NOW,
      extra: overrides.extra,
    },
    overrides.secret ?? SECRET,
  );
}

const verify = (query: URLSearchParams, nowSeconds = NOW) => verifyAppProxyQuery(query, { secret: SECRET, nowSeconds });

function tampered(query: URLSearchParams, key: string, value: string): URLSearchParams {
  const copy = new URLSearchParams(query);
  copy.set(key, value);
  return copy;
}

function withoutSignature(query: URLSearchParams): URLSearchParams {
  const copy = new URLSearchParams(query);
  copy.delete("signature");
  return copy;
}

describe("app proxy signature", () => {
  it("accepts a query Shopify signed, and Shopify's own library agrees", async () => {
    const query = signed();
    const result = verify(query);
    expect(result).toEqual({
      ok: true,
      value: { shop: SHOP, loggedInCustomerId: "6800000000001", pathPrefix: "/apps/regulars", timestamp: NOW },
    });
    expect(await shopify.utils.validateHmac(query, { signator: "appProxy" })).toBe(true);
  });

  it("reads an empty logged_in_customer_id as a visitor", () => {
    const result = verify(signed({ customer: null }));
    expect(result.ok && result.value.loggedInCustomerId).toBeNull();
  });

  it("signs repeated keys joined by commas, like Shopify", async () => {
    const query = signed({ extra: { size: ["small", "large"], offer: "oat-latte" } });
    expect(signedMessage(groupParams(query))).toBe(
      `logged_in_customer_id=6800000000001offer=oat-lattepath_prefix=/apps/regularsshop=${SHOP}size=small,largetimestamp=${NOW}`,
    );
    expect(verify(query).ok).toBe(true);
    expect(await shopify.utils.validateHmac(query, { signator: "appProxy" })).toBe(true);
    // The order of repeated values is signed too.
    const reordered = new URLSearchParams(query.toString().replace("size=small&size=large", "size=large&size=small"));
    expect(reordered.toString()).not.toBe(query.toString());
    expect(verify(reordered)).toMatchObject({ ok: false, error: { reason: "bad-signature" } });
  });

  const refusals: { name: string; query: () => URLSearchParams; nowSeconds?: number; reason: ProxyRejection }[] = [
    { name: "no signature", query: () => withoutSignature(signed()), reason: "missing-signature" },
    { name: "an empty signature", query: () => tampered(signed(), "signature", ""), reason: "missing-signature" },
    { name: "signed with another app's secret", query: () => signed({ secret: "someone-elses-secret" }), reason: "bad-signature" },
    { name: "a signature that is not hex", query: () => tampered(signed(), "signature", "z".repeat(64)), reason: "bad-signature" },
    { name: "a truncated signature", query: () => tampered(signed(), "signature", (signed().get("signature") ?? "").slice(0, 32)), reason: "bad-signature" },
    { name: "the customer changed after signing", query: () => tampered(signed(), "logged_in_customer_id", "6800000000002"), reason: "bad-signature" },
    { name: "the shop changed after signing", query: () => tampered(signed(), "shop", "south-cafe.myshopify.com"), reason: "bad-signature" },
    { name: "a parameter added after signing", query: () => { const q = signed(); q.append("admin", "1"); return q; }, reason: "bad-signature" },
    { name: "a second shop parameter", query: () => { const q = signed(); q.append("shop", "south-cafe.myshopify.com"); return q; }, reason: "duplicate-parameter" },
    { name: "a timestamp 91 s old", query: () => signed({ timestamp: NOW - 91 }), reason: "stale" },
    { name: "a timestamp 91 s in the future", query: () => signed({ timestamp: NOW + 91 }), reason: "stale" },
    { name: "a replay an hour later", query: () => signed(), nowSeconds: NOW + 3600, reason: "stale" },
    { name: "no timestamp", query: () => resign((q) => q.delete("timestamp")), reason: "bad-timestamp" },
    { name: "a shop that is not *.myshopify.com", query: () => resign((q) => q.set("shop", "evil.example.com")), reason: "bad-shop" },
    { name: "a customer id that is not a number", query: () => resign((q) => q.set("logged_in_customer_id", "1 OR 1=1")), reason: "bad-customer" },
  ];

  it.each(refusals)("refuses $name ($reason)", ({ query, nowSeconds, reason }) => {
    const result = verify(query(), nowSeconds);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.reason).toBe(reason);
      expect(result.error.message.length).toBeGreaterThan(0);
    }
  });

  it("says how far off a stale timestamp is", () => {
    expect(verify(signed({ timestamp: NOW - 600 }))).toMatchObject({ ok: false, error: { message: "the request was signed 600 s ago, outside the ±90 s window" } });
    expect(verify(signed({ timestamp: NOW + 120 }))).toMatchObject({ ok: false, error: { message: "the request was signed 120 s in the future, outside the ±90 s window" } });
  });

  it("accepts a timestamp at the edge of the window and honours a custom tolerance", () => {
    expect(verify(signed({ timestamp: NOW - 90 })).ok).toBe(true);
    expect(verify(signed({ timestamp: NOW + 90 })).ok).toBe(true);
    const old = signed({ timestamp: NOW - 250 });
    expect(verifyAppProxyQuery(old, { secret: SECRET, nowSeconds: NOW, toleranceSeconds: 300 }).ok).toBe(true);
  });
});

/** A query changed and then signed correctly: the signature holds, so the later checks must catch it. */
function resign(change: (query: URLSearchParams) => void): URLSearchParams {
  const query = withoutSignature(signed());
  change(query);
  query.set("signature", appProxySignature(groupParams(query), SECRET));
  return query;
}
