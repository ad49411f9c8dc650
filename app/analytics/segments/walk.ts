import { z } from "zod";
import { DATE_FIELDS, FIELD_NAMES, NUMBER_FIELDS, isBooleanField, isDateField, isFieldName, isNumberField, isTextField } from "./fields";
import {
  COMPARISONS,
  SEGMENT_ID,
  SEGMENT_LIMITS,
  operatorsFor,
  type DateOperand,
  type IssuePath,
  type NumberOperand,
  type OrderedTest,
  type SegmentCondition,
  type SegmentGroup,
  type SegmentIssue,
  type TextTest,
} from "./types";

/**
 * The validating walk over a definition's JSON (decision 0012): strict zod
 * shapes chosen by the keys present and the field's kind, with depth, size
 * and issue count checked before descending. Operands are `unknown` in the
 * shapes and checked by the walk, which knows the field's kind.
 */

const missingOr = (expected: string) => (issue: { input?: unknown }) => (issue.input === undefined ? "missing" : expected);
const text = (what: string) => z.string({ error: missingOr(`expected ${what}`) });
const conditionList = z
  .array(z.unknown(), { error: missingOr("expected a list of conditions") })
  .min(1, { error: "needs at least one condition" })
  .max(SEGMENT_LIMITS.maxConditions, { error: `holds at most ${SEGMENT_LIMITS.maxConditions} conditions` });
const valueList = z
  .array(z.unknown(), { error: missingOr("expected a list of values") })
  .min(1, { error: "needs at least one value" })
  .max(SEGMENT_LIMITS.maxSetSize, { error: `holds at most ${SEGMENT_LIMITS.maxSetSize} values` });
const wholeDays = (min: number) =>
  z
    .number({ error: missingOr("expected a whole number of days") })
    .int({ error: "expected a whole number of days" })
    .min(min, { error: `must be at least ${min}` })
    .max(SEGMENT_LIMITS.maxDays, { error: `must be at most ${SEGMENT_LIMITS.maxDays}` });
const bounded = (limit: number, what: string) =>
  z
    .number({ error: missingOr(`expected a number (${what})`) })
    .min(-limit, { error: `must be at least ${-limit}` })
    .max(limit, { error: `must be at most ${limit}` });

const SHAPES = {
  group: z.strictObject({ match: z.enum(["all", "any"], { error: 'expected "all" or "any"' }).optional(), conditions: conditionList }),
  not: z.strictObject({ not: z.unknown() }),
  inSegment: z.strictObject({
    inSegment: text("a segment id").regex(SEGMENT_ID, { error: "expected a segment id (letters, digits, - and _, at most 64)" }),
  }),
  comparison: z.strictObject({ field: z.string(), op: z.string(), value: z.unknown() }),
  between: z.strictObject({ field: z.string(), op: z.string(), min: z.unknown(), max: z.unknown() }),
  set: z.strictObject({ field: z.string(), op: z.string(), values: valueList }),
  nullTest: z.strictObject({ field: z.string(), op: z.string() }),
  relativeDate: z.strictObject({ field: z.string(), op: z.string(), days: wholeDays(0) }),
  numberRef: z.strictObject({
    field: z.enum(NUMBER_FIELDS, { error: (issue) => `expected a number field (${NUMBER_FIELDS.join(", ")})${got(issue.input)}` }),
    times: bounded(SEGMENT_LIMITS.maxMultiplier, "a multiplier").optional(),
    plus: bounded(SEGMENT_LIMITS.maxOffset, "an offset").optional(),
  }),
  dateRef: z.strictObject({
    field: z.enum(DATE_FIELDS, { error: (issue) => `expected a date field (${DATE_FIELDS.join(", ")})${got(issue.input)}` }),
    plusDays: z
      .number({ error: "expected a whole number of days" })
      .int({ error: "expected a whole number of days" })
      .min(-SEGMENT_LIMITS.maxDays, { error: `must be at least ${-SEGMENT_LIMITS.maxDays}` })
      .max(SEGMENT_LIMITS.maxDays, { error: `must be at most ${SEGMENT_LIMITS.maxDays}` })
      .optional(),
  }),
  daysAgo: z.strictObject({ daysAgo: wholeDays(-SEGMENT_LIMITS.maxDays) }),
};

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function got(input: unknown): string {
  if (input === undefined) return "";
  if (typeof input === "string") return `, got ${quote(input)}`;
  return `, got ${input === null ? "null" : Array.isArray(input) ? "a list" : typeof input}`;
}

