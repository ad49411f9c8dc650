import { z } from "zod";
import type { BulkRunner } from "../bulk.ts";
import type { HttpReply } from "../http.ts";
import type { StandinStore } from "../store.ts";
import { coerceVariables, executeSelections, QueryError, selectOperation, type JsonValue } from "./execute.ts";
import { GraphQLSyntaxError, parseDocument } from "./parse.ts";
import { mutationRoot, queryRoot, type AdminScope } from "./root.ts";
import { sampleQueryRoot, validateOperation } from "./validation.ts";

/**
 * POST /admin/api/:version/graphql.json for one shop. Mirrors Shopify's
 * answers at the HTTP level: 401 with its exact wording for a bad token, 200
 * with `errors` for anything wrong with the document, `extensions.cost` on
 * every answer, THROTTLED when a test asked for it.
 */

const requestBody = z.object({
  query: z.string(),
  variables: z.record(z.string(), z.json()).nullish(),
  operationName: z.string().nullish(),
});

export const API_VERSION_PATTERN = /^(\d{4}-(01|04|07|10)|unstable)$/;

const BUCKET_SIZE = 2000;
const RESTORE_RATE = 100;

function cost(actual: number, available: number): JsonValue {
  return {
    requestedQueryCost: actual,
    actualQueryCost: actual,
    throttleStatus: { maximumAvailable: BUCKET_SIZE, currentlyAvailable: available, restoreRate: RESTORE_RATE },
  };
}

/** A rough cost: one point per object returned, like Shopify's per-object charge. */
function countObjects(value: JsonValue): number {
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + countObjects(item), 0);
  if (value !== null && typeof value === "object") {
    return 1 + Object.values(value).reduce<number>((sum, item) => sum + countObjects(item), 0);
  }
  return 0;
}

export interface GraphQLRequest {
  shop: string;
  accessToken: string | undefined;
  contentType: string;
  body: string;
}

export function handleGraphQL(deps: { store: StandinStore; bulk: BulkRunner }, request: GraphQLRequest): HttpReply {
  const state = deps.store.findShop(request.shop);
  if (!state) return { status: 404, body: { errors: "Not Found" } };
  const token = request.accessToken ? deps.store.isValidAccessToken(request.shop, request.accessToken) : null;
  if (!token) {
    return { status: 401, body: { errors: "[API] Invalid API key or access token (unrecognized login or wrong password)" } };
  }

  let query: string;
  let variables: Record<string, JsonValue> = {};
  let operationName: string | null = null;
  if (request.contentType.includes("application/graphql")) {
    query = request.body;
  } else {
    let json: unknown;
    try {
      json = JSON.parse(request.body);
    } catch {
      json = null;
    }
    const parsed = requestBody.safeParse(json);
    if (!parsed.success) return { status: 400, body: { errors: { query: "Required parameter missing or invalid" } } };
    query = parsed.data.query;
    variables = parsed.data.variables ?? {};
    operationName = parsed.data.operationName ?? null;
  }

  if (state.throttleNextRequests > 0) {
    state.throttleNextRequests--;
    return {
      status: 200,
      body: {
        errors: [{ message: "Throttled", extensions: { code: "THROTTLED", documentation: "https://shopify.dev/api/usage/rate-limits" } }],
        extensions: { cost: cost(0, 0) },
      },
    };
  }

  const scope: AdminScope = {
    store: deps.store,
    state,
    scopes: new Set(token.scope.split(",").map((s) => s.trim()).filter(Boolean)),
    bulk: deps.bulk,
    validationRoot: sampleQueryRoot,
  };
  try {
    const document = parseDocument(query);
    const operation = selectOperation(document, operationName);
    const coerced = coerceVariables(operation, variables);
    if (operation.operation === "subscription") throw new QueryError("Subscriptions are not supported by the Admin API");
    // The whole document is checked before anything runs, so a bad mutation changes nothing.
    validateOperation(document, operation, coerced);
    const root = operation.operation === "mutation" ? mutationRoot(scope) : queryRoot(scope);
    const data = executeSelections(document, root, operation.selections, coerced, { bulk: false, dryRun: false, validating: false });
    const spent = Math.max(1, countObjects(data));
    return { status: 200, body: { data, extensions: { cost: cost(spent, BUCKET_SIZE - spent) } } };
  } catch (error) {
    if (error instanceof GraphQLSyntaxError) {
      return { status: 200, body: { errors: [{ message: error.message, locations: [{ ...error.loc }] }] } };
    }
    if (error instanceof QueryError) {
      const body = error.toBody();
      return {
        status: 200,
        body: {
          errors: [
            {
              message: body.message,
              ...(body.locations ? { locations: body.locations.map((loc) => ({ ...loc })) } : {}),
              ...(body.path ? { path: body.path } : {}),
              ...(body.extensions ? { extensions: body.extensions } : {}),
            },
          ],
        },
      };
    }
    throw error;
  }
}
