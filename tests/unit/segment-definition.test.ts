import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BUILT_IN_SEGMENTS, patternRegulars, patternSegmentId } from "../../app/analytics/segments/built-in";
import { COMPILE_LIMITS, compileSegment, type ResolvedSegment } from "../../app/analytics/segments/compile";
import {
  SEGMENT_ID,
  SEGMENT_LIMITS,
  definitionToJson,
  formatIssue,
  parseSegmentDefinition,
  segmentDefinitionSchema,
  type SegmentDefinition,
} from "../../app/analytics/segments/definition";
import { INJECTIONS, REFERENCED_SEGMENTS, mutatedDefinition, segmentDefinition } from "../support/segment-arbitraries";

const SHOP = "north-cafe.myshopify.com";
const AS_OF = new Date("2026-03-01T00:00:00Z");

const visits = (value: unknown) => ({ field: "visitCount", op: "gte", value });

function errors(input: unknown): string[] {
  const parsed = parseSegmentDefinition(input);
  if (parsed.ok) throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
  return parsed.issues.map(formatIssue);
}

function valid(input: unknown): SegmentDefinition {
  const parsed = parseSegmentDefinition(input);
  if (!parsed.ok) throw new Error(`expected a valid definition, got ${parsed.issues.map(formatIssue).join("; ")}`);
  return parsed.definition;
}

function nested(levels: number): unknown {
  let condition: unknown = visits(1);
  for (let level = 0; level < levels; level += 1) condition = { conditions: [condition] };
  return condition;
}

const resolved = (input: unknown): ResolvedSegment => {
  const parsed = parseSegmentDefinition(input);
  return parsed.ok ? { ok: true, definition: parsed.definition } : { ok: false, issues: parsed.issues };
};

describe("segment definitions: accepted", () => {
  it.each([
    ["a comparison (match defaults to all)", { conditions: [visits(3)] }],
    ["a range over a derived field", { conditions: [{ field: "tenureDays", op: "between", min: 30, max: 90 }] }],
    [
      "a relative comparison: days since last visit between 0.8× and 1.2× the usual gap",
      {
        conditions: [
          { field: "daysSinceLastVisit", op: "between", min: { field: "usualGapDays", times: 0.8 }, max: { field: "usualGapDays", times: 1.2 } },
        ],
      },
    ],
    ["a field plus a constant", { conditions: [{ field: "totalSpend", op: "gt", value: { field: "avgSpend", times: 10, plus: -5 } }] }],
    ["sets of text, numbers and dates", {
      conditions: [
        { field: "pattern", op: "in", values: ["weekday-morning", "weekend-midday"] },
        { field: "visitCount", op: "notIn", values: [1, 2] },
        { field: "acquisitionMonth", op: "in", values: ["2026-01-01", "2026-02-01"] },
      ],
    }],
    ["missing values", { conditions: [{ field: "pAlive", op: "isNull" }, { field: "dueFrom", op: "isNotNull" }] }],
    ["relative dates", {
      conditions: [
        { field: "lastVisitOn", op: "withinLastDays", days: 14 },
        { field: "firstVisitOn", op: "moreThanDaysAgo", days: 90 },
        { field: "dueFrom", op: "lte", value: { daysAgo: 0 } },
        { field: "lastVisitOn", op: "gte", value: { field: "firstVisitOn", plusDays: 28 } },
        { field: "acquisitionWeek", op: "eq", value: "2026-01-05" },
      ],
    }],
    ["NOT and OR groups, membership and other segments", {
      match: "any",
      conditions: [
        { not: { field: "pAlive", op: "lt", value: 0.5 } },
        { match: "all", conditions: [{ field: "member", op: "eq", value: true }, { inSegment: "lapsing" }] },
      ],
    }],
  ])("%s", (_name, input) => {
    const definition = valid(input);
    expect(definition.kind).toBe("group");
    // The stored JSON form parses back to the same definition.
    expect(valid(definitionToJson(definition))).toEqual(definition);
  });

  it("fills in defaults: match all, times 1, plus 0", () => {
    expect(valid({ conditions: [{ field: "totalSpend", op: "gt", value: { field: "avgSpend" } }] })).toEqual({
      kind: "group",
      match: "all",
      conditions: [{ kind: "number", field: "totalSpend", test: { op: "gt", value: { kind: "field", field: "avgSpend", times: 1, plus: 0 } } }],
    });
  });

  it("is also available as a zod schema", () => {
    expect(segmentDefinitionSchema.safeParse({ conditions: [visits(2)] }).success).toBe(true);
    const failed = segmentDefinitionSchema.safeParse({ conditions: [visits("2")] });
    expect(failed.error?.issues.map((issue) => [issue.path, issue.message])).toEqual([[["conditions", 0, "value"], "expected a number"]]);
  });
});

