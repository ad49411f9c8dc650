import type { BulkRunner } from "../bulk.ts";
import { legacyId, parseGid } from "../ids.ts";
import { toCents } from "../money.ts";
import type { ShopState, StandinStore } from "../store.ts";
import type { Customer, Order } from "../types.ts";
import { connection, type SortValue } from "./connection.ts";
import { GqlObject, QueryError, type Args, type JsonValue, type ResolveContext } from "./execute.ts";
import { bulkOperationObject, customerObject, locationObject, orderObject, shopObject, type ObjectScope } from "./objects.ts";
import { metafieldMutations } from "./metafields.ts";
import { discountMutations } from "./discounts.ts";
import { productObject, productQueries, shopStorefrontTokensField, storefrontTokenMutations, variantObject } from "./products.ts";
import { matchesSearch, parseSearchQuery, type FieldValue } from "./search.ts";

/** The request's view of one shop: whose data, which scopes, which bulk runner. */
export interface AdminScope {
  store: StandinStore;
  state: ShopState;
  scopes: ReadonlySet<string>;
  bulk: BulkRunner;
  /** The sample shop's query root, to validate bulk queries against (see `validation.ts`). */
  validationRoot: () => GqlObject;
}

/** Without `read_all_orders` Shopify shows only the last 60 days of orders; so does the stand-in. */
const RECENT_ORDER_DAYS = 60;

function objectScope(scope: AdminScope): ObjectScope {
  return {
    state: scope.state,
    visibleOrders: () => {
      const orders = [...scope.state.orders.values()];
      if (scope.scopes.has("read_all_orders")) return orders;
      const since = scope.store.now().getTime() - RECENT_ORDER_DAYS * 86_400_000;
      return orders.filter((order) => Date.parse(order.createdAt) >= since);
    },
  };
}

const ORDER_SEARCH_FIELDS: Record<string, (order: Order) => FieldValue> = {
  id: (order) => legacyId(order.id),
  created_at: (order) => order.createdAt,
  updated_at: (order) => order.updatedAt,
  processed_at: (order) => order.processedAt,
  cancelled_at: (order) => order.cancelledAt,
  financial_status: (order) => order.financialStatus,
  source_name: (order) => order.sourceName,
  customer_id: (order) => (order.customerId ? legacyId(order.customerId) : null),
  location_id: (order) => (order.locationId ? legacyId(order.locationId) : null),
  name: (order) => order.name,
  email: (order) => order.email,
  tag: (order) => order.tags,
  test: (order) => String(order.test),
  status: (order) => ["any", order.cancelledAt ? "cancelled" : order.closedAt ? "closed" : "open"],
};

const CUSTOMER_SEARCH_FIELDS: Record<string, (customer: Customer) => FieldValue> = {
  id: (customer) => legacyId(customer.id),
  created_at: (customer) => customer.createdAt,
  updated_at: (customer) => customer.updatedAt,
  email: (customer) => customer.email,
  phone: (customer) => customer.phone,
  first_name: (customer) => customer.firstName,
  last_name: (customer) => customer.lastName,
  state: (customer) => customer.state,
  tag: (customer) => customer.tags,
};

const ORDER_SORT_KEYS: Record<string, (order: Order) => SortValue> = {
  ID: (order) => legacyId(order.id),
  CREATED_AT: (order) => order.createdAt,
  UPDATED_AT: (order) => order.updatedAt,
  PROCESSED_AT: (order) => order.processedAt,
  ORDER_NUMBER: (order) => order.orderNumber,
  TOTAL_PRICE: (order) => toCents(order.totalPrice),
  RELEVANCE: (order) => legacyId(order.id),
};

const CUSTOMER_SORT_KEYS: Record<string, (customer: Customer) => SortValue> = {
  ID: (customer) => legacyId(customer.id),
  CREATED_AT: (customer) => customer.createdAt,
  UPDATED_AT: (customer) => customer.updatedAt,
  NAME: (customer) => `${customer.firstName ?? ""} ${customer.lastName ?? ""}`.trim().toLowerCase(),
  RELEVANCE: (customer) => legacyId(customer.id),
};

function sortKeyFor<T>(args: Args, keys: Record<string, (item: T) => SortValue>, field: string, enumName: string) {
  const requested = args.sortKey ?? "ID";
  const key = typeof requested === "string" ? keys[requested] : undefined;
  if (!key) {
    throw new QueryError(
      `Argument 'sortKey' on Field '${field}' has an invalid value (${String(requested)}). Expected type '${enumName}'.`,
      { extensions: { code: "argumentLiteralsIncompatible", typeName: "Field", argumentName: "sortKey" } },
    );
  }
  return key;
}

function searched<T>(items: T[], args: Args, context: ResolveContext, fields: Record<string, (item: T) => FieldValue>): T[] {
  if (context.validating || typeof args.query !== "string" || args.query.trim() === "") return items;
  const terms = parseSearchQuery(args.query);
  return items.filter((item) => matchesSearch(item, terms, fields));
}

