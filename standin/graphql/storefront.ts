import type { HttpReply } from "../http.ts";
import type { CartInput, CartUserError } from "../catalog.ts";
import { cartSubtotal, findVariant } from "../catalog.ts";
import { legacyId } from "../ids.ts";
import { StandinStore, type ShopState } from "../store.ts";
import type { Cart } from "../types.ts";
import { connection } from "./connection.ts";
import { coerceVariables, executeSelections, GqlObject, QueryError, selectOperation, type Args, type JsonValue, type ResolveContext } from "./execute.ts";
import { GraphQLSyntaxError, parseDocument } from "./parse.ts";
import { z } from "zod";

/**
 * The Storefront API's cart, the part an app needs to send a buyer to
 * Shopify's checkout: `cartCreate(input: { lines, attributes, buyerIdentity })`
 * answering `cart { id checkoutUrl … }` and `userErrors`, and `cart(id:)`.
 * Requests carry `X-Shopify-Storefront-Access-Token` (a token the app made
 * with `storefrontAccessTokenCreate`). The checkout URL is the stand-in's own
 * checkout page (checkout.ts), where a test or a person "pays".
 */

const value = <T extends string | number | boolean | null>(v: T) => () => v;

const requestBody = z.object({
  query: z.string(),
  variables: z.record(z.string(), z.json()).nullish(),
  operationName: z.string().nullish(),
});

export interface StorefrontScope {
  state: ShopState;
  store: StandinStore;
  /** Where the stand-in's checkout pages live (its own origin). */
  checkoutUrl(cart: Cart): string;
}

function money(amount: string, currencyCode: string): GqlObject {
  return new GqlObject("MoneyV2", { amount: value(amount), currencyCode: value(currencyCode) });
}

function cartObject(scope: StorefrontScope, cart: Cart): GqlObject {
  const currency = scope.state.info.currencyCode;
  const products = () => scope.state.products.values();
  const lineObject = (line: Cart["lines"][number]) => {
    const found = findVariant(products(), line.merchandiseId);
    return new GqlObject("CartLine", {
      id: value(line.id),
      quantity: value(line.quantity),
      attributes: () => [],
      merchandise: () =>
        found
          ? new GqlObject(
              "ProductVariant",
              {
                id: value(found.variant.id),
                title: value(found.variant.title),
                sku: value(found.variant.sku),
                availableForSale: value(true),
                price: () => money(found.variant.price, currency),
                product: () =>
                  new GqlObject("Product", { id: value(found.product.id), title: value(found.product.title), handle: value(found.product.handle) }, ["Node"]),
              },
              ["Node", "Merchandise"],
            )
          : null,
      cost: () =>
        new GqlObject("CartLineCost", {
          totalAmount: () => money(found ? (Number(found.variant.price) * line.quantity).toFixed(2) : "0.00", currency),
        }),
    }, ["BaseCartLine", "Node"]);
  };
  const subtotal = () => cartSubtotal(cart, products());
  return new GqlObject(
    "Cart",
    {
      id: value(cart.id),
      checkoutUrl: () => scope.checkoutUrl(cart),
      createdAt: value(cart.createdAt),
      updatedAt: value(cart.updatedAt),
      note: value(null),
      totalQuantity: value(cart.lines.reduce((sum, line) => sum + line.quantity, 0)),
      attributes: () => cart.attributes.map((a) => new GqlObject("Attribute", { key: value(a.name), value: value(a.value) })),
      attribute: (args: Args) => {
        const found = cart.attributes.find((a) => a.name === args.key);
        return found ? new GqlObject("Attribute", { key: value(found.name), value: value(found.value) }) : null;
      },
      buyerIdentity: () =>
        new GqlObject("CartBuyerIdentity", { email: value(cart.buyerEmail), phone: value(null), countryCode: value(null), customer: value(null) }),
      cost: () =>
        new GqlObject("CartCost", {
          subtotalAmount: () => money(subtotal(), currency),
          totalAmount: () => money(subtotal(), currency),
          checkoutChargeAmount: () => money(subtotal(), currency),
        }),
      lines: (args: Args, context: ResolveContext) =>
        connection(
          {
            typename: "BaseCartLineConnection",
            fieldName: "lines",
            items: cart.lines,
            sortValue: (line) => legacyId(line.id),
            numericId: (line) => legacyId(line.id),
            toNode: lineObject,
          },
          args,
          context,
        ),
    },
    ["Node"],
  );
}

type JsonObject = { [key: string]: JsonValue };
const objectOf = (v: JsonValue | undefined): JsonObject => (v !== null && typeof v === "object" && !Array.isArray(v) ? v : {});
const listOf = (v: JsonValue | undefined): JsonValue[] => (Array.isArray(v) ? v : []);

/** CartInput as Shopify reads it; a missing quantity is 1. */
export function readCartInput(raw: JsonValue | undefined): CartInput | CartUserError {
  const input = objectOf(raw);
  const lines: CartInput["lines"] = [];
  for (const [index, entry] of listOf(input.lines).entries()) {
    const line = objectOf(entry);
    if (typeof line.merchandiseId !== "string") return { field: ["input", "lines", String(index), "merchandiseId"], code: "INVALID", message: "merchandiseId is required" };
    lines.push({ merchandiseId: line.merchandiseId, quantity: typeof line.quantity === "number" ? line.quantity : line.quantity === undefined ? 1 : Number.NaN });
  }
  const attributes: CartInput["attributes"] = [];
  for (const [index, entry] of listOf(input.attributes).entries()) {
    const attribute = objectOf(entry);
    if (typeof attribute.key !== "string" || typeof attribute.value !== "string") {
      return { field: ["input", "attributes", String(index)], code: "INVALID", message: "An attribute needs a key and a value" };
    }
    attributes.push({ name: attribute.key, value: attribute.value });
  }
  const buyer = objectOf(input.buyerIdentity);
  return { lines, attributes, buyerEmail: typeof buyer.email === "string" && buyer.email.trim() !== "" ? buyer.email.trim() : null };
}