describe("segment definitions: rejected with messages naming the path", () => {
  it.each<[string, unknown, unknown[]]>([
    ["a string where a number belongs", { conditions: [visits(1), visits(2), visits("three")] }, ["conditions[2].value: expected a number"]],
    ["not an object", "visitCount > 3", ['expected a segment definition: an object like {"match": "all", "conditions": [ … ]}']],
    ["no conditions", { match: "all" }, ["conditions: missing"]],
    ["an empty group", { conditions: [] }, ["conditions: needs at least one condition"]],
    ["an unknown match", { match: "most", conditions: [visits(1)] }, ['match: expected "all" or "any"']],
    [
      "an unknown field",
      { conditions: [{ field: "favouriteDrink", op: "eq", value: "latte" }] },
      [expect.stringMatching(/^conditions\[0\]\.field: unknown field "favouriteDrink"; fields are visitCount, totalSpend, .*, member$/)],
    ],
    [
      "an operator the field does not have",
      { conditions: [{ field: "pattern", op: "gt", value: "a" }] },
      ['conditions[0].op: "gt" is not an operator for pattern; use one of eq, ne, in, notIn'],
    ],
    [
      "isNull on a field that is never empty",
      { conditions: [{ field: "visitCount", op: "isNull" }] },
      ['conditions[0].op: "isNull" is not an operator for visitCount; use one of eq, ne, lt, lte, gt, gte, between, in, notIn'],
    ],
    ["a missing operator", { conditions: [{ field: "visitCount", value: 1 }] }, ["conditions[0].op: missing (operators for visitCount: eq, ne, lt, lte, gt, gte, between, in, notIn)"]],
    ["a missing value", { conditions: [{ field: "visitCount", op: "eq" }] }, ["conditions[0].value: missing"]],
    ["text for a number in a set", { conditions: [{ field: "visitCount", op: "in", values: [1, "2"] }] }, ["conditions[0].values[1]: expected a number"]],
    ["a range upside down", { conditions: [{ field: "visitCount", op: "between", min: 5, max: 2 }] }, ["conditions[0].max: must not be less than min"]],
    ["a date that does not exist", { conditions: [{ field: "firstVisitOn", op: "gte", value: "2026-02-30" }] }, ['conditions[0].value: "2026-02-30" is not a calendar date']],
    [
      "a date in another format",
      { conditions: [{ field: "firstVisitOn", op: "gte", value: "01/02/2026" }] },
      ['conditions[0].value: expected a date like "2026-03-02", {"daysAgo": N} or {"field": "firstVisitOn", "plusDays": N}'],
    ],
    ["a fraction of a day", { conditions: [{ field: "lastVisitOn", op: "withinLastDays", days: 1.5 }] }, ["conditions[0].days: expected a whole number of days"]],
    [
      "a number field compared with a date field",
      { conditions: [{ field: "visitCount", op: "gt", value: { field: "lastVisitOn" } }] },
      [expect.stringMatching(/^conditions\[0\]\.value\.field: expected a number field \(visitCount, .*\), got "lastVisitOn"$/)],
    ],
    ["member compared with text", { conditions: [{ field: "member", op: "eq", value: "yes" }] }, ["conditions[0].value: expected true or false"]],
    ["a segment id with SQL in it", { conditions: [{ inSegment: "x'; --" }] }, ["conditions[0].inSegment: expected a segment id (letters, digits, - and _, at most 64)"]],
    ["a list where a condition belongs", { conditions: [[visits(1)]] }, ['conditions[0]: expected a condition: an object with "field", "inSegment", "not" or "conditions"']],
  ])("%s", (_name, input, expected) => {
    expect(errors(input)).toEqual(expected);
  });

  it("rejects unknown keys wherever they appear, naming each", () => {
    expect(
      errors({
        name: "morning people",
        conditions: [
          { field: "visitCount", op: "gte", value: 3, unit: "visits" },
          { not: visits(1), because: "x" },
          { field: "daysSinceLastVisit", op: "gt", value: { field: "usualGapDays", times: 2, roundUp: true } },
          { conditions: [visits(1)], where: "1=1" },
        ],
      }),
    ).toEqual([
      "name: unknown key (allowed here: match, conditions)",
      "conditions[0].unit: unknown key (allowed here: field, op, value)",
      "conditions[1].because: unknown key (allowed here: not)",
      "conditions[2].value.roundUp: unknown key (allowed here: field, times, plus)",
      "conditions[3].where: unknown key (allowed here: match, conditions)",
    ]);
  });

  it("lists every problem at once", () => {
    expect(
      errors({
        conditions: [visits("a"), { field: "pattern", op: "eq", value: 7 }, { field: "pAlive", op: "lt", value: null }, { inSegment: "" }],
      }),
    ).toEqual([
      "conditions[0].value: expected a number",
      "conditions[1].value: expected text",
      "conditions[2].value: expected a number",
      "conditions[3].inSegment: expected a segment id (letters, digits, - and _, at most 64)",
    ]);
  });

  it("names odd keys readably and cuts long ones short", () => {
    const long = "k".repeat(100);
    expect(errors({ conditions: [visits(1)], "two words": 1, [long]: 2 })).toEqual([
      '["two words"]: unknown key (allowed here: match, conditions)',
      `["${"k".repeat(40)}…"]: unknown key (allowed here: match, conditions)`,
    ]);
  });

  it("keeps a hostile value out of the message beyond a short quote", () => {
    const [message] = errors({ conditions: [{ field: `${"x".repeat(10_000)}`, op: "eq", value: 1 }] });
    expect(message?.length).toBeLessThan(500);
  });
});