/** Quotes a value from the input for a message, cut short so a hostile value cannot flood the output. */
function quote(value: string): string {
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One pass over the input, collecting every issue it can find within the limits. */
export class Walk {
  readonly issues: SegmentIssue[] = [];
  private dropped = 0;
  private conditions = 0;
  private overCount = false;

  finishedIssues(): SegmentIssue[] {
    if (this.dropped === 0) return this.issues;
    return [...this.issues, { path: [], message: `… and ${this.dropped} more problem(s)` }];
  }

  issue(path: IssuePath, message: string): undefined {
    if (this.issues.length < SEGMENT_LIMITS.maxIssues) this.issues.push({ path, message });
    else this.dropped += 1;
    return undefined;
  }

  /**
   * Runs a strict shape and files its problems under `path`, naming unknown
   * keys one by one. Unknown keys alone do not stop the walk, so the rest of
   * the object is still checked and every problem is listed at once.
   */
  shape<Shape extends z.ZodRawShape>(schema: z.ZodObject<Shape>, input: unknown, path: IssuePath): z.output<z.ZodObject<Shape>> | undefined {
    const result = schema.safeParse(input);
    if (result.success) return result.data;
    const allowed = Object.keys(schema.shape).join(", ");
    let onlyUnknownKeys = true;
    for (const issue of result.error.issues) {
      const at = [...path, ...issue.path.map((part) => (typeof part === "symbol" ? String(part) : part))];
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) this.issue([...at, key.length > 40 ? `${key.slice(0, 40)}…` : key], `unknown key (allowed here: ${allowed})`);
        continue;
      }
      onlyUnknownKeys = false;
      this.issue(at, issue.code === "invalid_type" && issue.expected === "nonoptional" ? "missing" : issue.message);
    }
    if (!onlyUnknownKeys) return undefined;
    const known = z.object(schema.shape).safeParse(input);
    return known.success ? known.data : undefined;
  }

  condition(input: unknown, path: IssuePath, depth: number): SegmentCondition | undefined {
    if (this.overCount) return undefined;
    this.conditions += 1;
    if (this.conditions > SEGMENT_LIMITS.maxConditions) {
      this.overCount = true;
      return this.issue(path, `too many conditions: a definition holds at most ${SEGMENT_LIMITS.maxConditions}`);
    }
    if (!isRecord(input)) {
      return this.issue(path, 'expected a condition: an object with "field", "inSegment", "not" or "conditions"');
    }
    if ("conditions" in input || "match" in input) return this.group(input, path, depth);
    if ("not" in input) return this.not(input, path, depth);
    if ("inSegment" in input) {
      const parsed = this.shape(SHAPES.inSegment, input, path);
      return parsed && { kind: "inSegment", segmentId: parsed.inSegment };
    }
    if ("field" in input) return this.fieldTest(input, path);
    return this.issue(path, 'expected a condition: an object with "field", "inSegment", "not" or "conditions"');
  }

  group(input: unknown, path: IssuePath, depth: number): SegmentGroup | undefined {
    if (depth > SEGMENT_LIMITS.maxDepth) return this.issue(path, `nested too deep: groups and "not" nest at most ${SEGMENT_LIMITS.maxDepth} levels`);
    if (!isRecord(input)) {
      return this.issue(path, 'expected a segment definition: an object like {"match": "all", "conditions": [ … ]}');
    }
    const parsed = this.shape(SHAPES.group, input, path);
    if (!parsed) return undefined;
    const conditions: SegmentCondition[] = [];
    parsed.conditions.forEach((item, index) => {
      const condition = this.condition(item, [...path, "conditions", index], depth + 1);
      if (condition) conditions.push(condition);
    });
    return { kind: "group", match: parsed.match ?? "all", conditions };
  }

  private not(input: Record<string, unknown>, path: IssuePath, depth: number): SegmentCondition | undefined {
    if (depth > SEGMENT_LIMITS.maxDepth) return this.issue(path, `nested too deep: groups and "not" nest at most ${SEGMENT_LIMITS.maxDepth} levels`);
    const parsed = this.shape(SHAPES.not, input, path);
    if (!parsed) return undefined;
    const condition = this.condition(parsed.not, [...path, "not"], depth + 1);
    return condition && { kind: "not", condition };
  }

  private fieldTest(input: Record<string, unknown>, path: IssuePath): SegmentCondition | undefined {
    const { field, op } = input;
    if (typeof field !== "string" || !isFieldName(field)) {
      return this.issue([...path, "field"], `unknown field${typeof field === "string" ? ` ${quote(field)}` : ""}; fields are ${FIELD_NAMES.join(", ")}`);
    }
    const operators = operatorsFor(field);
    if (op === undefined) return this.issue([...path, "op"], `missing (operators for ${field}: ${operators.join(", ")})`);
    if (typeof op !== "string" || !operators.includes(op)) {
      return this.issue(
        [...path, "op"],
        `${typeof op === "string" ? quote(op) : "this"} is not an operator for ${field}; use one of ${operators.join(", ")}`,
      );
    }
    if (isNumberField(field)) {
      const test = this.orderedTest(input, path, op, this.numberOperands);
      return test && { kind: "number", field, test };
    }
    if (isDateField(field)) {
      if (op === "withinLastDays" || op === "moreThanDaysAgo") {
        const parsed = this.shape(SHAPES.relativeDate, input, path);
        return parsed && { kind: "date", field, test: { op, days: parsed.days } };
      }
      const test = this.orderedTest(input, path, op, this.dateOperands);
      return test && { kind: "date", field, test };
    }
    if (isTextField(field)) {
      const test = this.textTest(input, path, op);
      return test && { kind: "text", field, test };
    }
    if (isBooleanField(field)) {
      const parsed = this.shape(SHAPES.comparison, input, path);
      if (!parsed) return undefined;
      if (typeof parsed.value !== "boolean") return this.issue([...path, "value"], parsed.value === undefined ? "missing" : "expected true or false");
      return { kind: "boolean", field, test: { op: op === "ne" ? "ne" : "eq", value: parsed.value } };
    }
    return this.issue([...path, "field"], `unknown field ${quote(field)}`);
  }

  private readonly numberOperands: OperandKind<NumberOperand, number> = {
    operand: (value, path) => this.numberOperand(value, path),
    literal: numberLiteral,
    minAboveMax: (min, max) => min.kind === "literal" && max.kind === "literal" && min.value > max.value,
  };

  private readonly dateOperands: OperandKind<DateOperand, string> = {
    operand: (value, path) => this.dateOperand(value, path),
    literal: dateLiteral,
    minAboveMax: (min, max) => min.kind === "literal" && max.kind === "literal" && min.value > max.value,
  };

  private orderedTest<Operand, Literal>(
    input: Record<string, unknown>,
    path: IssuePath,
    op: string,
    kind: OperandKind<Operand, Literal>,
  ): OrderedTest<Operand, Literal> | undefined {
    if (op === "isNull" || op === "isNotNull") return this.shape(SHAPES.nullTest, input, path) && { op };
    if (op === "in" || op === "notIn") {
      const values = this.literals(input, path, kind.literal);
      return values && { op, values };
    }
    if (op === "between") {
      const parsed = this.shape(SHAPES.between, input, path);
      if (!parsed) return undefined;
      const min = kind.operand(parsed.min, [...path, "min"]);
      const max = kind.operand(parsed.max, [...path, "max"]);
      if (!min || !max) return undefined;
      if (kind.minAboveMax(min, max)) return this.issue([...path, "max"], "must not be less than min");
      return { op, min, max };
    }
    const comparison = COMPARISONS.find((candidate) => candidate === op);
    if (!comparison) return this.issue([...path, "op"], `unsupported operator ${quote(op)}`);
    const parsed = this.shape(SHAPES.comparison, input, path);
    if (!parsed) return undefined;
    const value = kind.operand(parsed.value, [...path, "value"]);
    return value && { op: comparison, value };
  }

  private literals<Literal>(input: Record<string, unknown>, path: IssuePath, literal: LiteralCheck<Literal>): Literal[] | undefined {
    const parsed = this.shape(SHAPES.set, input, path);
    if (!parsed) return undefined;
    const values: Literal[] = [];
    let failed = false;
    parsed.values.forEach((item, index) => {
      const checked = literal.check(item);
      if (typeof checked === "string") {
        failed = true;
        this.issue([...path, "values", index], checked);
      } else values.push(checked.value);
    });
    return failed ? undefined : values;
  }

  private numberOperand(value: unknown, path: IssuePath): NumberOperand | undefined {
    if (isRecord(value)) {
      const ref = this.shape(SHAPES.numberRef, value, path);
      return ref && { kind: "field", field: ref.field, times: ref.times ?? 1, plus: ref.plus ?? 0 };
    }
    const checked = numberLiteral.check(value);
    return typeof checked === "string" ? this.issue(path, checked) : { kind: "literal", value: checked.value };
  }

  private dateOperand(value: unknown, path: IssuePath): DateOperand | undefined {
    if (isRecord(value)) {
      if ("daysAgo" in value) {
        const parsed = this.shape(SHAPES.daysAgo, value, path);
        return parsed && { kind: "daysAgo", days: parsed.daysAgo };
      }
      const ref = this.shape(SHAPES.dateRef, value, path);
      return ref && { kind: "field", field: ref.field, plusDays: ref.plusDays ?? 0 };
    }
    const checked = dateLiteral.check(value);
    if (typeof checked !== "string") return { kind: "literal", value: checked.value };
    return this.issue(path, checked === EXPECTED_DATE ? `${EXPECTED_DATE}, {"daysAgo": N} or {"field": "firstVisitOn", "plusDays": N}` : checked);
  }

  private textTest(input: Record<string, unknown>, path: IssuePath, op: string): TextTest | undefined {
    if (op === "isNull" || op === "isNotNull") return this.shape(SHAPES.nullTest, input, path) && { op };
    if (op === "in" || op === "notIn") {
      const values = this.literals(input, path, textLiteral);
      return values && { op, values };
    }
    const parsed = this.shape(SHAPES.comparison, input, path);
    if (!parsed) return undefined;
    const checked = textLiteral.check(parsed.value);
    if (typeof checked === "string") return this.issue([...path, "value"], checked);
    return { op: op === "ne" ? "ne" : "eq", value: checked.value };
  }
}

