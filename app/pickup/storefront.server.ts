import { z } from "zod";
import type { Runtime } from "../runtime.server";
import { ADMIN_API_VERSION, offlineAdminApi, type AdminApi } from "../shopify/admin-api.server";
import { standinFetch } from "../shopify/standin-routing.server";
import { pickupCartAttributes } from "./attributes";
import { attachCheckout, releaseHold, type PickupHold } from "./holds.server";

/**
 * Sending a member with a held slot to Shopify's own checkout: a Storefront
 * API cart with the hold's items and the pickup attributes (hold, location,
 * slot), whose `checkoutUrl` the member pays at. The app never sees card
 * data. The Storefront API needs a token, which the app makes for itself
 * once per shop through the Admin API (`storefrontAccessTokenCreate`, which
 * needs the app's unauthenticated_* scopes) and finds again by its title.
 */

export const STOREFRONT_API_VERSION = ADMIN_API_VERSION;
export const STOREFRONT_TOKEN_TITLE = "Regulars order-ahead";

export class StorefrontApiError extends Error {
  constructor(message: string, readonly shop: string) {
    super(message);
    this.name = "StorefrontApiError";
  }
}

export interface StorefrontDeps {
  /** The shop's Admin API (offline token), to find or make the Storefront token. */
  admin(shop: string): Promise<AdminApi>;
  fetch: typeof fetch;
}

export function runtimeStorefrontDeps(runtime: Runtime): StorefrontDeps {
  return { admin: (shop) => offlineAdminApi(runtime, shop), fetch: standinFetch(runtime.config.shopify.apiOriginOverride) };
}

/** Tokens do not expire; one lookup per shop and process, dropped when the Storefront API refuses it. */
const tokens = new Map<string, Promise<string>>();

const tokenList = z.object({
  shop: z.object({ storefrontAccessTokens: z.object({ nodes: z.array(z.object({ accessToken: z.string(), title: z.string() })) }) }),
});
const tokenCreated = z.object({
  storefrontAccessTokenCreate: z.object({
    storefrontAccessToken: z.object({ accessToken: z.string() }).nullable(),
    userErrors: z.array(z.object({ message: z.string() })),
  }),
});

async function findOrCreateToken(deps: StorefrontDeps, shop: string): Promise<string> {
  const admin = await deps.admin(shop);
  const listed = tokenList.safeParse(await admin.graphql(`query { shop { storefrontAccessTokens(first: 100) { nodes { accessToken title } } } }`));
  if (!listed.success) throw new StorefrontApiError(`Admin API answered an unexpected shape for ${shop}'s storefront tokens`, shop);
  const existing = listed.data.shop.storefrontAccessTokens.nodes.find((token) => token.title === STOREFRONT_TOKEN_TITLE);
  if (existing) return existing.accessToken;
  const created = tokenCreated.safeParse(
    await admin.graphql(
      `mutation CreateStorefrontToken($input: StorefrontAccessTokenInput!) {
        storefrontAccessTokenCreate(input: $input) { storefrontAccessToken { accessToken } userErrors { field message } }
      }`,
      { input: { title: STOREFRONT_TOKEN_TITLE } },
    ),
  );
  if (!created.success) throw new StorefrontApiError(`Admin API answered an unexpected shape creating ${shop}'s storefront token`, shop);
  const { storefrontAccessToken, userErrors } = created.data.storefrontAccessTokenCreate;
  if (!storefrontAccessToken) {
    throw new StorefrontApiError(`Shopify refused a storefront token for ${shop}: ${userErrors.map((e) => e.message).join("; ") || "no reason given"}`, shop);
  }
  return storefrontAccessToken.accessToken;
}

export function storefrontToken(deps: StorefrontDeps, shop: string): Promise<string> {
  const held = tokens.get(shop);
  if (held) return held;
  const pending = findOrCreateToken(deps, shop);
  tokens.set(shop, pending);
  pending.catch(() => tokens.delete(shop));
  return pending;
}

/** Forgets a shop's token (the app was uninstalled, or Shopify refused it). */
export function forgetStorefrontToken(shop: string): void {
  tokens.delete(shop);
}

