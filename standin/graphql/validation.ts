import { BulkRunner } from "../bulk.ts";
import { StandinStore } from "../store.ts";
import type { DocumentNode, OperationNode } from "./parse.ts";
import { executeSelections, QueryError, type Args, type GqlObject } from "./execute.ts";
import { mutationRoot, queryRoot, type AdminScope } from "./root.ts";

/**
 * Shopify validates a document against its schema before running it, so a
 * misspelt field fails even on an empty shop. The stand-in has no schema
 * file; its schema is its resolvers. So it validates by running the document
 * over a sample shop in which every nullable field has a value and every
 * connection has a node, with filters and ids ignored (`validating`).
 */

const SAMPLE_SHOP = "validation-sample.myshopify.com";
const ALL_ORDERS = new Set(["read_all_orders"]);

let sample: AdminScope | null = null;

export function sampleScope(): AdminScope {
  if (sample) return sample;
  const store = new StandinStore({ now: () => new Date("2025-01-01T12:00:00Z") });
  const state = store.addShop({ domain: SAMPLE_SHOP });
  const location = state.locations[0];
  const customer = store.addCustomer(SAMPLE_SHOP, {
    email: "sample@example.com",
    phone: "+447700900000",
    firstName: "Sample",
    lastName: "Customer",
    emailMarketingConsent: "subscribed",
    smsMarketingConsent: "subscribed",
    tags: ["member"],
  });
  const order = store.addOrder(SAMPLE_SHOP, {
    customerId: customer.id,
    locationId: location?.id ?? null,
    noteAttributes: [{ name: "pickup_at", value: "08:15" }],
    lineItems: [
      { title: "Flat White", quantity: 2, price: "3.40", sku: "FW", variantTitle: "Oat", variantId: "gid://shopify/ProductVariant/1", productId: "gid://shopify/Product/1" },
    ],
  });
  store.addProduct(SAMPLE_SHOP, { title: "Flat White", productType: "drink", variants: [{ title: "Oat", price: "3.40", sku: "FW" }] });
  const line = order.lineItems[0];
  if (line) store.refundOrder(SAMPLE_SHOP, order.id, { lineItems: [{ lineItemId: line.id, quantity: 1 }] });
  state.bulkOperations.push({
    id: "gid://shopify/BulkOperation/1",
    shop: SAMPLE_SHOP,
    query: "{ orders { edges { node { id } } } }",
    type: "QUERY",
    status: "COMPLETED",
    errorCode: "TIMEOUT",
    createdAt: "2025-01-01T12:00:00Z",
    completedAt: "2025-01-01T12:00:01Z",
    objectCount: 1,
    rootObjectCount: 1,
    fileSize: 10,
    url: "http://127.0.0.1/bulk/1.jsonl",
    partialDataUrl: "http://127.0.0.1/bulk/1.jsonl",
  });
  const bulk = new BulkRunner({ store, baseUrl: () => "http://127.0.0.1", delayMs: 0, onFinish: () => undefined });
  const scope: AdminScope = { store, state, scopes: ALL_ORDERS, bulk, validationRoot: () => queryRoot(scope) };
  sample = scope;
  return scope;
}

export function sampleQueryRoot(): GqlObject {
  return queryRoot(sampleScope());
}

/** Throws the QueryError Shopify would answer with, paths given as in the document. */
export function validateOperation(document: DocumentNode, operation: OperationNode, variables: Args): void {
  const scope = sampleScope();
  const root = operation.operation === "mutation" ? mutationRoot(scope) : queryRoot(scope);
  try {
    executeSelections(document, root, operation.selections, variables, { bulk: false, dryRun: true, validating: true });
  } catch (error) {
    if (error instanceof QueryError && error.extra.path) {
      const label = operation.name ? `${operation.operation} ${operation.name}` : operation.operation;
      const path = [label, ...error.extra.path.filter((part) => typeof part === "string")];
      throw new QueryError(error.message, { ...error.extra, path });
    }
    throw error;
  }
}