describe("segment definitions: limits", () => {
  it(`nests groups ${SEGMENT_LIMITS.maxDepth} deep, not deeper`, () => {
    expect(parseSegmentDefinition(nested(SEGMENT_LIMITS.maxDepth)).ok).toBe(true);
    const messages = errors(nested(SEGMENT_LIMITS.maxDepth + 1));
    expect(messages).toEqual([
      `conditions[0]${".conditions[0]".repeat(SEGMENT_LIMITS.maxDepth - 1)}: nested too deep: groups and "not" nest at most 8 levels`,
    ]);
  });

  it("counts NOT as a level", () => {
    let condition: unknown = visits(1);
    for (let level = 0; level < SEGMENT_LIMITS.maxDepth; level += 1) condition = { not: condition };
    expect(errors({ conditions: [condition] })).toEqual([`conditions[0]${".not".repeat(7)}: nested too deep: groups and "not" nest at most 8 levels`]);
  });

  it("rejects hostile depth (100,000 levels) quickly, without exhausting the stack", () => {
    const hostile = nested(100_000);
    expect(errors(hostile)).toHaveLength(1);
    const deepList: unknown = JSON.parse("[".repeat(50_000) + "]".repeat(50_000));
    expect(errors({ conditions: [deepList] })).toEqual([
      'conditions[0]: expected a condition: an object with "field", "inSegment", "not" or "conditions"',
    ]);
  });

  it(`holds at most ${SEGMENT_LIMITS.maxConditions} conditions in all`, () => {
    const group = (n: number) => ({ conditions: Array.from({ length: n }, () => visits(1)) });
    expect(parseSegmentDefinition(group(100)).ok).toBe(true);
    expect(errors(group(101))).toEqual(["conditions: holds at most 100 conditions"]);
    // Spread over groups: 10 groups of 10 tests is 110 conditions.
    const spread = { conditions: Array.from({ length: 10 }, () => group(10)) };
    expect(errors(spread)).toEqual(["conditions[9].conditions[0]: too many conditions: a definition holds at most 100"]);
    // A wide and deep tree stops at the limit instead of walking 100^8 nodes.
    let wide: unknown = group(100);
    for (let level = 0; level < 6; level += 1) wide = { conditions: Array.from({ length: 100 }, () => wide) };
    expect(errors(wide)).toHaveLength(1);
  });

  it("bounds sets, text, days and multipliers", () => {
    const set = (n: number) => ({ conditions: [{ field: "visitCount", op: "in", values: Array.from({ length: n }, (_, i) => i) }] });
    expect(parseSegmentDefinition(set(100)).ok).toBe(true);
    expect(errors(set(101))).toEqual(["conditions[0].values: holds at most 100 values"]);
    const pattern = (value: string) => ({ conditions: [{ field: "pattern", op: "eq", value }] });
    expect(parseSegmentDefinition(pattern("p".repeat(100))).ok).toBe(true);
    expect(errors(pattern("p".repeat(101)))).toEqual(["conditions[0].value: text is longer than 100 characters"]);
    expect(errors(pattern("a\u0000b"))).toEqual(["conditions[0].value: text must not contain the NUL character"]);
    expect(errors({ conditions: [{ field: "lastVisitOn", op: "withinLastDays", days: 36_501 }] })).toEqual(["conditions[0].days: must be at most 36500"]);
    expect(errors({ conditions: [{ field: "pAlive", op: "lt", value: { field: "usualGapDays", times: 1e9 } }] })).toEqual([
      "conditions[0].value.times: must be at most 1000",
    ]);
  });

  it(`reports at most ${SEGMENT_LIMITS.maxIssues} problems and says how many more`, () => {
    const keys = Object.fromEntries(Array.from({ length: 250 }, (_, i) => [`k${i}`, i]));
    const messages = errors({ conditions: [visits(1)], ...keys });
    expect(messages).toHaveLength(101);
    expect(messages.at(-1)).toBe("… and 150 more problem(s)");
  });
});

