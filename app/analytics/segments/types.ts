import { fieldSpec, type BooleanField, type DateField, type FieldKind, type FieldName, type NumberField, type TextField } from "./fields";

/** What a segment definition is once validated (definition.ts), and the limits it keeps to. */

export const SEGMENT_LIMITS = {
  /** Groups and `not`s nest at most this deep (the top-level group is level 1). */
  maxDepth: 8,
  /** Conditions of every kind (groups, `not`s and tests) in one definition. */
  maxConditions: 100,
  maxSetSize: 100,
  maxTextLength: 100,
  maxDays: 36_500,
  maxMultiplier: 1_000,
  maxOffset: 1_000_000,
  /** Problems reported for one definition; the rest are summarised. */
  maxIssues: 100,
} as const;

export const COMPARISONS = ["eq", "ne", "lt", "lte", "gt", "gte"] as const;
export type Comparison = (typeof COMPARISONS)[number];
export type SetOp = "in" | "notIn";
export type NullOp = "isNull" | "isNotNull";
export type RelativeDateOp = "withinLastDays" | "moreThanDaysAgo";

/** Another field's value, scaled: `times × field + plus` (e.g. 1.2× their usual gap). */
export type NumberOperand = { kind: "literal"; value: number } | { kind: "field"; field: NumberField; times: number; plus: number };
/** A calendar date, a date relative to the as-of date, or another date field shifted by whole days. */
export type DateOperand =
  | { kind: "literal"; value: string }
  | { kind: "daysAgo"; days: number }
  | { kind: "field"; field: DateField; plusDays: number };

type NullTest = { op: NullOp };
export type OrderedTest<Operand, Literal> =
  | { op: Comparison; value: Operand }
  | { op: "between"; min: Operand; max: Operand }
  | { op: SetOp; values: Literal[] }
  | NullTest;

export type NumberTest = OrderedTest<NumberOperand, number>;
export type DateTest = OrderedTest<DateOperand, string> | { op: RelativeDateOp; days: number };
export type TextTest = { op: "eq" | "ne"; value: string } | { op: SetOp; values: string[] } | NullTest;
export type BooleanTest = { op: "eq" | "ne"; value: boolean };

export type SegmentCondition =
  | SegmentGroup
  | { kind: "not"; condition: SegmentCondition }
  | { kind: "inSegment"; segmentId: string }
  | { kind: "number"; field: NumberField; test: NumberTest }
  | { kind: "text"; field: TextField; test: TextTest }
  | { kind: "date"; field: DateField; test: DateTest }
  | { kind: "boolean"; field: BooleanField; test: BooleanTest };
export type SegmentGroup = { kind: "group"; match: "all" | "any"; conditions: SegmentCondition[] };
/** A parsed definition: its top level is always a group. */
export type SegmentDefinition = SegmentGroup;

export type IssuePath = Array<string | number>;
export interface SegmentIssue {
  path: IssuePath;
  message: string;
}
export type ParseResult = { ok: true; definition: SegmentDefinition } | { ok: false; issues: SegmentIssue[] };

export const SEGMENT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

const OPS_BY_KIND: Record<FieldKind, readonly string[]> = {
  number: [...COMPARISONS, "between", "in", "notIn"],
  text: ["eq", "ne", "in", "notIn"],
  date: [...COMPARISONS, "between", "in", "notIn", "withinLastDays", "moreThanDaysAgo"],
  boolean: ["eq", "ne"],
};

/** Operators a field accepts: isNull/isNotNull only where the value can be missing. */
export function operatorsFor(field: FieldName): string[] {
  const spec = fieldSpec(field);
  return [...OPS_BY_KIND[spec.kind], ...(spec.nullable ? ["isNull", "isNotNull"] : [])];
}
