import { GqlObject, QueryError, type Args, type ResolveContext } from "./execute.ts";

/**
 * Relay connections the way the Admin API pages them: at most 250 per page,
 * `first` or `last` required, opaque cursors that name the last item's sort
 * value and id (so a page boundary survives inserts between requests).
 */

export const MAX_PAGE_SIZE = 250;

export type SortValue = string | number;

export interface ConnectionSpec<T> {
  typename: string;
  /** Items in ascending order of the chosen sort key. */
  items: readonly T[];
  sortValue: (item: T) => SortValue;
  numericId: (item: T) => number;
  toNode: (item: T) => GqlObject;
  fieldName: string;
}

interface CursorKey {
  value: SortValue;
  id: number;
}

function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify({ last_id: key.id, last_value: key.value })).toString("base64");
}

function decodeCursor(cursor: string, fieldName: string): CursorKey {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, "base64").toString("utf8"));
    if (typeof parsed === "object" && parsed !== null && "last_id" in parsed && "last_value" in parsed) {
      const { last_id: id, last_value: value } = parsed;
      if (typeof id === "number" && (typeof value === "string" || typeof value === "number")) return { id, value };
    }
  } catch {
    // fall through to the error Shopify gives for a cursor it did not issue
  }
  throw new QueryError(`Invalid cursor for current pagination sort.`, { path: [fieldName], extensions: { code: "BAD_REQUEST" } });
}

function compareKeys(a: CursorKey, b: CursorKey): number {
  if (a.value < b.value) return -1;
  if (a.value > b.value) return 1;
  return a.id - b.id;
}

function pageSize(args: Args, name: "first" | "last", fieldName: string): number | null {
  const value = args[name];
  if (value === undefined || value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new QueryError(`Argument '${name}' on Field '${fieldName}' has an invalid value (${JSON.stringify(value)}). Expected type 'Int'.`);
  }
  if (value > MAX_PAGE_SIZE) {
    throw new QueryError(`The ${name} argument for ${fieldName} must be between 0 and ${MAX_PAGE_SIZE}.`, {
      path: [fieldName],
      extensions: { code: "BAD_REQUEST" },
    });
  }
  return value;
}

export function connection<T>(spec: ConnectionSpec<T>, args: Args, context: ResolveContext): GqlObject {
  const keyOf = (item: T): CursorKey => ({ value: spec.sortValue(item), id: spec.numericId(item) });
  const reverse = args.reverse === true;
  const ordered = [...spec.items].sort((a, b) => compareKeys(keyOf(a), keyOf(b)) * (reverse ? -1 : 1));

  let page = ordered;
  let hasNextPage = false;
  let hasPreviousPage = false;
  if (!context.bulk) {
    const first = pageSize(args, "first", spec.fieldName);
    const last = pageSize(args, "last", spec.fieldName);
    if (first === null && last === null) {
      throw new QueryError("you must provide one of first or last", { path: [spec.fieldName], extensions: { code: "BAD_REQUEST" } });
    }
    if (context.validating) return connectionObject(spec, ordered, keyOf, false, false);
    const direction = reverse ? -1 : 1;
    const after = typeof args.after === "string" ? decodeCursor(args.after, spec.fieldName) : null;
    const before = typeof args.before === "string" ? decodeCursor(args.before, spec.fieldName) : null;
    if (after) {
      const beyond = page.filter((item) => compareKeys(keyOf(item), after) * direction > 0);
      hasPreviousPage = beyond.length < page.length;
      page = beyond;
    }
    if (before) {
      const within = page.filter((item) => compareKeys(keyOf(item), before) * direction < 0);
      hasNextPage = within.length < page.length;
      page = within;
    }
    if (first !== null && page.length > first) {
      page = page.slice(0, first);
      hasNextPage = true;
    }
    if (last !== null && page.length > last) {
      page = page.slice(page.length - last);
      hasPreviousPage = true;
    }
  }

  return connectionObject(spec, page, keyOf, hasNextPage, hasPreviousPage);
}

function connectionObject<T>(
  spec: ConnectionSpec<T>,
  page: readonly T[],
  keyOf: (item: T) => CursorKey,
  hasNextPage: boolean,
  hasPreviousPage: boolean,
): GqlObject {
  const edges = page.map((item) => ({ cursor: encodeCursor(keyOf(item)), node: spec.toNode(item) }));
  const nodes = edges.map((edge) => edge.node);
  const edgeType = spec.typename.replace(/Connection$/, "Edge");
  return new GqlObject(
    spec.typename,
    {
      edges: () => edges.map((edge) => new GqlObject(edgeType, { cursor: () => edge.cursor, node: () => edge.node })),
      nodes: () => nodes,
      pageInfo: () =>
        new GqlObject("PageInfo", {
          hasNextPage: () => hasNextPage,
          hasPreviousPage: () => hasPreviousPage,
          startCursor: () => edges[0]?.cursor ?? null,
          endCursor: () => edges[edges.length - 1]?.cursor ?? null,
        }),
    },
    [],
    nodes,
  );
}
