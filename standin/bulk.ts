import { gid, legacyId } from "./ids.ts";
import {
  argumentsOf,
  collectFields,
  executeBulkNode,
  GqlObject,
  QueryError,
  type Args,
  type JsonValue,
  type ResolveContext,
} from "./graphql/execute.ts";
import { GraphQLSyntaxError, parseDocument, type DocumentNode, type FieldNode, type Selection } from "./graphql/parse.ts";
import type { ShopState, StandinStore } from "./store.ts";
import { isoSeconds } from "./time.ts";
import type { BulkOperation } from "./types.ts";

/**
 * Bulk query operations: accepted at once, run "later" (after a configurable
 * delay), results written as JSONL the way Shopify writes them — one line per
 * object, nested connection nodes on their own lines after their parent,
 * pointing back with `__parentId`.
 * https://shopify.dev/docs/api/usage/bulk-operations/queries
 */

export type StartOutcome =
  | { ok: true; operation: BulkOperation }
  | { ok: false; message: string; field: string[] | null; code: string | null };

export type CancelOutcome = { ok: true; operation: BulkOperation } | { ok: false; message: string };

export interface BulkRunnerOptions {
  store: StandinStore;
  /** Where the JSONL files are served from (the stand-in's own URL). */
  baseUrl: () => string;
  /** How long an operation takes from CREATED to COMPLETED. */
  delayMs: number;
  /** Told when an operation reaches a final status (for the bulk_operations/finish webhook). */
  onFinish: (shop: ShopState, operation: BulkOperation) => void;
}

interface BulkResult {
  lines: string[];
  rootObjectCount: number;
}

export class BulkRunner {
  private readonly files = new Map<number, string[]>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly options: BulkRunnerOptions) {}

  start(state: ShopState, query: string, root: () => GqlObject, validationRoot: () => GqlObject, dryRun: boolean): StartOutcome {
    let document: DocumentNode;
    try {
      document = parseDocument(query);
      validateBulkQuery(document);
      // Shopify refuses a query naming an unknown field up front; running it on the sample shop finds those.
      runBulkQuery(document, validationRoot(), { bulk: true, dryRun: true, validating: true });
    } catch (error) {
      if (error instanceof GraphQLSyntaxError || error instanceof QueryError) {
        return { ok: false, message: `Invalid bulk query: ${error.message}`, field: ["query"], code: "INVALID" };
      }
      throw error;
    }
    const running = state.bulkOperations.find((op) => op.status === "CREATED" || op.status === "RUNNING" || op.status === "CANCELING");
    if (running) {
      return {
        ok: false,
        message: `A bulk query operation for this app and shop is already in progress: ${running.id}.`,
        field: null,
        code: "OPERATION_IN_PROGRESS",
      };
    }
    const operation: BulkOperation = {
      id: dryRun ? gid("BulkOperation", 0) : gid("BulkOperation", this.options.store.nextId("BulkOperation")),
      shop: state.info.myshopifyDomain,
      query,
      type: "QUERY",
      status: "CREATED",
      errorCode: null,
      createdAt: isoSeconds(this.options.store.now()),
      completedAt: null,
      objectCount: 0,
      rootObjectCount: 0,
      fileSize: null,
      url: null,
      partialDataUrl: null,
    };
    if (dryRun) return { ok: true, operation };
    state.bulkOperations.push(operation);
    this.later(Math.floor(this.options.delayMs / 2), () => {
      if (operation.status === "CREATED") operation.status = "RUNNING";
    });
    this.later(this.options.delayMs, () => this.finish(state, operation, document, root));
    return { ok: true, operation };
  }

  cancel(state: ShopState, id: string, dryRun: boolean): CancelOutcome {
    const operation = state.bulkOperations.find((candidate) => candidate.id === id);
    if (!operation) return { ok: false, message: "Bulk operation does not exist" };
    if (operation.status !== "CREATED" && operation.status !== "RUNNING") {
      return { ok: false, message: `A bulk operation cannot be canceled when it is ${operation.status.toLowerCase()}` };
    }
    if (dryRun) return { ok: true, operation };
    operation.status = "CANCELING";
    this.later(Math.floor(this.options.delayMs / 4), () => {
      operation.status = "CANCELED";
      operation.completedAt = isoSeconds(this.options.store.now());
      this.options.onFinish(state, operation);
    });
    return { ok: true, operation };
  }

  /** The JSONL lines of a completed operation, or null if there is no such file. */
  file(numericId: number): readonly string[] | null {
    return this.files.get(numericId) ?? null;
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(ms: number, task: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, ms);
    this.timers.add(timer);
  }

  private finish(state: ShopState, operation: BulkOperation, document: DocumentNode, root: () => GqlObject): void {
    if (operation.status !== "CREATED" && operation.status !== "RUNNING") return;
    operation.completedAt = isoSeconds(this.options.store.now());
    const failure = state.failNextBulkOperation;
    if (failure) {
      state.failNextBulkOperation = null;
      operation.status = "FAILED";
      operation.errorCode = failure;
    } else {
      const result = runBulkQuery(document, root(), { bulk: true, dryRun: false, validating: false });
      const id = legacyId(operation.id);
      operation.status = "COMPLETED";
      operation.objectCount = result.lines.length;
      operation.rootObjectCount = result.rootObjectCount;
      // Shopify gives no file at all when the query matched nothing: url stays null.
      if (result.lines.length > 0) {
        this.files.set(id, result.lines);
        operation.fileSize = result.lines.reduce((bytes, line) => bytes + Buffer.byteLength(line) + 1, 0);
        operation.url = `${this.options.baseUrl()}/bulk/${id}.jsonl`;
      }
    }
    this.options.onFinish(state, operation);
  }
}

