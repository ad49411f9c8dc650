import { FIELD_NAMES, SEGMENT_FIELDS, type FieldName } from "./fields";
import { operatorsFor } from "./types";

/**
 * The admin builder's rows (field, operator, value as typed) turned into a
 * segment definition's JSON. Deliberately lenient: a value that is not what
 * the field needs is passed on as typed, so the server's validation (the one
 * definition parser) names the problem and its path.
 */

export interface BuilderRow {
  field: string;
  op: string;
  value: string;
}

export interface BuilderState {
  match: "all" | "any";
  rows: BuilderRow[];
}

export const BUILDER_FIELDS = FIELD_NAMES.map((name) => ({ name, kind: SEGMENT_FIELDS[name].kind, description: SEGMENT_FIELDS[name].description }));

export function builderOperators(field: string): string[] {
  return (FIELD_NAMES as string[]).includes(field) ? operatorsFor(field as FieldName) : [];
}

function scalar(field: string, text: string): unknown {
  const kind = (FIELD_NAMES as string[]).includes(field) ? SEGMENT_FIELDS[field as FieldName].kind : "text";
  const trimmed = text.trim();
  if (kind === "number") return trimmed !== "" && Number.isFinite(Number(trimmed)) ? Number(trimmed) : trimmed;
  if (kind === "boolean") return trimmed === "true" ? true : trimmed === "false" ? false : trimmed;
  return trimmed;
}

function days(text: string): unknown {
  const trimmed = text.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}

export function rowCondition(row: BuilderRow): Record<string, unknown> {
  const base = { field: row.field, op: row.op };
  switch (row.op) {
    case "isNull":
    case "isNotNull":
      return base;
    case "in":
    case "notIn":
      return { ...base, values: row.value.split(",").map((part) => scalar(row.field, part)).filter((v) => v !== "") };
    case "between": {
      const [min = "", max = ""] = row.value.split(",");
      return { ...base, min: scalar(row.field, min), max: scalar(row.field, max) };
    }
    case "withinLastDays":
    case "moreThanDaysAgo":
      return { ...base, days: days(row.value) };
    default:
      return { ...base, value: scalar(row.field, row.value) };
  }
}

export function builderDefinition(state: BuilderState): { match: "all" | "any"; conditions: Array<Record<string, unknown>> } {
  return { match: state.match, conditions: state.rows.map(rowCondition) };
}

/** What to type in the value box for an operator. */
export function valueHint(field: string, op: string): string {
  if (op === "isNull" || op === "isNotNull") return "no value";
  if (op === "in" || op === "notIn") return "values separated by commas";
  if (op === "between") return "min,max";
  if (op === "withinLastDays" || op === "moreThanDaysAgo") return "days";
  const kind = (FIELD_NAMES as string[]).includes(field) ? SEGMENT_FIELDS[field as FieldName].kind : "text";
  return kind === "date" ? "YYYY-MM-DD" : kind === "boolean" ? "true or false" : kind === "number" ? "a number" : "text";
}
