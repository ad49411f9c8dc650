/**
 * A small GraphQL parser: enough of the October 2021 spec for the documents an
 * Admin API client sends (operations, variables, aliases, arguments, fragments,
 * inline fragments, @include/@skip, block strings). No schema validation lives
 * here; unknown fields are found by running the document (see validation.ts).
 */

import { GraphQLSyntaxError, tokenize, type SourceLocation, type Token } from "./lex.ts";

export { GraphQLSyntaxError, type SourceLocation };

export type ValueNode =
  | { kind: "variable"; name: string }
  | { kind: "int"; value: number }
  | { kind: "float"; value: number }
  | { kind: "string"; value: string }
  | { kind: "boolean"; value: boolean }
  | { kind: "null" }
  | { kind: "enum"; value: string }
  | { kind: "list"; values: ValueNode[] }
  | { kind: "object"; fields: { name: string; value: ValueNode }[] };

export interface Directive {
  name: string;
  args: Argument[];
}

export interface Argument {
  name: string;
  value: ValueNode;
}

export interface FieldNode {
  kind: "field";
  alias: string | null;
  name: string;
  args: Argument[];
  directives: Directive[];
  selections: Selection[] | null;
  loc: SourceLocation;
}

export interface InlineFragmentNode {
  kind: "inlineFragment";
  typeCondition: string | null;
  directives: Directive[];
  selections: Selection[];
}

export interface FragmentSpreadNode {
  kind: "fragmentSpread";
  name: string;
  directives: Directive[];
  loc: SourceLocation;
}

export type Selection = FieldNode | InlineFragmentNode | FragmentSpreadNode;

export interface VariableDefinition {
  name: string;
  type: string;
  defaultValue: ValueNode | null;
}

export interface OperationNode {
  operation: "query" | "mutation" | "subscription";
  name: string | null;
  variables: VariableDefinition[];
  selections: Selection[];
  loc: SourceLocation;
}

export interface FragmentNode {
  name: string;
  typeCondition: string;
  selections: Selection[];
}

export interface DocumentNode {
  operations: OperationNode[];
  fragments: Map<string, FragmentNode>;
}


