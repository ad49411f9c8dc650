import { describe, expect, it } from "vitest";
import { executeSelections, QueryError, type JsonValue } from "../../standin/graphql/execute.ts";
import { parseDocument, GraphQLSyntaxError } from "../../standin/graphql/parse.ts";
import { queryRoot, type AdminScope } from "../../standin/graphql/root.ts";
import { parseSearchQuery } from "../../standin/graphql/search.ts";
import { sampleQueryRoot, validateOperation } from "../../standin/graphql/validation.ts";
import { BulkRunner, runBulkQuery } from "../../standin/bulk.ts";
import { StandinStore } from "../../standin/store.ts";
import { formatInZone, zonedTimeToUtc } from "../../standin/time.ts";

const SHOP = "unit-cafe.myshopify.com";

function scopeWith(store: StandinStore, scopes = ["read_all_orders"]): AdminScope {
  const bulk = new BulkRunner({ store, baseUrl: () => "http://127.0.0.1", delayMs: 0, onFinish: () => undefined });
  return { store, state: store.shop(SHOP), scopes: new Set(scopes), bulk, validationRoot: sampleQueryRoot };
}

function run(scope: AdminScope, query: string, variables: Record<string, JsonValue> = {}) {
  const document = parseDocument(query);
  const operation = document.operations[0];
  if (!operation) throw new Error("no operation");
  validateOperation(document, operation, variables);
  return executeSelections(document, queryRoot(scope), operation.selections, variables, { bulk: false, dryRun: false, validating: false });
}

function cafeWithOrders(count: number) {
  const store = new StandinStore({ now: () => new Date("2025-03-31T12:00:00Z") });
  store.addShop({ domain: SHOP });
  const customer = store.addCustomer(SHOP, { email: "ada@example.com", firstName: "Ada" });
  for (let i = 0; i < count; i++) {
    store.addOrder(SHOP, {
      customerId: i % 2 === 0 ? customer.id : null,
      createdAt: new Date(Date.UTC(2025, 2, 1 + i, 8, 0, 0)),
      lineItems: [{ title: "Flat White", quantity: 1, price: "3.40" }],
    });
  }
  return store;
}

describe("GraphQL parser", () => {
  it("reads block strings, fragments, aliases, variables and directives", () => {
    const document = parseDocument(`
      query Orders($first: Int!, $withLines: Boolean = true) {
        recent: orders(first: $first, query: "updated_at:>='2025-01-01'") { ...page }
      }
      fragment page on OrderConnection { nodes { id lineItems(first: 5) @include(if: $withLines) { nodes { id } } } }
      mutation { bulkOperationRunQuery(query: """
          { orders { edges { node { id } } } }
        """) { userErrors { message } } }
    `);
    const [query, mutation] = document.operations;
    expect(query?.name).toBe("Orders");
    expect(query?.variables.map((v) => `${v.name}:${v.type}`)).toEqual(["first:Int!", "withLines:Boolean"]);
    expect(document.fragments.has("page")).toBe(true);
    const field = mutation?.selections[0];
    expect(field?.kind === "field" && field.args[0]?.value).toEqual({ kind: "string", value: "{ orders { edges { node { id } } } }" });
  });

  it("rejects broken documents with a location", () => {
    expect(() => parseDocument("{ orders(first: 2 { id } }")).toThrow(GraphQLSyntaxError);
  });
});