export function queryRoot(scope: AdminScope): GqlObject {
  const objects = objectScope(scope);
  const state = scope.state;
  const orders = (args: Args, context: ResolveContext) => searched(objects.visibleOrders(), args, context, ORDER_SEARCH_FIELDS);
  const customers = (args: Args, context: ResolveContext) =>
    searched([...state.customers.values()], args, context, CUSTOMER_SEARCH_FIELDS);
  const node = (id: JsonValue | undefined, context: ResolveContext): GqlObject | null =>
    typeof id === "string" ? findNode(scope, objects, id, context.validating) : null;
  const count = (n: number) => new GqlObject("Count", { count: () => n, precision: () => "EXACT" });

  return new GqlObject("QueryRoot", {
    ...productQueries(scope),
    shop: () => {
      const shop = shopObject(state);
      return new GqlObject(shop.typename, { ...shop.fields, ...shopStorefrontTokensField(scope) }, shop.abstractTypes);
    },
    locations: (args: Args, context: ResolveContext) =>
      connection(
        {
          typename: "LocationConnection",
          fieldName: "locations",
          items: state.locations.filter((location) => location.isActive || args.includeInactive === true),
          sortValue: (location) => location.name.toLowerCase(),
          numericId: (location) => legacyId(location.id),
          toNode: locationObject,
        },
        args,
        context,
      ),
    location: (args: Args, context: ResolveContext) => {
      const byId = (l: { id: string }) => l.id === args.id || context.validating;
      const found = args.id === undefined || args.id === null ? state.locations[0] : state.locations.find(byId);
      return found ? locationObject(found) : null;
    },
    orders: (args: Args, context: ResolveContext) => {
      const sortValue = sortKeyFor(args, ORDER_SORT_KEYS, "orders", "OrderSortKeys");
      return connection(
        {
          typename: "OrderConnection",
          fieldName: "orders",
          items: orders(args, context),
          sortValue,
          numericId: (order) => legacyId(order.id),
          toNode: (order) => orderObject(objects, order),
        },
        args,
        context,
      );
    },
    ordersCount: (args: Args, context: ResolveContext) => count(orders(args, context).length),
    order: (args: Args, context: ResolveContext) => {
      const found = node(args.id, context);
      return found?.typename === "Order" ? found : null;
    },
    customers: (args: Args, context: ResolveContext) => {
      const sortValue = sortKeyFor(args, CUSTOMER_SORT_KEYS, "customers", "CustomerSortKeys");
      return connection(
        {
          typename: "CustomerConnection",
          fieldName: "customers",
          items: customers(args, context),
          sortValue,
          numericId: (customer) => legacyId(customer.id),
          toNode: (customer) => customerObject(objects, customer),
        },
        args,
        context,
      );
    },
    customersCount: (args: Args, context: ResolveContext) => count(customers(args, context).length),
    customer: (args: Args, context: ResolveContext) => {
      const found = node(args.id, context);
      return found?.typename === "Customer" ? found : null;
    },
    node: (args: Args, context: ResolveContext) => node(args.id, context),
    nodes: (args: Args, context: ResolveContext) => (Array.isArray(args.ids) ? args.ids.map((id) => node(id, context)) : []),
    bulkOperation: (args: Args, context: ResolveContext) => {
      const found = node(args.id, context);
      return found?.typename === "BulkOperation" ? found : null;
    },
    currentBulkOperation: () => {
      const latest = state.bulkOperations[state.bulkOperations.length - 1];
      return latest ? bulkOperationObject(latest) : null;
    },
  });
}

/** While validating, any id of the right type finds the sample object of that type. */
function findNode(scope: AdminScope, objects: ObjectScope, id: string, anyOfType: boolean): GqlObject | null {
  const parsed = parseGid(id);
  if (!parsed) return null;
  const state = scope.state;
  const same = (candidate: { id: string }) => anyOfType || candidate.id === id;
  switch (parsed.type) {
    case "Order": {
      const order = objects.visibleOrders().find(same);
      return order ? orderObject(objects, order) : null;
    }
    case "Customer": {
      const customer = [...state.customers.values()].find(same);
      return customer ? customerObject(objects, customer) : null;
    }
    case "Location": {
      const location = state.locations.find(same);
      return location ? locationObject(location) : null;
    }
    case "BulkOperation": {
      const operation = state.bulkOperations.find(same);
      return operation ? bulkOperationObject(operation) : null;
    }
    case "Product": {
      const product = [...state.products.values()].find(same);
      return product ? productObject(scope, product) : null;
    }
    case "ProductVariant": {
      for (const product of state.products.values()) {
        const variant = product.variants.find(same);
        if (variant) return variantObject(scope, product, variant);
      }
      return null;
    }
    case "Shop":
      return anyOfType || legacyId(id) === state.info.id ? shopObject(state) : null;
    default:
      return null;
  }
}

export function mutationRoot(scope: AdminScope): GqlObject {
  const userError = (message: string, field: string[] | null, code: string | null) =>
    new GqlObject("BulkOperationUserError", { message: () => message, field: () => field, code: () => code });

  // In the validation pass any id finds the sample shop's customer, so payload selections are checked.
  const sampleNode = () => {
    const customer = scope.state.customers.values().next().value;
    return customer ? customerObject(objectScope(scope), customer) : null;
  };

  return new GqlObject("Mutation", {
    ...metafieldMutations(scope, sampleNode),
    ...discountMutations(scope),
    ...storefrontTokenMutations(scope),
    bulkOperationRunQuery: (args: Args, context: ResolveContext) => {
      const query = typeof args.query === "string" ? args.query : "";
      const outcome = scope.bulk.start(scope.state, query, () => queryRoot(scope), scope.validationRoot, context.dryRun);
      return new GqlObject("BulkOperationRunQueryPayload", {
        bulkOperation: () => (outcome.ok ? bulkOperationObject(outcome.operation) : null),
        userErrors: () => (outcome.ok ? [] : [userError(outcome.message, outcome.field, outcome.code)]),
      });
    },
    bulkOperationCancel: (args: Args, context: ResolveContext) => {
      const id = typeof args.id === "string" ? args.id : "";
      const outcome = scope.bulk.cancel(scope.state, id, context.dryRun);
      return new GqlObject("BulkOperationCancelPayload", {
        bulkOperation: () => (outcome.ok ? bulkOperationObject(outcome.operation) : null),
        userErrors: () => (outcome.ok ? [] : [userError(outcome.message, ["id"], null)]),
      });
    },
  });
}
