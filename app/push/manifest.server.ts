import type { Database } from "../db/prisma.server";

/**
 * The storefront's web app manifest, served through the app proxy. On iPhone
 * and iPad, web push works only for a site added to the home screen and
 * opened from there (iOS/iPadOS 16.4+), which needs `display: standalone`;
 * see docs/push.md. The icon comes from the app embed's setting (a Shopify
 * CDN image) and is accepted only from Shopify's CDN or the shop itself.
 */

export interface WebAppManifest {
  name: string;
  short_name: string;
  start_url: string;
  scope: string;
  display: "standalone";
  background_color: string;
  theme_color: string;
  icons: Array<{ src: string; sizes: string; type?: string; purpose: string }>;
}

const COLOR = /^#[0-9a-fA-F]{6}$/;
const SHORT_NAME_CHARS = 12;

export function isShopImage(value: string, shop: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.username === "" && (url.hostname === "cdn.shopify.com" || url.hostname === shop);
  } catch {
    return false;
  }
}

export async function storefrontManifest(
  db: Database,
  shop: string,
  options: { icon: string | null; themeColor: string | null },
): Promise<WebAppManifest> {
  const record = await db.shop.findUnique({ where: { domain: shop }, select: { name: true } });
  const name = record?.name?.trim() || shop.replace(/\.myshopify\.com$/, "");
  const icon = options.icon && isShopImage(options.icon, shop) ? options.icon : null;
  const color = options.themeColor && COLOR.test(options.themeColor) ? options.themeColor : "#ffffff";
  return {
    name,
    short_name: name.length <= SHORT_NAME_CHARS ? name : `${name.slice(0, SHORT_NAME_CHARS - 1)}…`,
    start_url: "/",
    scope: "/",
    display: "standalone",
    background_color: "#ffffff",
    theme_color: color,
    icons: icon ? [{ src: icon, sizes: "512x512", purpose: "any" }] : [],
  };
}