describe("GraphQL execution", () => {
  it("answers only the selected fields, with Shopify's enum and money shapes", () => {
    const data = run(scopeWith(cafeWithOrders(1)), `{ orders(first: 1) { nodes { name displayFinancialStatus totalPriceSet { shopMoney { amount currencyCode } } } } }`);
    expect(data).toEqual({
      orders: { nodes: [{ name: "#1001", displayFinancialStatus: "PAID", totalPriceSet: { shopMoney: { amount: "3.40", currencyCode: "GBP" } } }] },
    });
  });

  it("refuses a misspelt field even when the shop has no orders at all", () => {
    const empty = cafeWithOrders(0);
    expect(() => run(scopeWith(empty), `{ orders(first: 5) { nodes { id totalPrise } } }`)).toThrow(
      "Field 'totalPrise' doesn't exist on type 'Order'",
    );
  });

  it("pages with cursors until hasNextPage is false, seeing every order once", () => {
    const scope = scopeWith(cafeWithOrders(7));
    const seen: string[] = [];
    let after: JsonValue = null;
    for (let page = 0; page < 10; page++) {
      const data = run(scope, `query($after: String) { orders(first: 3, after: $after) { pageInfo { hasNextPage endCursor } nodes { name } } }`, { after });
      const orders = data.orders as { pageInfo: { hasNextPage: boolean; endCursor: string }; nodes: { name: string }[] };
      seen.push(...orders.nodes.map((node) => node.name));
      if (!orders.pageInfo.hasNextPage) break;
      after = orders.pageInfo.endCursor;
    }
    expect(seen).toEqual(["#1001", "#1002", "#1003", "#1004", "#1005", "#1006", "#1007"]);
  });

  it("filters by updated_at and requires first or last, as Shopify does", () => {
    const scope = scopeWith(cafeWithOrders(7));
    const data = run(scope, `{ orders(first: 50, query: "updated_at:>='2025-03-05T00:00:00Z'") { nodes { name } } }`);
    expect((data.orders as { nodes: unknown[] }).nodes).toHaveLength(3);
    expect(() => run(scope, `{ orders { nodes { id } } }`)).toThrow("you must provide one of first or last");
    expect(() => run(scope, `{ orders(first: 251) { nodes { id } } }`)).toThrow(QueryError);
  });

  it("hides orders older than 60 days from a token without read_all_orders", () => {
    const store = cafeWithOrders(1);
    store.addOrder(SHOP, { createdAt: "2024-06-01T08:00:00Z", lineItems: [{ title: "Tea", quantity: 1, price: "2.50" }] });
    const count = (scopes: string[]) => run(scopeWith(store, scopes), `{ ordersCount { count } }`).ordersCount;
    expect(count(["read_orders"])).toEqual({ count: 1 });
    expect(count(["read_orders", "read_all_orders"])).toEqual({ count: 2 });
  });

  it("parses Shopify search syntax", () => {
    expect(parseSearchQuery("updated_at:>='2025-01-01T00:00:00Z' AND -financial_status:refunded")).toEqual([
      { field: "updated_at", comparator: ">=", value: "2025-01-01T00:00:00Z", negated: false },
      { field: "financial_status", comparator: "=", value: "refunded", negated: true },
    ]);
  });
});

describe("bulk JSONL", () => {
  it("writes children on their own lines after their parent, pointing back with __parentId", () => {
    const store = cafeWithOrders(2);
    const document = parseDocument(`{ orders { edges { node { id name lineItems { edges { node { id title } } } } } } }`);
    const { lines, rootObjectCount } = runBulkQuery(document, queryRoot(scopeWith(store)), { bulk: true, dryRun: false, validating: false });
    const objects = lines.map((line) => JSON.parse(line) as { id: string; __parentId?: string });
    expect(rootObjectCount).toBe(2);
    expect(objects.map((o) => o.__parentId === undefined)).toEqual([true, false, true, false]);
    expect(objects[1]?.__parentId).toBe(objects[0]?.id);
  });
});

describe("time zones", () => {
  it("formats REST timestamps in the shop's offset and finds local wall-clock times across DST", () => {
    expect(formatInZone("2025-07-01T12:00:00Z", "Europe/London")).toBe("2025-07-01T13:00:00+01:00");
    expect(formatInZone("2025-01-15T12:00:00Z", "America/New_York")).toBe("2025-01-15T07:00:00-05:00");
    expect(zonedTimeToUtc({ year: 2025, month: 3, day: 30, hour: 9, minute: 0 }, "Europe/London").toISOString()).toBe("2025-03-30T08:00:00.000Z");
  });
});
