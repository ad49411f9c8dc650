/** The GraphQL lexer (spec §2.1): punctuators, names, numbers, strings, block strings. */

export interface SourceLocation {
  line: number;
  column: number;
}

export class GraphQLSyntaxError extends Error {
  constructor(
    message: string,
    readonly loc: SourceLocation,
  ) {
    super(message);
  }
}

type TokenKind = "punct" | "name" | "int" | "float" | "string" | "eof";

export interface Token {
  kind: TokenKind;
  value: string;
  loc: SourceLocation;
}

const PUNCTUATORS = new Set(["!", "$", "&", "(", ")", ":", "=", "@", "[", "]", "{", "|", "}"]);

export function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const loc = (at: number): SourceLocation => ({ line, column: at - lineStart + 1 });
  const fail = (message: string, at: number): never => {
    throw new GraphQLSyntaxError(message, loc(at));
  };

  while (i < source.length) {
    const ch = source.charAt(i);
    if (ch === "\n") {
      i++;
      line++;
      lineStart = i;
    } else if (ch === " " || ch === "\t" || ch === "\r" || ch === "," || ch === "\uFEFF") {
      i++;
    } else if (ch === "#") {
      while (i < source.length && source.charAt(i) !== "\n") i++;
    } else if (ch === "." && source.startsWith("...", i)) {
      tokens.push({ kind: "punct", value: "...", loc: loc(i) });
      i += 3;
    } else if (PUNCTUATORS.has(ch)) {
      tokens.push({ kind: "punct", value: ch, loc: loc(i) });
      i++;
    } else if (/[_A-Za-z]/.test(ch)) {
      const start = i;
      while (i < source.length && /[_0-9A-Za-z]/.test(source.charAt(i))) i++;
      tokens.push({ kind: "name", value: source.slice(start, i), loc: loc(start) });
    } else if (/[-0-9]/.test(ch)) {
      const match = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(source.slice(i));
      if (!match) fail(`Parse error on "${ch}"`, i);
      const text = match?.[0] ?? "";
      tokens.push({ kind: match?.[2] || match?.[3] ? "float" : "int", value: text, loc: loc(i) });
      i += text.length;
    } else if (source.startsWith('"""', i)) {
      const start = i;
      i += 3;
      let raw = "";
      while (!source.startsWith('"""', i)) {
        if (i >= source.length) fail("Unterminated string", start);
        if (source.startsWith('\\"""', i)) {
          raw += '"""';
          i += 4;
          continue;
        }
        const c = source.charAt(i);
        if (c === "\n") {
          line++;
          lineStart = i + 1;
        }
        raw += c;
        i++;
      }
      i += 3;
      tokens.push({ kind: "string", value: blockStringValue(raw), loc: loc(start) });
    } else if (ch === '"') {
      const start = i;
      i++;
      let value = "";
      while (source.charAt(i) !== '"') {
        if (i >= source.length || source.charAt(i) === "\n") fail("Unterminated string", start);
        const c = source.charAt(i);
        if (c === "\\") {
          const next = source.charAt(i + 1);
          const escapes: Record<string, string> = { '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
          if (next === "u") {
            value += String.fromCharCode(parseInt(source.slice(i + 2, i + 6), 16));
            i += 6;
          } else if (escapes[next] !== undefined) {
            value += escapes[next];
            i += 2;
          } else {
            fail(`Bad escape sequence \\${next}`, i);
          }
        } else {
          value += c;
          i++;
        }
      }
      i++;
      tokens.push({ kind: "string", value, loc: loc(start) });
    } else {
      fail(`Parse error on "${ch}"`, i);
    }
  }
  tokens.push({ kind: "eof", value: "", loc: loc(i) });
  return tokens;
}

/** Block strings drop their common indentation and blank first/last lines (spec §2.9.4). */
function blockStringValue(raw: string): string {
  const lines = raw.split(/\r\n|\n|\r/);
  let common: number | null = null;
  for (const text of lines.slice(1)) {
    const indent = text.length - text.trimStart().length;
    if (indent < text.length && (common === null || indent < common)) common = indent;
  }
  const dedented = lines.map((text, index) => (index === 0 || common === null ? text : text.slice(common)));
  while (dedented.length > 0 && (dedented[0] ?? "").trim() === "") dedented.shift();
  while (dedented.length > 0 && (dedented[dedented.length - 1] ?? "").trim() === "") dedented.pop();
  return dedented.join("\n");
}
