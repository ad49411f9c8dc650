import { z } from "zod";
import type { BooleanTest, DateOperand, DateTest, IssuePath, NumberOperand, NumberTest, ParseResult, SegmentCondition, SegmentDefinition, SegmentIssue, TextTest } from "./types";
import { Walk } from "./walk";

export * from "./types";

/**
 * Segment definitions: the JSON a cafe owner (or the admin's builder) writes,
 * validated into a typed tree the compiler turns into parameterised SQL.
 *
 * ```json
 * { "match": "all", "conditions": [
 *   { "field": "pattern", "op": "eq", "value": "weekday-morning" },
 *   { "field": "daysSinceLastVisit", "op": "between",
 *     "min": { "field": "usualGapDays", "times": 0.8 }, "max": { "field": "usualGapDays", "times": 1.2 } },
 *   { "not": { "inSegment": "at-risk" } } ] }
 * ```
 * A condition is a group (`match` all|any over `conditions`), `not`, `inSegment`
 * or a field test. Every object is strict: an unknown key is an error naming
 * its path. The walk is bounded (depth, condition count, issue count) before
 * it descends, so hostile input costs little.
 */

/** `conditions[2].value`, the way the issue is shown to a person. */
export function formatPath(path: IssuePath): string {
  let text = "";
  for (const part of path) {
    if (typeof part === "number") text += `[${part}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(part)) text += text === "" ? part : `.${part}`;
    else text += `[${JSON.stringify(part)}]`;
  }
  return text;
}

export function formatIssue(issue: SegmentIssue): string {
  return issue.path.length === 0 ? issue.message : `${formatPath(issue.path)}: ${issue.message}`;
}

/** Validates a definition. Never throws: anything wrong with the input comes back as issues. */
export function parseSegmentDefinition(input: unknown): ParseResult {
  const walk = new Walk();
  const definition = walk.group(input, [], 1);
  if (walk.issues.length > 0 || !definition) return { ok: false, issues: walk.finishedIssues() };
  return { ok: true, definition };
}

/** The same validation as a zod schema, for routes and forms that compose schemas. */
export const segmentDefinitionSchema = z.unknown().transform((input, ctx): SegmentDefinition => {
  const parsed = parseSegmentDefinition(input);
  if (parsed.ok) return parsed.definition;
  for (const issue of parsed.issues) ctx.addIssue({ code: "custom", message: issue.message, path: issue.path });
  return z.NEVER;
});

/** JSON as stored in Segment.definition. */
export type DefinitionJson = string | number | boolean | DefinitionJson[] | { [key: string]: DefinitionJson };

/** The JSON form of a parsed definition (defaults written out); parsing it gives the same definition back. */
export function definitionToJson(condition: SegmentCondition): { [key: string]: DefinitionJson } {
  switch (condition.kind) {
    case "group":
      return { match: condition.match, conditions: condition.conditions.map(definitionToJson) };
    case "not":
      return { not: definitionToJson(condition.condition) };
    case "inSegment":
      return { inSegment: condition.segmentId };
    case "number":
    case "date":
    case "text":
    case "boolean":
      return { field: condition.field, ...testToJson(condition.test) };
  }
}

type AnyTest = NumberTest | DateTest | TextTest | BooleanTest;

function testToJson(test: AnyTest): { [key: string]: DefinitionJson } {
  if ("values" in test) return { op: test.op, values: test.values };
  if ("min" in test) return { op: test.op, min: operandToJson(test.min), max: operandToJson(test.max) };
  if ("value" in test) return { op: test.op, value: typeof test.value === "object" ? operandToJson(test.value) : test.value };
  if ("days" in test) return { op: test.op, days: test.days };
  return { op: test.op };
}

function operandToJson(operand: NumberOperand | DateOperand): DefinitionJson {
  if (operand.kind === "literal") return operand.value;
  if (operand.kind === "daysAgo") return { daysAgo: operand.days };
  if ("times" in operand) return { field: operand.field, times: operand.times, plus: operand.plus };
  return { field: operand.field, plusDays: operand.plusDays };
}