describe("segment compiler", () => {
  it("puts the shop first and every value in a parameter", () => {
    const definition = valid({
      match: "any",
      conditions: [
        { field: "pattern", op: "in", values: ["weekday-morning", INJECTIONS[0]] },
        { not: { field: "pAlive", op: "lt", value: 0.5 } },
        { field: "daysSinceLastVisit", op: "between", min: { field: "usualGapDays", times: 0.8 }, max: { field: "usualGapDays", times: 1.2 } },
        { field: "lastVisitOn", op: "withinLastDays", days: 7 },
        { field: "member", op: "eq", value: false },
      ],
    });
    const compiled = compileSegment(definition, { shop: SHOP, asOf: AS_OF });
    if (!compiled.ok) throw new Error("expected to compile");
    expect(compiled.where.text).toBe(
      'f.shop = $1 AND ((f."pattern" IN ($2::text,$3::text)) OR NOT COALESCE((f."pAlive" < $4::double precision), false) ' +
        'OR (($5::date - f."lastVisitOn") BETWEEN ($6::double precision * f."usualGapDays" + $7::double precision) ' +
        'AND ($8::double precision * f."usualGapDays" + $9::double precision)) ' +
        'OR (f."lastVisitOn" BETWEEN ($10::date - $11::integer) AND $12::date) ' +
        'OR (NOT EXISTS (SELECT 1 FROM "Member" m WHERE m.shop = f.shop AND m."customerId" = f."customerId" AND m.status = $13)))',
    );
    expect(compiled.where.values).toEqual([SHOP, "weekday-morning", INJECTIONS[0], 0.5, "2026-03-01", 0.8, 0, 1.2, 0, "2026-03-01", 7, "2026-03-01", "active"]);
  });

  it("inlines referenced segments and refuses missing ones, circles and long chains", () => {
    const segments = new Map<string, ResolvedSegment>([
      ["regular", resolved({ conditions: [visits(3)] })],
      ["loop-a", resolved({ conditions: [{ inSegment: "loop-b" }] })],
      ["loop-b", resolved({ conditions: [visits(1), { inSegment: "loop-a" }] })],
      ["broken", resolved({ conditions: [visits("x")] })],
    ]);
    for (let i = 0; i < 10; i += 1) segments.set(`chain-${i}`, resolved({ conditions: [i === 9 ? visits(1) : { inSegment: `chain-${i + 1}` }] }));
    const compile = (input: unknown, segmentId?: string) => {
      const compiled = compileSegment(valid(input), { shop: SHOP, asOf: AS_OF, segments, segmentId });
      return compiled.ok ? compiled.where.text : compiled.issues.map(formatIssue);
    };
    expect(compile({ conditions: [{ inSegment: "regular" }] })).toBe('f.shop = $1 AND (((f."visitCount" >= $2::double precision)))');
    expect(compile({ conditions: [visits(1), { inSegment: "nope" }] })).toEqual(['conditions[1].inSegment: no segment "nope" in this shop']);
    expect(compile({ conditions: [{ not: { inSegment: "loop-a" } }] })).toEqual(["conditions[0].not.inSegment: segments refer to each other in a circle: loop-a → loop-b → loop-a"]);
    expect(compile({ conditions: [{ inSegment: "regular" }] }, "regular")).toEqual(["conditions[0].inSegment: segments refer to each other in a circle: regular → regular"]);
    expect(compile({ conditions: [{ inSegment: "broken" }] })).toEqual(['conditions[0].inSegment: segment "broken" has an invalid definition; fix it first']);
    expect(compile({ conditions: [{ inSegment: "chain-0" }] })).toEqual(["conditions[0].inSegment: segments refer through one another more than 8 deep"]);
    expect(compile({ conditions: [{ inSegment: "chain-3" }] })).toEqual(expect.stringContaining('f."visitCount" >= $2'));
  });

  it(`refuses definitions that expand past ${COMPILE_LIMITS.maxExpandedConditions} conditions`, () => {
    const segments = new Map<string, ResolvedSegment>([["wide-0", resolved({ conditions: Array.from({ length: 99 }, () => visits(1)) })]]);
    for (let i = 1; i <= 3; i += 1) segments.set(`wide-${i}`, resolved({ conditions: Array.from({ length: 20 }, () => ({ inSegment: `wide-${i - 1}` })) }));
    const compiled = compileSegment(valid({ conditions: [{ inSegment: "wide-3" }] }), { shop: SHOP, asOf: AS_OF, segments });
    expect(compiled.ok ? "compiled" : compiled.issues.map(formatIssue)).toEqual([
      "conditions[0].inSegment: too many conditions once referenced segments are included (at most 1000)",
    ]);
  });

  it("takes the as-of date as a local date only", () => {
    expect(() => compileSegment(valid({ conditions: [visits(1)] }), { shop: SHOP, asOf: new Date("2026-03-01T10:00:00Z") })).toThrow(RangeError);
  });
});

