import fc from "fast-check";
import { COMPARISONS, SEGMENT_LIMITS } from "../../app/analytics/segments/definition";
import { DATE_FIELDS, FIELD_NAMES, NUMBER_FIELDS, SEGMENT_FIELDS } from "../../app/analytics/segments/fields";

/**
 * Random segment definitions for property tests: shaped like real ones (so
 * many are accepted), with hostile text, extreme numbers and odd dates, plus
 * a mutation step that breaks them in the ways people and attackers do.
 */

export const INJECTIONS = [
  `x'; DROP TABLE "Order"; --`,
  `' OR '1'='1`,
  `weekday-morning' OR 1=1 --`,
  `"; DELETE FROM "MemberFeature"; --`,
  `$1`,
  `f.shop`,
  `\\'; SELECT pg_sleep(10); --`,
  `) OR (1=1`,
  `ßüñ☕️ 𝓬𝓪𝓯𝓮`,
];

const text = fc.oneof(
  fc.constantFrom(...INJECTIONS),
  fc.string({ maxLength: SEGMENT_LIMITS.maxTextLength }).filter((s) => !s.includes("\u0000")),
  fc.constantFrom("weekday-morning", "weekend-midday", "mixed"),
);
const number = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 0.5, 1e308, -1e308, Number.MIN_VALUE, Number.MAX_SAFE_INTEGER),
);
const isoDate = fc
  .date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T00:00:00Z"), noInvalidDate: true })
  .map((date) => date.toISOString().slice(0, 10));
const days = fc.integer({ min: 0, max: SEGMENT_LIMITS.maxDays });

const numberOperand = fc.oneof(
  number,
  fc.record(
    {
      field: fc.constantFrom(...NUMBER_FIELDS),
      times: fc.double({ min: -SEGMENT_LIMITS.maxMultiplier, max: SEGMENT_LIMITS.maxMultiplier, noNaN: true }),
      plus: fc.double({ min: -SEGMENT_LIMITS.maxOffset, max: SEGMENT_LIMITS.maxOffset, noNaN: true }),
    },
    { requiredKeys: ["field"] },
  ),
);
const dateOperand = fc.oneof(
  isoDate,
  fc.record({ daysAgo: fc.integer({ min: -SEGMENT_LIMITS.maxDays, max: SEGMENT_LIMITS.maxDays }) }),
  fc.record(
    { field: fc.constantFrom(...DATE_FIELDS), plusDays: fc.integer({ min: -SEGMENT_LIMITS.maxDays, max: SEGMENT_LIMITS.maxDays }) },
    { requiredKeys: ["field"] },
  ),
);

function orderedLeaf(fields: readonly string[], operand: fc.Arbitrary<unknown>, literal: fc.Arbitrary<unknown>) {
  const field = fc.constantFrom(...fields);
  return fc.oneof(
    fc.record({ field, op: fc.constantFrom(...COMPARISONS), value: operand }),
    fc.record({ field, op: fc.constant("between"), min: operand, max: operand }),
    fc.record({ field, op: fc.constantFrom("in", "notIn"), values: fc.array(literal, { minLength: 1, maxLength: 5 }) }),
  );
}

const nullable = FIELD_NAMES.filter((name) => SEGMENT_FIELDS[name].nullable);

const leaf = fc.oneof(
  orderedLeaf(NUMBER_FIELDS, numberOperand, number),
  orderedLeaf(DATE_FIELDS, dateOperand, isoDate),
  fc.record({ field: fc.constantFrom(...DATE_FIELDS), op: fc.constantFrom("withinLastDays", "moreThanDaysAgo"), days }),
  fc.record({ field: fc.constant("pattern"), op: fc.constantFrom("eq", "ne"), value: text }),
  fc.record({ field: fc.constant("pattern"), op: fc.constantFrom("in", "notIn"), values: fc.array(text, { minLength: 1, maxLength: 5 }) }),
  fc.record({ field: fc.constantFrom(...nullable), op: fc.constantFrom("isNull", "isNotNull") }),
  fc.record({ field: fc.constant("member"), op: fc.constantFrom("eq", "ne"), value: fc.boolean() }),
  fc.record({ inSegment: fc.constantFrom("regular", "recent") }),
);

const { condition } = fc.letrec<{ condition: unknown }>((tie) => ({
  condition: fc.oneof(
    { depthSize: "small", maxDepth: 4 },
    leaf,
    fc.record(
      { match: fc.constantFrom("all", "any"), conditions: fc.array(tie("condition"), { minLength: 1, maxLength: 4 }) },
      { requiredKeys: ["conditions"] },
    ),
    fc.record({ not: tie("condition") }),
  ),
}));

/** Definitions shaped like real ones; most are valid. */
export const segmentDefinition = fc.record(
  { match: fc.constantFrom("all", "any"), conditions: fc.array(condition, { minLength: 1, maxLength: 5 }) },
  { requiredKeys: ["conditions"] },
);

/** The segments that `inSegment` in generated definitions refers to. */
export const REFERENCED_SEGMENTS = {
  regular: { conditions: [{ field: "visitCount", op: "gte", value: 3 }] },
  recent: { match: "any", conditions: [{ inSegment: "regular" }, { field: "lastVisitOn", op: "withinLastDays", days: 14 }] },
};

/** A definition broken somewhere: a value swapped for junk, a key added or dropped. */
export const mutatedDefinition = fc
  .tuple(segmentDefinition, fc.anything(), fc.string({ maxLength: 12 }), fc.nat(), fc.constantFrom("replace", "addKey", "dropKey"))
  .map(([definition, junk, key, pick, how]) => {
    const copy: unknown = structuredClone(definition);
    const objects: Array<Record<string, unknown>> = [];
    const collect = (node: unknown) => {
      if (node && typeof node === "object") {
        if (isRecord(node)) objects.push(node);
        for (const child of Object.values(node)) collect(child);
      }
    };
    collect(copy);
    const target = objects[pick % objects.length];
    if (!target) return copy;
    const keys = Object.keys(target);
    const chosen = keys[pick % Math.max(keys.length, 1)];
    if (how === "addKey") target[key] = junk;
    else if (how === "dropKey" && chosen !== undefined) delete target[chosen];
    else if (chosen !== undefined) target[chosen] = junk;
    return copy;
  });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
