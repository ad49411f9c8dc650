import { Prisma } from "../../db/generated/client";
import { assertNever } from "../../lib/assert-never";
import { isLocalDate } from "../local-dates";
import type {
  BooleanTest,
  DateOperand,
  DateTest,
  IssuePath,
  NumberOperand,
  NumberTest,
  OrderedTest,
  SegmentCondition,
  SegmentDefinition,
  SegmentIssue,
  TextTest,
} from "./definition";
import { SEGMENT_FIELDS, type FieldName } from "./fields";

/**
 * Compiles a parsed definition into a WHERE clause over "MemberFeature" f.
 * Values only ever travel as bound parameters ($n); the only text spliced into
 * the SQL comes from this file and the field allow-list. The shop is always
 * the first condition ($1), so a definition cannot reach another shop's rows.
 *
 * Logic is two-valued: a test on a missing value (a null pAlive, say) is
 * false, and NOT of it is true. SQL's NULL would make `NOT (pAlive < 0.5)`
 * silently drop everyone without a prediction; COALESCE under each NOT stops
 * that (AND and OR need nothing: a NULL there already ends up false).
 */

export const COMPILE_LIMITS = {
  /** Conditions after expanding `inSegment` references into their definitions. */
  maxExpandedConditions: 1_000,
  /** How many segments may refer through one another (a → b → c …). */
  maxSegmentChain: 8,
} as const;

/** A stored segment as the compiler sees it: its parsed definition, or why it could not be parsed. */
export type ResolvedSegment = { ok: true; definition: SegmentDefinition } | { ok: false; issues: SegmentIssue[] };

export interface CompileOptions {
  shop: string;
  /** The local date (UTC midnight) that daysSinceLastVisit, tenureDays and relative dates count from. */
  asOf: Date;
  /** The shop's segments, for `inSegment`. */
  segments?: ReadonlyMap<string, ResolvedSegment>;
  /** The id of the segment being compiled, so that a reference back to it is caught as a cycle. */
  segmentId?: string;
}

export type CompileResult = { ok: true; where: Prisma.Sql } | { ok: false; issues: SegmentIssue[] };

const COMPARISON_SQL = { eq: "=", ne: "<>", lt: "<", lte: "<=", gt: ">", gte: ">=" } as const;

/** A local date (UTC midnight of the shop-local day) as YYYY-MM-DD. */
export function localDateText(date: Date): string {
  if (!isLocalDate(date)) throw new RangeError(`as-of must be a local date (UTC midnight), got ${Number.isNaN(date.getTime()) ? "an invalid date" : date.toISOString()}`);
  return date.toISOString().slice(0, 10);
}

export function compileSegment(definition: SegmentDefinition, options: CompileOptions): CompileResult {
  const compiler = new Compiler(options);
  try {
    const predicate = compiler.condition(definition, [], options.segmentId === undefined ? [] : [options.segmentId]);
    return { ok: true, where: Prisma.sql`f.shop = ${options.shop} AND ${predicate}` };
  } catch (error) {
    if (error instanceof CompileIssue) return { ok: false, issues: [{ path: error.path, message: error.message }] };
    throw error;
  }
}

/** Every segment id a definition refers to directly. */
export function referencedSegments(condition: SegmentCondition): string[] {
  switch (condition.kind) {
    case "group":
      return condition.conditions.flatMap(referencedSegments);
    case "not":
      return referencedSegments(condition.condition);
    case "inSegment":
      return [condition.segmentId];
    case "number":
    case "text":
    case "date":
    case "boolean":
      return [];
    default:
      return assertNever(condition, "segment condition");
  }
}

class CompileIssue extends Error {
  constructor(
    readonly path: IssuePath,
    message: string,
  ) {
    super(message);
  }
}

class Compiler {
  private expanded = 0;
  private readonly asOf: Prisma.Sql;

  constructor(private readonly options: CompileOptions) {
    this.asOf = Prisma.sql`${localDateText(options.asOf)}::date`;
  }

  /**
   * `path` locates the condition in the definition being compiled. Inside a
   * referenced segment (`referenced`) it stays at the reference, which is
   * what the author can fix. `chain` holds the segments being expanded.
   */
  condition(condition: SegmentCondition, path: IssuePath, chain: string[], referenced = false): Prisma.Sql {
    this.expanded += 1;
    if (this.expanded > COMPILE_LIMITS.maxExpandedConditions) {
      throw new CompileIssue(path, `too many conditions once referenced segments are included (at most ${COMPILE_LIMITS.maxExpandedConditions})`);
    }
    const below = (...steps: Array<string | number>) => (referenced ? path : [...path, ...steps]);
    switch (condition.kind) {
      case "group": {
        const parts = condition.conditions.map((child, index) => this.condition(child, below("conditions", index), chain, referenced));
        return Prisma.sql`(${Prisma.join(parts, condition.match === "all" ? " AND " : " OR ")})`;
      }
      case "not":
        return Prisma.sql`NOT COALESCE(${this.condition(condition.condition, below("not"), chain, referenced)}, false)`;
      case "inSegment":
        return this.segment(condition.segmentId, below("inSegment"), chain);
      // Tests are parenthesised so that no operator precedence can leak between them.
      case "number":
        return Prisma.sql`(${numberTest(this.field(condition.field), condition.test, this.operand)})`;
      case "date":
        return Prisma.sql`(${this.dateTest(this.field(condition.field), condition.test)})`;
      case "text":
        return Prisma.sql`(${textTest(this.field(condition.field), condition.test)})`;
      case "boolean":
        return Prisma.sql`(${this.memberTest(condition.test)})`;
      default:
        return assertNever(condition, "segment condition");
    }
  }