class Parser {
  private position = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.position] ?? { kind: "eof", value: "", loc: { line: 0, column: 0 } };
  }

  private advance(): Token {
    const token = this.peek();
    this.position++;
    return token;
  }

  private is(value: string): boolean {
    const token = this.peek();
    return (token.kind === "punct" || token.kind === "name") && token.value === value;
  }

  private expect(value: string): Token {
    const token = this.advance();
    if (token.value !== value || (token.kind !== "punct" && token.kind !== "name")) this.unexpected(token);
    return token;
  }

  private name(): Token {
    const token = this.advance();
    if (token.kind !== "name") this.unexpected(token);
    return token;
  }

  private unexpected(token: Token): never {
    const what = token.kind === "eof" ? "end of file" : `${token.kind === "name" ? "IDENTIFIER" : token.kind.toUpperCase()} ("${token.value}")`;
    throw new GraphQLSyntaxError(`Parse error on ${what} at [${token.loc.line}, ${token.loc.column}]`, token.loc);
  }

  document(): DocumentNode {
    const operations: OperationNode[] = [];
    const fragments = new Map<string, FragmentNode>();
    while (this.peek().kind !== "eof") {
      if (this.is("fragment")) {
        const fragment = this.fragment();
        fragments.set(fragment.name, fragment);
      } else {
        operations.push(this.operation());
      }
    }
    if (operations.length === 0) this.unexpected(this.peek());
    return { operations, fragments };
  }

  private operation(): OperationNode {
    const loc = this.peek().loc;
    if (this.is("{")) return { operation: "query", name: null, variables: [], selections: this.selectionSet(), loc };
    const kind = this.name();
    if (kind.value !== "query" && kind.value !== "mutation" && kind.value !== "subscription") this.unexpected(kind);
    const name = this.peek().kind === "name" ? this.name().value : null;
    const variables = this.is("(") ? this.variableDefinitions() : [];
    this.directives();
    return { operation: kind.value, name, variables, selections: this.selectionSet(), loc };
  }

  private fragment(): FragmentNode {
    this.expect("fragment");
    const name = this.name().value;
    this.expect("on");
    const typeCondition = this.name().value;
    this.directives();
    return { name, typeCondition, selections: this.selectionSet() };
  }

  private variableDefinitions(): VariableDefinition[] {
    const definitions: VariableDefinition[] = [];
    this.expect("(");
    while (!this.is(")")) {
      this.expect("$");
      const name = this.name().value;
      this.expect(":");
      const type = this.type();
      let defaultValue: ValueNode | null = null;
      if (this.is("=")) {
        this.advance();
        defaultValue = this.value(true);
      }
      this.directives();
      definitions.push({ name, type, defaultValue });
    }
    this.expect(")");
    return definitions;
  }

  private type(): string {
    let type: string;
    if (this.is("[")) {
      this.advance();
      type = `[${this.type()}]`;
      this.expect("]");
    } else {
      type = this.name().value;
    }
    if (this.is("!")) {
      this.advance();
      type += "!";
    }
    return type;
  }

  private selectionSet(): Selection[] {
    const selections: Selection[] = [];
    this.expect("{");
    while (!this.is("}")) selections.push(this.selection());
    this.expect("}");
    if (selections.length === 0) this.unexpected(this.peek());
    return selections;
  }

  private selection(): Selection {
    if (this.is("...")) {
      const spread = this.advance();
      if (this.is("on") || this.is("{") || this.is("@")) {
        let typeCondition: string | null = null;
        if (this.is("on")) {
          this.advance();
          typeCondition = this.name().value;
        }
        return { kind: "inlineFragment", typeCondition, directives: this.directives(), selections: this.selectionSet() };
      }
      return { kind: "fragmentSpread", name: this.name().value, directives: this.directives(), loc: spread.loc };
    }
    const first = this.name();
    let alias: string | null = null;
    let name = first.value;
    if (this.is(":")) {
      this.advance();
      alias = first.value;
      name = this.name().value;
    }
    const args = this.is("(") ? this.arguments() : [];
    const directives = this.directives();
    const selections = this.is("{") ? this.selectionSet() : null;
    return { kind: "field", alias, name, args, directives, selections, loc: first.loc };
  }

  private arguments(): Argument[] {
    const args: Argument[] = [];
    this.expect("(");
    while (!this.is(")")) {
      const name = this.name().value;
      this.expect(":");
      args.push({ name, value: this.value(false) });
    }
    this.expect(")");
    return args;
  }

  private directives(): Directive[] {
    const directives: Directive[] = [];
    while (this.is("@")) {
      this.advance();
      const name = this.name().value;
      directives.push({ name, args: this.is("(") ? this.arguments() : [] });
    }
    return directives;
  }

  private value(constant: boolean): ValueNode {
    const token = this.peek();
    if (token.kind === "punct" && token.value === "$" && !constant) {
      this.advance();
      return { kind: "variable", name: this.name().value };
    }
    if (token.kind === "punct" && token.value === "[") {
      this.advance();
      const values: ValueNode[] = [];
      while (!this.is("]")) values.push(this.value(constant));
      this.advance();
      return { kind: "list", values };
    }
    if (token.kind === "punct" && token.value === "{") {
      this.advance();
      const fields: { name: string; value: ValueNode }[] = [];
      while (!this.is("}")) {
        const name = this.name().value;
        this.expect(":");
        fields.push({ name, value: this.value(constant) });
      }
      this.advance();
      return { kind: "object", fields };
    }
    this.advance();
    switch (token.kind) {
      case "int":
        return { kind: "int", value: Number(token.value) };
      case "float":
        return { kind: "float", value: Number(token.value) };
      case "string":
        return { kind: "string", value: token.value };
      case "name":
        if (token.value === "true" || token.value === "false") return { kind: "boolean", value: token.value === "true" };
        if (token.value === "null") return { kind: "null" };
        return { kind: "enum", value: token.value };
      default:
        return this.unexpected(token);
    }
  }
}

export function parseDocument(source: string): DocumentNode {
  return new Parser(tokenize(source)).document();
}