describe("built-in segments", () => {
  it("are valid definitions with plain names", () => {
    for (const segment of [...BUILT_IN_SEGMENTS, ...patternRegulars(["weekday-morning", "weekend-evening"])]) {
      expect(parseSegmentDefinition(segment.definition).ok, segment.id).toBe(true);
      expect(segment.id).toMatch(SEGMENT_ID);
      expect(segment.description.length).toBeGreaterThan(20);
    }
    expect(BUILT_IN_SEGMENTS.map((segment) => segment.name)).toEqual(["Due to return", "Lapsing", "New", "At risk"]);
  });

  it("make one regulars segment per pattern label, never for mixed", () => {
    expect(patternRegulars(["weekday-morning", "mixed", "weekday-morning", "weekend-midday"]).map(({ id, name, description }) => ({ id, name, description }))).toEqual([
      { id: "regulars-weekday-morning", name: "Weekday-morning regulars", description: "Customers with 3 or more visits, most of them on weekday mornings." },
      { id: "regulars-weekend-midday", name: "Weekend-midday regulars", description: "Customers with 3 or more visits, most of them on weekend middays." },
    ]);
  });

  it("give labels that do not slug cleanly distinct, safe ids", () => {
    const ids = ["Brunch", "brunch", "x'; DROP TABLE \"Order\"; --", "☕"].map(patternSegmentId);
    expect(new Set(ids).size).toBe(4);
    for (const id of ids) expect(id).toMatch(SEGMENT_ID);
    expect(patternRegulars(["l".repeat(101)])).toEqual([]);
  });
});

