import { describe, expect, it } from "vitest";
import { z } from "zod";
import { BulkRunner } from "../../standin/bulk.ts";
import { handleGraphQL } from "../../standin/graphql/handler.ts";
import { handleStorefrontGraphQL } from "../../standin/graphql/storefront.ts";
import { StandinStore } from "../../standin/store.ts";
import type { Cart } from "../../standin/types.ts";

/**
 * The stand-in's catalogue and checkout, which order-ahead relies on: Admin
 * `products` paged as Shopify pages them, `storefrontAccessTokenCreate`, the
 * Storefront API's `cartCreate` with its user errors, and paying a cart into
 * an online-store order that keeps the cart's attributes.
 */

const SHOP = "unit-cafe.myshopify.com";
const checkoutUrl = (shop: string, cart: Cart) => `http://standin/shops/${shop}/cart/c/${cart.token}?key=${cart.key}`;

function cafe(scope = "read_products") {
  const store = new StandinStore({ now: () => new Date("2026-03-02T08:00:00Z") });
  store.addShop({ domain: SHOP });
  store.seedMenu(SHOP);
  const token = store.issueAccessToken(SHOP, { scope });
  const bulk = new BulkRunner({ store, baseUrl: () => "http://127.0.0.1", delayMs: 0, onFinish: () => undefined });
  const admin = (query: string, variables: Record<string, unknown> = {}): unknown =>
    handleGraphQL({ store, bulk }, { shop: SHOP, accessToken: token.token, contentType: "application/json", body: JSON.stringify({ query, variables }) }).body;
  const storefront = (accessToken: string | undefined, query: string, variables: Record<string, unknown> = {}) =>
    handleStorefrontGraphQL(store, { shop: SHOP, accessToken, body: JSON.stringify({ query, variables }) }, checkoutUrl);
  return { store, admin, storefront };
}

const productsPage = z.object({
  data: z.object({
    products: z.object({
      nodes: z.array(z.object({ title: z.string(), variants: z.object({ nodes: z.array(z.object({ title: z.string(), price: z.string() })) }) })),
      pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string() }),
    }),
  }),
});
const errorsOf = (body: unknown) => z.object({ errors: z.array(z.object({ message: z.string() })) }).parse(body).errors;

const PRODUCTS = `query($after: String) { products(first: 10, after: $after) { nodes { id title variants(first: 5) { nodes { id title price } } } pageInfo { hasNextPage endCursor } } }`;