  private segment(segmentId: string, at: IssuePath, chain: string[]): Prisma.Sql {
    if (chain.includes(segmentId)) {
      throw new CompileIssue(at, `segments refer to each other in a circle: ${[...chain, segmentId].join(" → ")}`);
    }
    if (chain.length >= COMPILE_LIMITS.maxSegmentChain) {
      throw new CompileIssue(at, `segments refer through one another more than ${COMPILE_LIMITS.maxSegmentChain} deep`);
    }
    const resolved = this.options.segments?.get(segmentId);
    if (!resolved) throw new CompileIssue(at, `no segment ${JSON.stringify(segmentId)} in this shop`);
    if (!resolved.ok) throw new CompileIssue(at, `segment ${JSON.stringify(segmentId)} has an invalid definition; fix it first`);
    return this.condition(resolved.definition, at, [...chain, segmentId], true);
  }

  private field(field: FieldName): Prisma.Sql {
    const source = SEGMENT_FIELDS[field].source;
    if ("column" in source) return Prisma.raw(`f."${source.column}"`);
    if ("daysUntilAsOf" in source) return Prisma.sql`(${this.asOf} - ${Prisma.raw(`f."${source.daysUntilAsOf}"`)})`;
    throw new Error(`segment field ${field} has no column`);
  }

  private readonly operand = (operand: NumberOperand): Prisma.Sql => {
    switch (operand.kind) {
      case "literal":
        return number(operand.value);
      // Always the full form, so that the SQL text depends on the definition's shape only, never on its values.
      case "field":
        return Prisma.sql`(${number(operand.times)} * ${this.field(operand.field)} + ${number(operand.plus)})`;
      default:
        return assertNever(operand, "number operand");
    }
  };

  private dateOperand(operand: DateOperand): Prisma.Sql {
    switch (operand.kind) {
      case "literal":
        return Prisma.sql`${operand.value}::date`;
      case "daysAgo":
        return Prisma.sql`(${this.asOf} - ${operand.days}::integer)`;
      case "field":
        return Prisma.sql`(${this.field(operand.field)} + ${operand.plusDays}::integer)`;
      default:
        return assertNever(operand, "date operand");
    }
  }

  private dateTest(left: Prisma.Sql, test: DateTest): Prisma.Sql {
    switch (test.op) {
      // Within the last N days: on the as-of date or up to N days before it.
      case "withinLastDays":
        return Prisma.sql`${left} BETWEEN (${this.asOf} - ${test.days}::integer) AND ${this.asOf}`;
      case "moreThanDaysAgo":
        return Prisma.sql`${left} < (${this.asOf} - ${test.days}::integer)`;
      default:
        return orderedTest(left, test, (operand) => this.dateOperand(operand), (value) => Prisma.sql`${value}::date`);
    }
  }

  private memberTest(test: BooleanTest): Prisma.Sql {
    const exists = Prisma.sql`EXISTS (SELECT 1 FROM "Member" m WHERE m.shop = f.shop AND m."customerId" = f."customerId" AND m.status = ${"active"})`;
    const wantMember = test.op === "eq" ? test.value : !test.value;
    return wantMember ? exists : Prisma.sql`NOT ${exists}`;
  }
}

function number(value: number): Prisma.Sql {
  return Prisma.sql`${value}::double precision`;
}

function numberTest(left: Prisma.Sql, test: NumberTest, operand: (operand: NumberOperand) => Prisma.Sql): Prisma.Sql {
  return orderedTest(left, test, operand, number);
}

function orderedTest<Operand, Literal>(
  left: Prisma.Sql,
  test: OrderedTest<Operand, Literal>,
  operand: (operand: Operand) => Prisma.Sql,
  literal: (value: Literal) => Prisma.Sql,
): Prisma.Sql {
  switch (test.op) {
    case "between":
      return Prisma.sql`${left} BETWEEN ${operand(test.min)} AND ${operand(test.max)}`;
    case "in":
      return Prisma.sql`${left} IN (${Prisma.join(test.values.map(literal))})`;
    case "notIn":
      return Prisma.sql`${left} NOT IN (${Prisma.join(test.values.map(literal))})`;
    case "isNull":
      return Prisma.sql`${left} IS NULL`;
    case "isNotNull":
      return Prisma.sql`${left} IS NOT NULL`;
    default:
      return Prisma.sql`${left} ${Prisma.raw(COMPARISON_SQL[test.op])} ${operand(test.value)}`;
  }
}

function textTest(left: Prisma.Sql, test: TextTest): Prisma.Sql {
  const text = (value: string) => Prisma.sql`${value}::text`;
  switch (test.op) {
    case "eq":
      return Prisma.sql`${left} = ${text(test.value)}`;
    case "ne":
      return Prisma.sql`${left} <> ${text(test.value)}`;
    case "in":
      return Prisma.sql`${left} IN (${Prisma.join(test.values.map(text))})`;
    case "notIn":
      return Prisma.sql`${left} NOT IN (${Prisma.join(test.values.map(text))})`;
    case "isNull":
      return Prisma.sql`${left} IS NULL`;
    case "isNotNull":
      return Prisma.sql`${left} IS NOT NULL`;
    default:
      return assertNever(test, "text test");
  }
}
