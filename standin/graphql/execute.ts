import type {
  Argument,
  Directive,
  DocumentNode,
  FieldNode,
  OperationNode,
  Selection,
  SourceLocation,
  ValueNode,
} from "./parse.ts";

/**
 * Executes a parsed document against resolver objects. Objects are built
 * lazily (each field a function), so a query only touches what it selects.
 * Like Shopify, a document that names an unknown field or misuses selections
 * is rejected whole: errors, no data.
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type Args = Record<string, JsonValue>;

export interface ResolveContext {
  /** A bulk operation is running the query: connections ignore paging and return everything. */
  bulk: boolean;
  /** Resolvers must not change state (the validation pass, see `validation.ts`). */
  dryRun: boolean;
  /**
   * Validation pass over a sample shop: filters and ids are ignored so every
   * selection meets an object and a misspelt field is found even when the
   * real shop has no data.
   */
  validating: boolean;
}

export type Resolved = string | number | boolean | null | GqlObject | Resolved[];
export type FieldResolver = (args: Args, context: ResolveContext) => Resolved;

export class GqlObject {
  constructor(
    readonly typename: string,
    readonly fields: Record<string, FieldResolver>,
    /** Interfaces and unions the type belongs to, for `... on Node` fragments. */
    readonly abstractTypes: readonly string[] = [],
    /** Set on connection objects: every node of the page (or of the whole list, in bulk). */
    readonly connectionNodes: readonly GqlObject[] | null = null,
  ) {}
}

export interface GraphQLErrorBody {
  message: string;
  locations?: SourceLocation[];
  path?: (string | number)[];
  extensions?: Record<string, JsonValue>;
}

/** A problem with the document itself; the whole request fails with it. */
export class QueryError extends Error {
  constructor(
    message: string,
    readonly extra: Omit<GraphQLErrorBody, "message"> = {},
  ) {
    super(message);
  }
  toBody(): GraphQLErrorBody {
    return { message: this.message, ...this.extra };
  }
}

interface Execution {
  document: DocumentNode;
  variables: Args;
  context: ResolveContext;
  /** Bulk mode: called for each connection met inside a node instead of inlining it. */
  onConnection: ((field: FieldNode, connection: GqlObject) => void) | null;
}

export function selectOperation(document: DocumentNode, operationName: string | null): OperationNode {
  if (operationName) {
    const named = document.operations.find((operation) => operation.name === operationName);
    if (!named) throw new QueryError(`No operation named "${operationName}"`);
    return named;
  }
  const [only, ...rest] = document.operations;
  if (!only || rest.length > 0) throw new QueryError("An operation name is required");
  return only;
}

/** Checks the supplied variables against the declared ones and fills in defaults. */
export function coerceVariables(operation: OperationNode, supplied: Args): Args {
  const variables: Args = {};
  for (const definition of operation.variables) {
    const value = supplied[definition.name];
    if (value === undefined || value === null) {
      if (definition.defaultValue) {
        variables[definition.name] = valueOf(definition.defaultValue, {});
      } else if (definition.type.endsWith("!")) {
        throw new QueryError(`Variable $${definition.name} of type ${definition.type} was provided invalid value`, {
          extensions: { code: "INVALID_VARIABLE", value: null, problems: [{ path: [], explanation: "Expected value to not be null" }] },
        });
      } else {
        variables[definition.name] = null;
      }
    } else {
      variables[definition.name] = value;
    }
  }
  return variables;
}

export function executeSelections(
  document: DocumentNode,
  root: GqlObject,
  selections: Selection[],
  variables: Args,
  context: ResolveContext,
): { [key: string]: JsonValue } {
  return completeObject({ document, variables, context, onConnection: null }, root, selections, []);
}

/**
 * Bulk mode: runs `selections` on `node`, but connections inside it are handed
 * to `onConnection` (to become their own JSONL lines) rather than inlined.
 */
export function executeBulkNode(
  document: DocumentNode,
  node: GqlObject,
  selections: Selection[],
  variables: Args,
  onConnection: (field: FieldNode, connection: GqlObject) => void,
  context: ResolveContext,
): { [key: string]: JsonValue } {
  return completeObject({ document, variables, context, onConnection }, node, selections, []);
}