describe("segment definitions: properties", () => {
  const segments = new Map(Object.entries(REFERENCED_SEGMENTS).map(([id, input]) => [id, resolved(input)]));

  it("never throws on arbitrary input: the answer is a definition or a list of problems", () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.jsonValue(), mutatedDefinition), (input) => {
        const parsed = parseSegmentDefinition(input);
        if (!parsed.ok) {
          expect(parsed.issues.length).toBeGreaterThan(0);
          for (const issue of parsed.issues) expect(formatIssue(issue).length).toBeLessThan(1_000);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it("compiles every accepted definition to SQL whose text holds no value from the definition", () => {
    let accepted = 0;
    fc.assert(
      fc.property(segmentDefinition, (input) => {
        const parsed = parseSegmentDefinition(input);
        if (!parsed.ok) return;
        accepted += 1;
        const compiled = compileSegment(parsed.definition, { shop: SHOP, asOf: AS_OF, segments });
        if (!compiled.ok) throw new Error(`accepted but did not compile: ${compiled.issues.map(formatIssue).join("; ")}`);
        expect(compiled.where.text.startsWith("f.shop = $1 AND ")).toBe(true);
        expect(compiled.where.values[0]).toBe(SHOP);
        // The text depends only on the definition's shape: replacing every value leaves it unchanged.
        const blank = compileSegment(blankValues(parsed.definition), { shop: "other.myshopify.com", asOf: new Date("2000-01-01T00:00:00Z"), segments });
        expect(blank.ok && blank.where.text).toBe(compiled.where.text);
        expect(compiled.where.text).not.toMatch(/'|;|--|\\/);
        for (const value of stringsIn(parsed.definition)) expect(compiled.where.values).toContain(value);
      }),
      { numRuns: 1_000 },
    );
    // Most generated definitions are valid, so the property is exercised, not skipped.
    expect(accepted).toBeGreaterThan(500);
  });
});

/** The same definition with every number, text and date replaced by a fixed value. */
function blankValues(definition: SegmentDefinition): SegmentDefinition {
  return JSON.parse(
    JSON.stringify(definition, (key, value: unknown) => {
      if (key === "field" || key === "kind" || key === "op" || key === "match" || key === "segmentId") return value;
      if (typeof value === "number") return 1;
      if (typeof value === "string") return /^\d{4}-\d{2}-\d{2}$/.test(value) ? "2000-01-01" : "blank";
      return value;
    }),
  ) as SegmentDefinition;
}

function stringsIn(definition: SegmentDefinition): string[] {
  const found: string[] = [];
  JSON.stringify(definition, (key, value: unknown) => {
    if (typeof value === "string" && !["field", "kind", "op", "match", "segmentId"].includes(key)) found.push(value);
    return value;
  });
  return found;
}