const cartAnswer = z.object({
  data: z
    .object({
      cartCreate: z
        .object({
          cart: z.object({ id: z.string(), checkoutUrl: z.string() }).nullable(),
          userErrors: z.array(z.object({ field: z.array(z.string()).nullish(), message: z.string() })),
        })
        .nullable(),
    })
    .nullish(),
  errors: z.unknown().optional(),
});

const CART_CREATE = `mutation PickupCart($input: CartInput!) {
  cartCreate(input: $input) { cart { id checkoutUrl } userErrors { field message } }
}`;

export interface CartRequest {
  shop: string;
  lines: ReadonlyArray<{ variantId: string; quantity: number }>;
  attributes: Array<{ key: string; value: string }>;
  /** The member's email, so the checkout (and the order) belongs to them. */
  email: string | null;
}

export type CartOutcome = { ok: true; cartId: string; checkoutUrl: string } | { ok: false; message: string };

/** cartCreate through the Storefront API; a refused token is fetched again once. */
export async function createStorefrontCart(deps: StorefrontDeps, request: CartRequest): Promise<CartOutcome> {
  const input = {
    lines: request.lines.map((line) => ({ merchandiseId: `gid://shopify/ProductVariant/${line.variantId}`, quantity: line.quantity })),
    attributes: request.attributes,
    ...(request.email ? { buyerIdentity: { email: request.email } } : {}),
  };
  for (let attempt = 1; ; attempt++) {
    const token = await storefrontToken(deps, request.shop);
    const response = await deps.fetch(`https://${request.shop}/api/${STOREFRONT_API_VERSION}/graphql.json`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-Shopify-Storefront-Access-Token": token },
      body: JSON.stringify({ query: CART_CREATE, variables: { input } }),
      signal: AbortSignal.timeout(10_000),
    });
    if ((response.status === 401 || response.status === 403) && attempt === 1) {
      forgetStorefrontToken(request.shop);
      continue;
    }
    if (!response.ok) throw new StorefrontApiError(`Storefront API answered ${response.status} for ${request.shop}`, request.shop);
    const parsed = cartAnswer.safeParse(await response.json());
    if (!parsed.success) throw new StorefrontApiError(`Storefront API answered an unexpected shape for ${request.shop}'s cart`, request.shop);
    const payload = parsed.data.data?.cartCreate;
    if (!payload) throw new StorefrontApiError(`Storefront API refused the cart for ${request.shop}: ${JSON.stringify(parsed.data.errors ?? null)}`, request.shop);
    if (payload.cart && payload.userErrors.length === 0) return { ok: true, cartId: payload.cart.id, checkoutUrl: payload.cart.checkoutUrl };
    return { ok: false, message: payload.userErrors.map((error) => error.message).join("; ") || "Shopify did not make the cart" };
  }
}

export type CheckoutOutcome = { ok: true; checkoutUrl: string; hold: PickupHold } | { ok: false; status: number; code: "checkout-refused" | "hold-not-found"; message: string };

/**
 * A held slot's checkout: the cart is made and recorded on the hold. If
 * Shopify refuses the cart (an item no longer sold online), the hold is
 * released at once so its place is not kept for nobody.
 */
export async function startPickupCheckout(
  deps: StorefrontDeps & { db: Runtime["db"] },
  hold: PickupHold,
): Promise<CheckoutOutcome> {
  const member = hold.customerId
    ? await deps.db.customer.findUnique({ where: { shop_id: { shop: hold.shop, id: hold.customerId } }, select: { email: true } })
    : null;
  let cart: CartOutcome;
  try {
    cart = await createStorefrontCart(deps, {
      shop: hold.shop,
      lines: hold.items.map((item) => ({ variantId: item.variantId, quantity: item.quantity })),
      attributes: pickupCartAttributes(hold),
      email: member?.email ?? null,
    });
  } catch (error) {
    await releaseHold(deps.db, hold.shop, hold.id);
    throw error;
  }
  if (!cart.ok) {
    await releaseHold(deps.db, hold.shop, hold.id);
    return { ok: false, status: 409, code: "checkout-refused", message: `The shop could not start the checkout: ${cart.message}` };
  }
  const attached = await attachCheckout(deps.db, hold.shop, hold.id, { cartId: cart.cartId, checkoutUrl: cart.checkoutUrl });
  if (!attached.ok) return { ok: false, status: 409, code: "hold-not-found", message: attached.message };
  return { ok: true, checkoutUrl: cart.checkoutUrl, hold: attached.hold };
}
