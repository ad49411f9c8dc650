/**
 * Shopify's search syntax, the part apps use to sync incrementally:
 * `updated_at:>='2024-05-01T00:00:00Z' AND financial_status:paid`.
 * Terms on fields the stand-in does not know are ignored, as Shopify ignores
 * invalid search fields (it only adds a warning).
 */

export type Comparator = ">" | ">=" | "<" | "<=" | "=";

export interface SearchTerm {
  field: string;
  comparator: Comparator;
  value: string;
  negated: boolean;
}

export type FieldValue = string | number | boolean | null | readonly string[];

function unquote(value: string): string {
  const first = value.charAt(0);
  if ((first === "'" || first === '"') && value.endsWith(first) && value.length >= 2) return value.slice(1, -1);
  return value;
}

/** Splits on whitespace outside quotes. */
function words(query: string): string[] {
  return query.match(/(?:[^\s"']+|"[^"]*"|'[^']*')+/g) ?? [];
}

export function parseSearchQuery(query: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  for (const word of words(query)) {
    if (word === "AND" || word === "OR") continue;
    const negated = word.startsWith("-");
    const text = negated ? word.slice(1) : word;
    const colon = text.indexOf(":");
    if (colon <= 0) continue;
    const field = text.slice(0, colon);
    let rest = text.slice(colon + 1);
    let comparator: Comparator = "=";
    for (const candidate of [">=", "<=", ">", "<"] as const) {
      if (rest.startsWith(candidate)) {
        comparator = candidate;
        rest = rest.slice(candidate.length);
        break;
      }
    }
    terms.push({ field, comparator, value: unquote(rest), negated });
  }
  return terms;
}

function compare(actual: FieldValue, term: SearchTerm): boolean {
  if (actual === null) return false;
  if (Array.isArray(actual)) return actual.some((item: string) => item.toLowerCase() === term.value.toLowerCase());
  let left: number | string;
  let right: number | string;
  const asTime = typeof actual === "string" ? Date.parse(actual) : Number.NaN;
  const termTime = Date.parse(term.value);
  if (!Number.isNaN(asTime) && !Number.isNaN(termTime) && /^\d{4}-\d{2}-\d{2}/.test(term.value)) {
    left = asTime;
    right = termTime;
  } else if (typeof actual === "number") {
    left = actual;
    right = Number(term.value);
  } else {
    left = String(actual).toLowerCase();
    right = term.value.toLowerCase();
  }
  switch (term.comparator) {
    case ">":
      return left > right;
    case ">=":
      return left >= right;
    case "<":
      return left < right;
    case "<=":
      return left <= right;
    case "=":
      return left === right;
  }
}

export function matchesSearch<T>(item: T, terms: readonly SearchTerm[], fields: Record<string, (item: T) => FieldValue>): boolean {
  return terms.every((term) => {
    const accessor = fields[term.field];
    if (!accessor) return true;
    const matched = compare(accessor(item), term);
    return term.negated ? !matched : matched;
  });
}