function validateBulkQuery(document: DocumentNode): void {
  const [operation, ...others] = document.operations;
  if (!operation || others.length > 0) throw new QueryError("Bulk queries must contain exactly one operation.");
  if (operation.operation !== "query") throw new QueryError("Bulk queries must be queries, not mutations.");
  if (operation.variables.length > 0) throw new QueryError("Bulk queries cannot use variables.");
  const roots = operation.selections.filter((selection) => selection.kind === "field");
  if (roots.length !== 1) throw new QueryError("Bulk queries must have exactly one top-level field.");
}

/** The selections under a connection's `edges { node { … } }` and `nodes { … }`. */
function nodeSelections(document: DocumentNode, connection: GqlObject, field: FieldNode): Selection[] {
  const selections: Selection[] = [];
  for (const child of collectFields(document, connection, field.selections ?? [], {})) {
    if (child.name === "nodes") selections.push(...(child.selections ?? []));
    if (child.name === "edges") {
      for (const edgeField of child.selections ?? []) {
        if (edgeField.kind === "field" && edgeField.name === "node") selections.push(...(edgeField.selections ?? []));
      }
    }
  }
  return selections;
}

export function runBulkQuery(document: DocumentNode, root: GqlObject, context: ResolveContext): BulkResult {
  const operation = document.operations[0];
  const field = operation?.selections.find((selection): selection is FieldNode => selection.kind === "field");
  if (!operation || !field) throw new QueryError("Bulk queries must have exactly one top-level field.");
  const resolver = root.fields[field.name];
  if (!resolver) {
    throw new QueryError(`Field '${field.name}' doesn't exist on type '${root.typename}'`, { locations: [field.loc] });
  }
  const variables: Args = {};
  const top = resolver(argumentsOf(field.args, variables), context);
  if (!(top instanceof GqlObject) || !top.connectionNodes) throw new QueryError("Bulk queries must contain at least one connection.");

  const lines: string[] = [];
  const emit = (node: GqlObject, selections: Selection[], parentId: string | null, depth: number) => {
    const children: { field: FieldNode; connection: GqlObject }[] = [];
    const object: { [key: string]: JsonValue } = executeBulkNode(
      document,
      node,
      selections,
      variables,
      (childField, connection) => children.push({ field: childField, connection }),
      context,
    );
    if (parentId !== null) object.__parentId = parentId;
    lines.push(JSON.stringify(object));
    if (children.length === 0) return;
    const id = object.id;
    if (typeof id !== "string") {
      throw new QueryError("The parent 'node' field for a nested connection must select the 'id' field without an alias and must be of 'ID' return type.");
    }
    if (depth >= 2) throw new QueryError("Bulk queries cannot contain connections with a nesting depth greater than 2.");
    for (const child of children) {
      const childSelections = nodeSelections(document, child.connection, child.field);
      for (const childNode of child.connection.connectionNodes ?? []) emit(childNode, childSelections, id, depth + 1);
    }
  };

  const rootSelections = nodeSelections(document, top, field);
  const roots = top.connectionNodes;
  for (const node of roots) emit(node, rootSelections, null, 1);
  return { lines, rootObjectCount: roots.length };
}
