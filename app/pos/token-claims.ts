/** Claims of a POS session token, read without trusting their shape (the signature was checked first). */

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;

/** The shop a token's `dest` names ("https://cafe.myshopify.com" → "cafe.myshopify.com"), or null. */
export function shopFromDest(dest: unknown): string | null {
  if (typeof dest !== "string") return null;
  let url: URL;
  try {
    url = new URL(dest);
  } catch {
    return null;
  }
  if (url.protocol !== "https:" || url.pathname !== "/" || url.search !== "" || url.port !== "") return null;
  return SHOP_DOMAIN.test(url.hostname) ? url.hostname : null;
}
