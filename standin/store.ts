import { randomBytes } from "node:crypto";
import { gid, ID_BASES, type ResourceType } from "./ids.ts";
import { fromCents, toCents } from "./money.ts";
import { orderTotals, applyRefund, type RefundInput } from "./orders.ts";
import { seedCafe, type SeedCafeOptions, type SeedSummary } from "./seed.ts";
import {
  addTags,
  metafieldKey,
  removeTags,
  resolveNamespace,
  setMetafields,
  type Metafield,
  type MetafieldInput,
  type SetMetafieldsOutcome,
} from "./metafields.ts";
import { isoSeconds } from "./time.ts";
import { validateCodeDiscount, type CodeDiscount, type CodeDiscountInput, type DiscountUserError } from "./discounts.ts";
import {
  emailConsent,
  smsConsent,
  titleCase,
  type CustomerInput,
  type LocationInput,
  type OrderInput,
  type ShopInput,
  type TimeInput,
} from "./store-inputs.ts";
import type { BulkOperation, BulkOperationErrorCode, Cart, Customer, LineItem, Location, Order, Product, ShopInfo, StorefrontAccessToken } from "./types.ts";
import {
  buildCart,
  buildProduct,
  buildStorefrontToken,
  findVariant,
  menuProductInputs,
  validateCartInput,
  type CartInput,
  type CartUserError,
  type ProductInput,
} from "./catalog.ts";

export type { CustomerInput, LineItemInput, LocationInput, OrderInput, ShopInput, TimeInput } from "./store-inputs.ts";
export type { CartInput, CartUserError, ProductInput } from "./catalog.ts";

export interface AccessToken {
  token: string;
  kind: "offline" | "online";
  scope: string;
  userId: number | null;
  expiresAt: number | null;
}

export interface ShopState {
  info: ShopInfo;
  locations: Location[];
  customers: Map<string, Customer>;
  orders: Map<string, Order>;
  /** Metafields of every owner, keyed by `metafieldKey(ownerId, namespace, key)`. */
  metafields: Map<string, Metafield>;
  bulkOperations: BulkOperation[];
  /** Code discounts, keyed by their code in upper case (codes are unique per shop, case-insensitively). */
  codeDiscounts: Map<string, CodeDiscount>;
  accessTokens: Map<string, AccessToken>;
  /** Topic → address, for deliveries the stand-in makes on its own (bulk_operations/finish). */
  webhookSubscriptions: Map<string, string>;
  /** The next N GraphQL requests answer THROTTLED, to exercise the app's back-off. */
  throttleNextRequests: number;
  /** The next bulk operation fails with this code. */
  failNextBulkOperation: BulkOperationErrorCode | null;
  nextOrderNumber: number;
  /** The catalogue, keyed by product gid. */
  products: Map<string, Product>;
  /** Storefront API tokens, keyed by the token itself. */
  storefrontTokens: Map<string, StorefrontAccessToken>;
  /** Storefront carts, keyed by their token (the checkout URL names it). */
  carts: Map<string, Cart>;
}

export class UnknownShopError extends Error {
  constructor(readonly shop: string) {
    super(`the stand-in has no shop ${shop}; add it with store.addShop()`);
  }
}

export class StandinStore {
  readonly shops = new Map<string, ShopState>();
  private readonly counters = new Map<ResourceType, number>();
  private metafieldCounter = 26_000_000_000_000;
  readonly now: () => Date;

  constructor(options: { now?: () => Date } = {}) {
    this.now = options.now ?? (() => new Date());
  }

  nextId(type: ResourceType): number {
    const next = (this.counters.get(type) ?? ID_BASES[type]) + 1;
    this.counters.set(type, next);
    return next;
  }

