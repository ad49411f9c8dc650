import { metafieldKey, resolveNamespace, type Metafield, type MetafieldInput, type MetafieldUserError } from "../metafields.ts";
import type { ShopState } from "../store.ts";
import type { AdminScope } from "./root.ts";
import { GqlObject, QueryError, type Args, type JsonValue, type ResolveContext } from "./execute.ts";

/**
 * Metafields and tags in Admin GraphQL: `metafield(namespace:, key:)` and
 * `metafields(first:, namespace:)` on an owner, and the `tagsAdd`,
 * `tagsRemove`, `metafieldsSet`, `metafieldsDelete` mutations. In the
 * validation pass (`context.validating`) every payload carries a sample of
 * each object, so a misspelt field in a selection is refused; nothing changes
 * state then (`context.dryRun`).
 */

const value = <T extends string | number | boolean | null>(v: T) => () => v;

const SAMPLE_METAFIELD: Metafield = {
  id: "gid://shopify/Metafield/1",
  ownerId: "gid://shopify/Customer/1",
  namespace: "app--1--sample",
  key: "sample",
  value: "{}",
  type: "json",
  createdAt: "2025-01-01T12:00:00Z",
  updatedAt: "2025-01-01T12:00:00Z",
};

export function metafieldObject(metafield: Metafield): GqlObject {
  return new GqlObject(
    "Metafield",
    {
      id: value(metafield.id),
      legacyResourceId: value(metafield.id.replace(/^.*\//, "")),
      namespace: value(metafield.namespace),
      key: value(metafield.key),
      value: value(metafield.value),
      type: value(metafield.type),
      ownerType: value(metafield.ownerId.includes("/Order/") ? "ORDER" : "CUSTOMER"),
      description: value(null),
      createdAt: value(metafield.createdAt),
      updatedAt: value(metafield.updatedAt),
    },
    ["Node", "HasMetafields"],
  );
}

const text = (v: JsonValue | undefined): string | null => (typeof v === "string" ? v : null);

/** The `metafield` and `metafields` fields of an owner (customer, order). */
export function ownerMetafieldFields(state: ShopState, ownerId: string): GqlObject["fields"] {
  const owned = () => [...state.metafields.values()].filter((m) => m.ownerId === ownerId);
  return {
    metafield: (args: Args, context: ResolveContext) => {
      if (context.validating) return metafieldObject(SAMPLE_METAFIELD);
      const key = text(args.key);
      if (key === null) throw new QueryError("Field 'metafield' is missing required arguments: key");
      const found = state.metafields.get(metafieldKey(ownerId, resolveNamespace(text(args.namespace)), key));
      return found ? metafieldObject(found) : null;
    },
    metafields: (args: Args, context: ResolveContext) => {
      const namespace = text(args.namespace);
      const first = typeof args.first === "number" ? args.first : 250;
      const list = context.validating
        ? [SAMPLE_METAFIELD]
        : owned().filter((m) => namespace === null || m.namespace === resolveNamespace(namespace));
      const page = list.slice(0, first);
      return new GqlObject("MetafieldConnection", {
        nodes: () => page.map(metafieldObject),
        edges: () => page.map((m) => new GqlObject("MetafieldEdge", { node: () => metafieldObject(m), cursor: value(m.id) })),
        pageInfo: () =>
          new GqlObject("PageInfo", {
            hasNextPage: value(list.length > first),
            hasPreviousPage: value(false),
            startCursor: value(null),
            endCursor: value(null),
          }),
      });
    },
  };
}

function userError(typename: string, error: { field: string[] | null; message: string; code?: string; elementIndex?: number }): GqlObject {
  return new GqlObject(typename, {
    field: () => error.field,
    message: value(error.message),
    code: value(error.code ?? null),
    elementIndex: value(error.elementIndex ?? null),
  });
}

const SAMPLE_ERROR = { field: ["sample"], message: "sample", code: "INVALID", elementIndex: 0 };

/** Tags may come as a list or as one comma-separated string, as Shopify accepts. */
function tagsArgument(raw: JsonValue | undefined): string[] {
  if (typeof raw === "string") return raw.split(",");
  if (Array.isArray(raw)) return raw.filter((tag): tag is string => typeof tag === "string");
  return [];
}

function metafieldInputs(raw: JsonValue | undefined): MetafieldInput[] {
  const list = Array.isArray(raw) ? raw : [];
  return list.map((item) => {
    const record = item !== null && typeof item === "object" && !Array.isArray(item) ? item : {};
    return {
      ownerId: text(record.ownerId) ?? "",
      namespace: text(record.namespace),
      key: text(record.key) ?? "",
      value: text(record.value) ?? "",
      type: text(record.type),
    };
  });
}

export function metafieldMutations(scope: AdminScope, sampleNode: () => GqlObject | null): GqlObject["fields"] {
  const store = scope.store;
  const shop = scope.state.info.myshopifyDomain;

  const tagsMutation = (typename: string, change: "add" | "remove") => (args: Args, context: ResolveContext) => {
    const id = text(args.id) ?? "";
    const tags = tagsArgument(args.tags);
    if (context.validating) {
      return new GqlObject(typename, { node: sampleNode, userErrors: () => [userError("UserError", SAMPLE_ERROR)] });
    }
    const exists = scope.state.customers.has(id) || scope.state.orders.has(id);
    if (exists && !context.dryRun) store.changeTags(shop, id, change === "add" ? { add: tags } : { remove: tags });
    return new GqlObject(typename, {
      node: () => (exists ? new GqlObject(id.includes("/Order/") ? "Order" : "Customer", { id: value(id) }, ["Node"]) : null),
      userErrors: () => (exists ? [] : [userError("UserError", { field: ["id"], message: "Resource not found" })]),
    });
  };

  return {
    tagsAdd: tagsMutation("TagsAddPayload", "add"),
    tagsRemove: tagsMutation("TagsRemovePayload", "remove"),
    metafieldsSet: (args: Args, context: ResolveContext) => {
      if (context.validating || context.dryRun) {
        return new GqlObject("MetafieldsSetPayload", {
          metafields: () => [metafieldObject(SAMPLE_METAFIELD)],
          userErrors: () => [userError("MetafieldsSetUserError", SAMPLE_ERROR)],
        });
      }
      const outcome = store.setMetafields(shop, metafieldInputs(args.metafields));
      return new GqlObject("MetafieldsSetPayload", {
        metafields: () => (outcome.ok ? outcome.metafields.map(metafieldObject) : null),
        userErrors: () => (outcome.ok ? [] : outcome.errors.map((e: MetafieldUserError) => userError("MetafieldsSetUserError", e))),
      });
    },
    metafieldsDelete: (args: Args, context: ResolveContext) => {
      const identifier = (m: { ownerId: string; namespace: string; key: string }) =>
        new GqlObject("MetafieldIdentifier", { ownerId: value(m.ownerId), namespace: value(m.namespace), key: value(m.key) });
      if (context.validating || context.dryRun) {
        return new GqlObject("MetafieldsDeletePayload", {
          deletedMetafields: () => [identifier(SAMPLE_METAFIELD)],
          userErrors: () => [userError("UserError", SAMPLE_ERROR)],
        });
      }
      // Shopify answers null in place of an identifier that named no metafield.
      const deleted = metafieldInputs(args.metafields).map((input) =>
        store.deleteMetafield(shop, input.ownerId, input.namespace, input.key)
          ? identifier({ ownerId: input.ownerId, namespace: resolveNamespace(input.namespace), key: input.key })
          : null,
      );
      return new GqlObject("MetafieldsDeletePayload", { deletedMetafields: () => deleted, userErrors: () => [] });
    },
  };
}