export function argumentsOf(args: Argument[], variables: Args): Args {
  const result: Args = {};
  for (const arg of args) result[arg.name] = valueOf(arg.value, variables);
  return result;
}

function valueOf(node: ValueNode, variables: Args): JsonValue {
  switch (node.kind) {
    case "variable":
      return variables[node.name] ?? null;
    case "int":
    case "float":
    case "string":
    case "boolean":
    case "enum":
      return node.value;
    case "null":
      return null;
    case "list":
      return node.values.map((value) => valueOf(value, variables));
    case "object": {
      const object: { [key: string]: JsonValue } = {};
      for (const field of node.fields) object[field.name] = valueOf(field.value, variables);
      return object;
    }
  }
}

function included(directives: Directive[], variables: Args): boolean {
  for (const directive of directives) {
    const condition = argumentsOf(directive.args, variables).if;
    if (directive.name === "include" && condition !== true) return false;
    if (directive.name === "skip" && condition === true) return false;
  }
  return true;
}

function appliesTo(typeCondition: string | null, object: GqlObject): boolean {
  return typeCondition === null || typeCondition === object.typename || object.abstractTypes.includes(typeCondition);
}

/** Flattens fragments into the fields that apply to this object, in document order. */
export function collectFields(document: DocumentNode, object: GqlObject, selections: Selection[], variables: Args): FieldNode[] {
  const fields: FieldNode[] = [];
  for (const selection of selections) {
    if (!included(selection.directives, variables)) continue;
    if (selection.kind === "field") {
      fields.push(selection);
    } else if (selection.kind === "inlineFragment") {
      if (appliesTo(selection.typeCondition, object)) fields.push(...collectFields(document, object, selection.selections, variables));
    } else {
      const fragment = document.fragments.get(selection.name);
      if (!fragment) throw new QueryError(`Fragment ${selection.name} was used, but not defined`, { locations: [selection.loc] });
      if (appliesTo(fragment.typeCondition, object)) fields.push(...collectFields(document, object, fragment.selections, variables));
    }
  }
  return fields;
}

function completeObject(
  execution: Execution,
  object: GqlObject,
  selections: Selection[],
  path: (string | number)[],
): { [key: string]: JsonValue } {
  const result: { [key: string]: JsonValue } = {};
  for (const field of collectFields(execution.document, object, selections, execution.variables)) {
    const key = field.alias ?? field.name;
    const fieldPath = [...path, key];
    if (field.name === "__typename") {
      result[key] = object.typename;
      continue;
    }
    const resolver = object.fields[field.name];
    if (!resolver) {
      throw new QueryError(`Field '${field.name}' doesn't exist on type '${object.typename}'`, {
        locations: [field.loc],
        path: fieldPath,
        extensions: { code: "undefinedField", typeName: object.typename, fieldName: field.name },
      });
    }
    const value = resolver(argumentsOf(field.args, execution.variables), execution.context);
    if (execution.onConnection && value instanceof GqlObject && value.connectionNodes) {
      execution.onConnection(field, value);
      continue;
    }
    const completed = completeValue(execution, field, value, fieldPath);
    const existing = result[key];
    result[key] = isPlainObject(existing) && isPlainObject(completed) ? { ...existing, ...completed } : completed;
  }
  return result;
}

function completeValue(execution: Execution, field: FieldNode, value: Resolved, path: (string | number)[]): JsonValue {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((item, index) => completeValue(execution, field, item, [...path, index]));
  if (value instanceof GqlObject) {
    if (!field.selections) {
      throw new QueryError(
        `Field must have selections (field '${field.name}' returns ${value.typename} but has no selections. Did you mean '${field.name} { ... }'?)`,
        { locations: [field.loc], path, extensions: { code: "selectionMismatch", nodeName: `field '${field.name}'`, typeName: value.typename } },
      );
    }
    return completeObject(execution, value, field.selections, path);
  }
  if (field.selections) {
    throw new QueryError(
      `Selections can't be made on scalars (field '${field.name}' returns a scalar but has selections [${field.selections
        .map((selection) => (selection.kind === "field" ? selection.name : "..."))
        .join(", ")}])`,
      { locations: [field.loc], path, extensions: { code: "selectionMismatch", nodeName: `field '${field.name}'` } },
    );
  }
  return value;
}

function isPlainObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