/** Checks one literal value: the value, or the message saying what is wrong. */
interface LiteralCheck<T> {
  check(value: unknown): { value: T } | string;
}

/** How a field kind reads its operands (literal or relative) and orders two literals. */
interface OperandKind<Operand, Literal> {
  operand(value: unknown, path: IssuePath): Operand | undefined;
  literal: LiteralCheck<Literal>;
  minAboveMax(min: Operand, max: Operand): boolean;
}

const numberLiteral: LiteralCheck<number> = {
  check: (value) => (typeof value === "number" && Number.isFinite(value) ? { value } : value === undefined ? "missing" : "expected a number"),
};

const EXPECTED_DATE = 'expected a date like "2026-03-02"';

const dateLiteral: LiteralCheck<string> = {
  check(value) {
    if (value === undefined) return "missing";
    const match = typeof value === "string" ? ISO_DATE.exec(value) : null;
    if (!match || typeof value !== "string") return EXPECTED_DATE;
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day);
    if (year < 1 || date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
      return `${quote(value)} is not a calendar date`;
    }
    return { value };
  },
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const textLiteral: LiteralCheck<string> = {
  check(value) {
    if (value === undefined) return "missing";
    if (typeof value !== "string") return "expected text";
    if (value.length > SEGMENT_LIMITS.maxTextLength) return `text is longer than ${SEGMENT_LIMITS.maxTextLength} characters`;
    // PostgreSQL text cannot hold NUL; refusing it here keeps the query from failing later.
    if (value.includes("\u0000")) return "text must not contain the NUL character";
    // Half a UTF-16 pair: the stored definition (JSON) could not hold it, and as text it would match something else.
    if (LONE_SURROGATE.test(value)) return "text must not contain a broken character (half of a UTF-16 pair)";
    return { value };
  },
};