const userErrorObject = (error: CartUserError) =>
  new GqlObject("CartUserError", { field: () => error.field, message: value(error.message), code: value(error.code) });

function queryRoot(scope: StorefrontScope): GqlObject {
  return new GqlObject("QueryRoot", {
    cart: (args: Args, context: ResolveContext) => {
      const carts = [...scope.state.carts.values()];
      const found = carts.find((cart) => context.validating || cart.id === args.id);
      return found ? cartObject(scope, found) : null;
    },
    shop: () =>
      new GqlObject("Shop", {
        id: value(`gid://shopify/Shop/${scope.state.info.id}`),
        name: value(scope.state.info.name),
        primaryDomain: () => new GqlObject("Domain", { host: value(scope.state.info.myshopifyDomain), url: value(`https://${scope.state.info.myshopifyDomain}`) }),
      }),
  });
}

function mutationRoot(scope: StorefrontScope): GqlObject {
  return new GqlObject("Mutation", {
    cartCreate: (args: Args, context: ResolveContext) => {
      if (context.validating || context.dryRun) {
        const sample = [...scope.state.carts.values()][0];
        return new GqlObject("CartCreatePayload", {
          cart: () => (sample ? cartObject(scope, sample) : null),
          userErrors: () => [userErrorObject({ field: ["input"], message: "sample", code: "INVALID" })],
          warnings: () => [],
        });
      }
      const read = readCartInput(args.input);
      const outcome = "lines" in read ? scope.store.createCart(scope.state.info.myshopifyDomain, read) : { ok: false as const, errors: [read] };
      return new GqlObject("CartCreatePayload", {
        cart: () => (outcome.ok ? cartObject(scope, outcome.cart) : null),
        userErrors: () => (outcome.ok ? [] : outcome.errors.map(userErrorObject)),
        warnings: () => [],
      });
    },
  });
}

let sample: StorefrontScope | null = null;

/** A shop with a product and a cart, to check selections against before running anything (see validation.ts). */
function sampleScope(): StorefrontScope {
  if (sample) return sample;
  const store = new StandinStore({ now: () => new Date("2025-01-01T12:00:00Z") });
  const domain = "storefront-sample.myshopify.com";
  const state = store.addShop({ domain });
  const product = store.addProduct(domain, { title: "Flat White", variants: [{ price: "3.40" }] });
  const variant = product.variants[0];
  if (variant) store.createCart(domain, { lines: [{ merchandiseId: variant.id, quantity: 1 }], attributes: [{ name: "a", value: "b" }], buyerEmail: "sample@example.com" });
  sample = { state, store, checkoutUrl: () => "http://127.0.0.1/checkout" };
  return sample;
}

const UNAUTHORIZED: HttpReply = { status: 401, body: { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" } };

export interface StorefrontRequest {
  shop: string;
  accessToken: string | undefined;
  body: string;
}

export function handleStorefrontGraphQL(store: StandinStore, request: StorefrontRequest, checkoutUrl: (shop: string, cart: Cart) => string): HttpReply {
  const state = store.findShop(request.shop);
  if (!state) return { status: 404, body: { errors: "Not Found" } };
  if (!request.accessToken || !state.storefrontTokens.has(request.accessToken)) return UNAUTHORIZED;
  let json: unknown;
  try {
    json = JSON.parse(request.body);
  } catch {
    json = null;
  }
  const parsed = requestBody.safeParse(json);
  if (!parsed.success) return { status: 400, body: { errors: [{ message: "Parameter Missing or Invalid" }] } };
  const scope: StorefrontScope = { state, store, checkoutUrl: (cart) => checkoutUrl(request.shop, cart) };
  try {
    const document = parseDocument(parsed.data.query);
    const operation = selectOperation(document, parsed.data.operationName ?? null);
    const variables = coerceVariables(operation, parsed.data.variables ?? {});
    if (operation.operation === "subscription") throw new QueryError("Subscriptions are not supported by the Storefront API");
    const probe = sampleScope();
    const probeRoot = operation.operation === "mutation" ? mutationRoot(probe) : queryRoot(probe);
    executeSelections(document, probeRoot, operation.selections, variables, { bulk: false, dryRun: true, validating: true });
    const root = operation.operation === "mutation" ? mutationRoot(scope) : queryRoot(scope);
    const data = executeSelections(document, root, operation.selections, variables, { bulk: false, dryRun: false, validating: false });
    return { status: 200, body: { data } };
  } catch (error) {
    if (error instanceof GraphQLSyntaxError) return { status: 200, body: { errors: [{ message: error.message, locations: [{ ...error.loc }] }] } };
    if (error instanceof QueryError) return { status: 200, body: { errors: [{ message: error.message, ...(error.extra.extensions ? { extensions: error.extra.extensions } : {}) }] } };
    throw error;
  }
}