describe("the stand-in's catalogue and Storefront cart", () => {
  it("serves the cafe menu as products with variants and prices, paged", () => {
    const { admin } = cafe();
    const first = productsPage.parse(admin(PRODUCTS));
    expect(first.data.products.nodes).toHaveLength(10);
    expect(first.data.products.pageInfo.hasNextPage).toBe(true);
    const titles = new Map<string, unknown>();
    let page = first;
    for (;;) {
      for (const product of page.data.products.nodes) titles.set(product.title, product.variants.nodes.map((v) => [v.title, v.price]));
      if (!page.data.products.pageInfo.hasNextPage) break;
      page = productsPage.parse(admin(PRODUCTS, { after: page.data.products.pageInfo.endCursor }));
    }
    expect(titles.get("Flat White")).toEqual([["Default Title", "3.40"]]);
    expect(titles.get("Latte")).toEqual([["Whole milk", "3.50"], ["Oat milk", "3.90"]]);
    expect(titles.get("Croissant")).toEqual([["Default Title", "2.80"]]);
    expect(titles.has("Filter Coffee") && titles.has("Cappuccino")).toBe(true);
  });

  it("refuses products without read_products and a misspelt field even on an empty catalogue", () => {
    expect(errorsOf(cafe("read_orders").admin(PRODUCTS))[0]?.message).toMatch(/Required access: `read_products`/);
    const empty = new StandinStore();
    empty.addShop({ domain: SHOP });
    const token = empty.issueAccessToken(SHOP, { scope: "read_products" });
    const bulk = new BulkRunner({ store: empty, baseUrl: () => "", delayMs: 0, onFinish: () => undefined });
    const reply = handleGraphQL({ store: empty, bulk }, { shop: SHOP, accessToken: token.token, contentType: "application/json", body: JSON.stringify({ query: "{ products(first: 1) { nodes { variants(first: 1) { nodes { prise } } } } }" }) });
    expect(reply.body).toMatchObject({ errors: [{ message: "Field 'prise' doesn't exist on type 'ProductVariant'" }] });
  });

  it("makes a cart with a Storefront token the app created, answers user errors for bad lines, and pays it into an order once", () => {
    const { store, admin, storefront } = cafe();
    const created = z
      .object({ data: z.object({ storefrontAccessTokenCreate: z.object({ storefrontAccessToken: z.object({ accessToken: z.string(), title: z.literal("Regulars order-ahead") }) }) }) })
      .parse(admin(`mutation { storefrontAccessTokenCreate(input: { title: "Regulars order-ahead" }) { storefrontAccessToken { accessToken title } userErrors { message } } }`));
    const token = created.data.storefrontAccessTokenCreate.storefrontAccessToken.accessToken;
    expect(storefront("wrong", "mutation { cartCreate(input: {}) { cart { id } } }").status).toBe(401);

    const flatWhite = [...store.shop(SHOP).products.values()].find((p) => p.title === "Flat White")?.variants[0]?.id ?? "";
    const bad = storefront(token, `mutation { cartCreate(input: { lines: [{ merchandiseId: "gid://shopify/ProductVariant/1", quantity: 0 }] }) { cart { id } userErrors { field code message } } }`);
    expect(bad.body).toEqual({
      data: {
        cartCreate: {
          cart: null,
          userErrors: [
            { field: ["input", "lines", "0", "merchandiseId"], code: "INVALID", message: "The merchandise with id gid://shopify/ProductVariant/1 does not exist." },
            { field: ["input", "lines", "0", "quantity"], code: "INVALID", message: "The quantity must be a positive number." },
          ],
        },
      },
    });
    expect(store.shop(SHOP).carts.size).toBe(0);

    const made = storefront(token, `mutation($input: CartInput!) { cartCreate(input: $input) { cart { id checkoutUrl totalQuantity attributes { key value } cost { totalAmount { amount currencyCode } } } userErrors { message } } }`, {
      input: { lines: [{ merchandiseId: flatWhite, quantity: 2 }], attributes: [{ key: "_regulars_pickup_hold", value: "h1" }], buyerIdentity: { email: "ada@example.com" } },
    }).body;
    const cart = z.object({ data: z.object({ cartCreate: z.object({ cart: z.object({ id: z.string(), checkoutUrl: z.string() }).passthrough() }) }) }).parse(made).data.cartCreate.cart;
    expect(cart).toMatchObject({ totalQuantity: 2, attributes: [{ key: "_regulars_pickup_hold", value: "h1" }], cost: { totalAmount: { amount: "6.80", currencyCode: "GBP" } } });
    expect(cart.id).toMatch(/^gid:\/\/shopify\/Cart\/\w+\?key=\w+$/);

    const ada = store.addCustomer(SHOP, { email: "ada@example.com" });
    const cartToken = new URL(cart.checkoutUrl).pathname.split("/").pop() ?? "";
    const paid = store.completeCheckout(SHOP, cartToken);
    expect(paid.created).toBe(true);
    expect(paid.order).toMatchObject({ sourceName: "web", locationId: null, customerId: ada.id, financialStatus: "paid", totalPrice: "6.80", noteAttributes: [{ name: "_regulars_pickup_hold", value: "h1" }] });
    expect(paid.order.lineItems).toMatchObject([{ title: "Flat White", variantTitle: null, quantity: 2, price: "3.40", variantId: flatWhite }]);
    expect(store.completeCheckout(SHOP, cartToken)).toEqual({ order: paid.order, created: false });
    expect(store.shop(SHOP).orders.size).toBe(1);
  });
});
