/**
 * Tests and the demo point the app at a local Shopify stand-in instead of
 * https://SHOP (SHOPIFY_API_ORIGIN_OVERRIDE, refused in production). Requests
 * meant for a shop's Admin API are rewritten to the stand-in's path form
 * `ORIGIN/shops/SHOP/...`; every other URL passes through unchanged.
 */
export function rewriteForStandin(url: string, origin: string | undefined): string {
  if (!origin) return url;
  const parsed = new URL(url);
  if (parsed.protocol !== "https:" || !parsed.hostname.endsWith(".myshopify.com")) return url;
  return `${origin.replace(/\/$/, "")}/shops/${parsed.hostname}${parsed.pathname}${parsed.search}`;
}

type Fetch = typeof fetch;

/** A fetch that sends shop Admin API calls to the stand-in when configured. */
export function standinFetch(origin: string | undefined, base: Fetch = fetch): Fetch {
  if (!origin) return base;
  return (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    return base(rewriteForStandin(url, origin), init);
  };
}