  private time(value: TimeInput | undefined, fallback?: string): string {
    if (value === undefined) return fallback ?? isoSeconds(this.now());
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) throw new Error(`not a time: ${String(value)}`);
    return isoSeconds(date);
  }

  addShop(input: ShopInput): ShopState {
    if (this.shops.has(input.domain)) throw new Error(`shop ${input.domain} already exists`);
    const handle = input.domain.replace(/\.myshopify\.com$/, "");
    const createdAt = this.time(undefined);
    const state: ShopState = {
      info: {
        id: this.nextId("Shop"),
        name: input.name ?? titleCase(handle),
        myshopifyDomain: input.domain,
        email: input.email ?? `owner@${handle}.example`,
        ianaTimezone: input.ianaTimezone ?? "Europe/London",
        currencyCode: input.currencyCode ?? "GBP",
        createdAt,
      },
      locations: [],
      customers: new Map(),
      orders: new Map(),
      metafields: new Map(),
      bulkOperations: [],
      codeDiscounts: new Map(),
      accessTokens: new Map(),
      webhookSubscriptions: new Map(),
      throttleNextRequests: 0,
      failNextBulkOperation: null,
      nextOrderNumber: 1001,
      products: new Map(),
      storefrontTokens: new Map(),
      carts: new Map(),
    };
    this.shops.set(input.domain, state);
    if (input.locationName !== null) this.addLocation(input.domain, { name: input.locationName ?? "Counter" });
    return state;
  }

  findShop(domain: string): ShopState | null {
    return this.shops.get(domain) ?? null;
  }

  shop(domain: string): ShopState {
    const state = this.shops.get(domain);
    if (!state) throw new UnknownShopError(domain);
    return state;
  }

  addLocation(shop: string, input: LocationInput): Location {
    const state = this.shop(shop);
    const now = this.time(undefined);
    const location: Location = {
      id: gid("Location", this.nextId("Location")),
      name: input.name,
      isActive: input.isActive ?? true,
      address1: input.address1 ?? "1 High Street",
      city: input.city ?? "London",
      zip: input.zip ?? "N1 1AA",
      countryCode: input.countryCode ?? "GB",
      createdAt: now,
      updatedAt: now,
    };
    state.locations.push(location);
    return location;
  }

  addCustomer(shop: string, input: CustomerInput = {}): Customer {
    const state = this.shop(shop);
    const email = input.email ?? null;
    if (email !== null) this.assertEmailFree(state, email, null);
    const createdAt = this.time(input.createdAt);
    const customer: Customer = {
      id: gid("Customer", this.nextId("Customer")),
      email,
      phone: input.phone ?? null,
      firstName: input.firstName ?? null,
      lastName: input.lastName ?? null,
      createdAt,
      updatedAt: this.time(input.updatedAt, createdAt),
      state: input.state ?? "disabled",
      note: input.note ?? null,
      verifiedEmail: email !== null,
      locale: input.locale ?? "en",
      tags: input.tags ?? [],
      emailMarketingConsent: emailConsent(input.emailMarketingConsent, email !== null, createdAt),
      smsMarketingConsent: smsConsent(input.smsMarketingConsent, input.phone !== undefined && input.phone !== null, createdAt),
    };
    state.customers.set(customer.id, customer);
    return customer;
  }

  /** Applies the change and moves `updatedAt` on, as Shopify does for every write. */
  updateCustomer(shop: string, id: string, patch: CustomerInput): Customer {
    const state = this.shop(shop);
    const current = this.customer(shop, id);
    if (patch.email !== undefined && patch.email !== null) this.assertEmailFree(state, patch.email, id);
    const updatedAt = this.time(patch.updatedAt);
    const next: Customer = {
      ...current,
      email: patch.email !== undefined ? patch.email : current.email,
      phone: patch.phone !== undefined ? patch.phone : current.phone,
      firstName: patch.firstName !== undefined ? patch.firstName : current.firstName,
      lastName: patch.lastName !== undefined ? patch.lastName : current.lastName,
      tags: patch.tags ?? current.tags,
      note: patch.note !== undefined ? patch.note : current.note,
      state: patch.state ?? current.state,
      locale: patch.locale ?? current.locale,
      emailMarketingConsent:
        patch.emailMarketingConsent !== undefined
          ? emailConsent(patch.emailMarketingConsent, true, updatedAt)
          : current.emailMarketingConsent,
      smsMarketingConsent:
        patch.smsMarketingConsent !== undefined
          ? smsConsent(patch.smsMarketingConsent, true, updatedAt)
          : current.smsMarketingConsent,
      updatedAt,
    };
    state.customers.set(id, next);
    return next;
  }

  deleteCustomer(shop: string, id: string): Customer {
    const state = this.shop(shop);
    const customer = this.customer(shop, id);
    state.customers.delete(id);
    for (const [key, metafield] of state.metafields) if (metafield.ownerId === id) state.metafields.delete(key);
    return customer;
  }

  customer(shop: string, id: string): Customer {
    const customer = this.shop(shop).customers.get(id);
    if (!customer) throw new Error(`shop ${shop} has no customer ${id}`);
    return customer;
  }

  addOrder(shop: string, input: OrderInput): Order {
    const state = this.shop(shop);
    if (input.lineItems.length === 0) throw new Error("an order needs at least one line item");
    const customer = input.customerId ? this.customer(shop, input.customerId) : null;
    const processedAt = this.time(input.processedAt ?? input.createdAt);
    const createdAt = this.time(input.createdAt, processedAt);
    const lineItems: LineItem[] = input.lineItems.map((line) => ({
      id: gid("LineItem", this.nextId("LineItem")),
      title: line.title,
      variantTitle: line.variantTitle ?? null,
      quantity: line.quantity,
      sku: line.sku ?? null,
      vendor: line.vendor ?? state.info.name,
      variantId: line.variantId ?? null,
      productId: line.productId ?? null,
      price: fromCents(toCents(line.price)),
      totalDiscount: fromCents(toCents(line.discount ?? "0")),
    }));
    const totals = orderTotals(lineItems, input.taxRate ?? 0);
    const orderNumber = state.nextOrderNumber++;
    const sourceName = input.sourceName ?? "pos";
    const order: Order = {
      id: gid("Order", this.nextId("Order")),
      name: `#${orderNumber}`,
      orderNumber,
      email: input.email !== undefined ? input.email : (customer?.email ?? null),
      createdAt,
      processedAt,
      updatedAt: this.time(input.updatedAt, createdAt),
      cancelledAt: null,
      cancelReason: null,
      // POS sales are handed over at the counter, so Shopify closes them at once.
      closedAt: sourceName === "pos" ? createdAt : null,
      currency: input.currency ?? state.info.currencyCode,
      ...totals,
      taxesIncluded: true,
      sourceName,
      locationId: input.locationId !== undefined ? input.locationId : sourceName === "pos" ? (state.locations[0]?.id ?? null) : null,
      customerId: customer?.id ?? null,
      noteAttributes: input.noteAttributes ?? [],
      note: input.note ?? null,
      tags: input.tags ?? [],
      financialStatus: input.financialStatus ?? "paid",
      fulfillmentStatus: sourceName === "pos" ? "fulfilled" : null,
      gateway: input.gateway ?? "shopify_payments",
      test: input.test ?? false,
      lineItems,
      refunds: [],
    };
    state.orders.set(order.id, order);
    return order;
  }

  order(shop: string, id: string): Order {
    const order = this.shop(shop).orders.get(id);
    if (!order) throw new Error(`shop ${shop} has no order ${id}`);
    return order;
  }

  updateOrder(
    shop: string,
    id: string,
    patch: Partial<Pick<Order, "noteAttributes" | "note" | "tags" | "financialStatus" | "fulfillmentStatus" | "email" | "customerId">> & {
      updatedAt?: TimeInput;
    },
  ): Order {
    const { updatedAt, ...fields } = patch;
    const next: Order = { ...this.order(shop, id), ...fields, updatedAt: this.time(updatedAt) };
    this.shop(shop).orders.set(id, next);
    return next;
  }

  /** Cancels like the admin's default: a paid order is refunded in full, an unpaid one voided. */
  cancelOrder(shop: string, id: string, options: { reason?: Order["cancelReason"]; at?: TimeInput } = {}): Order {
    const at = this.time(options.at);
    let order = this.order(shop, id);
    if (order.cancelledAt) throw new Error(`order ${order.name} is already cancelled`);
    if (order.financialStatus === "paid" || order.financialStatus === "partially_refunded") {
      order = this.refundOrder(shop, id, { at, note: "Order cancelled", restOfOrder: true });
    }
    const next: Order = {
      ...order,
      cancelledAt: at,
      cancelReason: options.reason ?? "customer",
      closedAt: at,
      financialStatus: order.financialStatus === "refunded" ? "refunded" : "voided",
      updatedAt: at,
    };
    this.shop(shop).orders.set(id, next);
    return next;
  }

  refundOrder(shop: string, id: string, input: RefundInput): Order {
    const at = this.time(input.at);
    const order = this.order(shop, id);
    const refundId = gid("Refund", this.nextId("Refund"));
    const next = applyRefund(order, { ...input, at }, {
      refundId,
      transactionId: this.nextId("Refund") * 10,
      nextLineId: () => this.nextId("Refund"),
    });
    this.shop(shop).orders.set(id, next);
    return next;
  }

  /** Shopify's tagsAdd/tagsRemove on a customer or an order; null when there is no such resource. */
  changeTags(shop: string, id: string, change: { add?: readonly string[]; remove?: readonly string[] }): Customer | Order | null {
    const state = this.shop(shop);
    const apply = (tags: readonly string[]) => removeTags(addTags(tags, change.add ?? []), change.remove ?? []);
    const customer = state.customers.get(id);
    if (customer) return this.updateCustomer(shop, id, { tags: apply(customer.tags) });
    const order = state.orders.get(id);
    if (order) return this.updateOrder(shop, id, { tags: apply(order.tags) });
    return null;
  }

  /** Shopify's metafieldsSet: every input is checked first, then all are written or none. */
  setMetafields(shop: string, inputs: MetafieldInput[]): SetMetafieldsOutcome {
    const state = this.shop(shop);
    return setMetafields(state.metafields, inputs, {
      now: this.time(undefined),
      ownerExists: (ownerId) => state.customers.has(ownerId) || state.orders.has(ownerId),
      nextId: () => ++this.metafieldCounter,
    });
  }

  /** discountCodeBasicCreate: the discount, or Shopify's user errors (nothing created then). */
  createCodeDiscount(shop: string, input: CodeDiscountInput): { ok: true; discount: CodeDiscount } | { ok: false; errors: DiscountUserError[] } {
    const state = this.shop(shop);
    const errors = validateCodeDiscount(input, {
      codeTaken: (code) => state.codeDiscounts.has(code.toUpperCase()),
      customerExists: (id) => state.customers.has(id),
    });
    if (errors.length > 0) return { ok: false, errors };
    const code = (input.code ?? "").trim();
    const discount: CodeDiscount = {
      id: gid("DiscountCodeNode", this.nextId("DiscountCodeNode")),
      title: (input.title ?? "").trim(),
      code,
      startsAt: this.time(input.startsAt ?? undefined),
      endsAt: input.endsAt === null ? null : this.time(input.endsAt),
      customerIds: input.buyers && "customerIds" in input.buyers ? [...input.buyers.customerIds] : null,
      percentage: input.percentage ?? 0,
      appliesOncePerCustomer: input.appliesOncePerCustomer,
      usageLimit: input.usageLimit,
      createdAt: this.time(undefined),
    };
    state.codeDiscounts.set(code.toUpperCase(), discount);
    return { ok: true, discount };
  }

  /** A code discount by its code (any case), for tests. */
  codeDiscount(shop: string, code: string): CodeDiscount | null {
    return this.shop(shop).codeDiscounts.get(code.toUpperCase()) ?? null;
  }

  /** A metafield by owner, namespace (`$app:` forms allowed) and key. */
  metafield(shop: string, ownerId: string, namespace: string | null, key: string): Metafield | null {
    return this.shop(shop).metafields.get(metafieldKey(ownerId, resolveNamespace(namespace), key)) ?? null;
  }

  /** Shopify's metafieldsDelete for one identifier; false when there was nothing to delete. */
  deleteMetafield(shop: string, ownerId: string, namespace: string | null, key: string): boolean {
    return this.shop(shop).metafields.delete(metafieldKey(ownerId, resolveNamespace(namespace), key));
  }

  /** Issues (or returns the existing) offline token, like a fresh install would. */
  issueAccessToken(
    shop: string,
    options: {
      kind?: "offline" | "online";
      scope?: string;
      userId?: number;
      expiresInSeconds?: number;
      /** A fixed token value, so a separately started app (the demo) can be told it. */
      token?: string;
    } = {},
  ): AccessToken {
    const state = this.shop(shop);
    const kind = options.kind ?? "offline";
    if (kind === "offline" && options.expiresInSeconds === undefined && options.token === undefined) {
      const existing = [...state.accessTokens.values()].find((t) => t.kind === "offline" && t.expiresAt === null);
      if (existing) return existing;
    }
    const token: AccessToken = {
      token: options.token ?? `${kind === "offline" ? "shpat" : "shpua"}_${randomBytes(16).toString("hex")}`,
      kind,
      scope: options.scope ?? "",
      userId: options.userId ?? null,
      expiresAt: options.expiresInSeconds ? this.now().getTime() + options.expiresInSeconds * 1000 : null,
    };
    state.accessTokens.set(token.token, token);
    return token;
  }

  isValidAccessToken(shop: string, token: string): AccessToken | null {
    const found = this.findShop(shop)?.accessTokens.get(token);
    if (!found) return null;
    if (found.expiresAt !== null && found.expiresAt <= this.now().getTime()) return null;
    return found;
  }

  /** What uninstalling does to the app's credentials. */
  revokeAccessTokens(shop: string): void {
    this.shop(shop).accessTokens.clear();
  }

  subscribeWebhook(shop: string, topic: string, address: string): void {
    this.shop(shop).webhookSubscriptions.set(topic, address);
  }

  throttleNext(shop: string, requests: number): void {
    this.shop(shop).throttleNextRequests = requests;
  }

  failNextBulkOperation(shop: string, errorCode: BulkOperationErrorCode): void {
    this.shop(shop).failNextBulkOperation = errorCode;
  }

  addProduct(shop: string, input: ProductInput): Product {
    const state = this.shop(shop);
    const product = buildProduct(input, { nextId: (type) => this.nextId(type), now: this.time(undefined), vendor: state.info.name });
    state.products.set(product.id, product);
    return product;
  }

  /** The cafe menu (flat white, oat latte, cappuccino, filter coffee, croissant, …) as products; once per shop. */
  seedMenu(shop: string): Product[] {
    const state = this.shop(shop);
    if (state.products.size > 0) return [...state.products.values()];
    return menuProductInputs().map((input) => this.addProduct(shop, input));
  }

  /** A variant and its product by the variant's gid, or null. */
  variant(shop: string, variantId: string) {
    return findVariant(this.shop(shop).products.values(), variantId);
  }

  /** storefrontAccessTokenCreate. */
  createStorefrontToken(shop: string, title: string): StorefrontAccessToken {
    const state = this.shop(shop);
    const token = buildStorefrontToken(title, { nextId: (type) => this.nextId(type), now: this.time(undefined), vendor: state.info.name });
    state.storefrontTokens.set(token.accessToken, token);
    return token;
  }

  /** cartCreate: the cart, or Shopify's user errors (nothing created then). */
  createCart(shop: string, input: CartInput): { ok: true; cart: Cart } | { ok: false; errors: CartUserError[] } {
    const state = this.shop(shop);
    const errors = validateCartInput(input, state.products.values());
    if (errors.length > 0) return { ok: false, errors };
    const cart = buildCart(input, { nextId: (type) => this.nextId(type), now: this.time(undefined), vendor: state.info.name });
    state.carts.set(cart.token, cart);
    return { ok: true, cart };
  }

  cart(shop: string, token: string): Cart | null {
    return this.shop(shop).carts.get(token) ?? null;
  }

  /**
   * Pays a cart's checkout: an online-store order (source web, no location)
   * with the cart's lines at their prices, its attributes as note attributes
   * and the customer whose email the buyer gave. Paying twice returns the
   * same order; `created` says whether this call made it.
   */
  completeCheckout(shop: string, token: string, options: { at?: TimeInput } = {}): { order: Order; created: boolean } {
    const state = this.shop(shop);
    const cart = state.carts.get(token);
    if (!cart) throw new Error(`shop ${shop} has no cart ${token}`);
    if (cart.orderId) return { order: this.order(shop, cart.orderId), created: false };
    const email = cart.buyerEmail;
    const customer = email === null ? undefined : [...state.customers.values()].find((c) => c.email?.toLowerCase() === email.toLowerCase());
    const lineItems = cart.lines.map((line) => {
      const found = findVariant(state.products.values(), line.merchandiseId);
      if (!found) throw new Error(`cart ${token} names merchandise ${line.merchandiseId}, which is gone`);
      return {
        title: found.product.title,
        variantTitle: found.variant.title === "Default Title" ? null : found.variant.title,
        quantity: line.quantity,
        price: found.variant.price,
        sku: found.variant.sku,
        variantId: found.variant.id,
        productId: found.product.id,
      };
    });
    const order = this.addOrder(shop, {
      lineItems,
      customerId: customer?.id ?? null,
      email,
      sourceName: "web",
      locationId: null,
      noteAttributes: cart.attributes,
      financialStatus: "paid",
      processedAt: options.at,
    });
    state.carts.set(token, { ...cart, orderId: order.id, updatedAt: order.createdAt });
    return { order, created: true };
  }

  /** Adds (or fills) a shop with a generated cafe history; see `seed.ts`. */
  seedCafe(shop: string, options: SeedCafeOptions): SeedSummary {
    return seedCafe(this, shop, options);
  }

  private assertEmailFree(state: ShopState, email: string, except: string | null): void {
    for (const customer of state.customers.values()) {
      if (customer.id !== except && customer.email?.toLowerCase() === email.toLowerCase()) {
        // Shopify refuses a second customer with the same email; so does the stand-in.
        throw new Error(`Email has already been taken: ${email}`);
      }
    }
  }
}
