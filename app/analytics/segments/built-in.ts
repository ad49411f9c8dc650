import { createHash } from "node:crypto";
import { SEGMENT_LIMITS, type DefinitionJson } from "./definition";

/**
 * The segments every cafe gets, in words an owner uses. Their ids are fixed
 * so that installing them again updates rather than duplicates, and campaigns
 * can name them. Why "due" uses the usual gap rather than the model's
 * dueFrom..dueUntil window: docs/decisions/0012-segments.md.
 */

export interface BuiltInSegment {
  id: string;
  name: string;
  description: string;
  definition: { [key: string]: DefinitionJson };
}

/** A regular by pattern has at least this many visits, most of them in the pattern's daypart. */
export const REGULAR_MIN_VISITS = 3;
/** The pattern label of a customer with no majority daypart. */
export const MIXED_PATTERN = "mixed";

export const BUILT_IN_SEGMENTS: readonly BuiltInSegment[] = [
  {
    id: "due-to-return",
    name: "Due to return",
    description:
      "Customers whose usual time between visits is about up: it has been 0.8 to 1.2 times their usual gap since their last visit. " +
      "A good moment for a nudge.",
    definition: {
      match: "all",
      conditions: [
        {
          field: "daysSinceLastVisit",
          op: "between",
          min: { field: "usualGapDays", times: 0.8 },
          max: { field: "usualGapDays", times: 1.2 },
        },
      ],
    },
  },
  {
    id: "lapsing",
    name: "Lapsing",
    description: "Customers who are overdue: more than twice their usual gap between visits has passed since their last visit.",
    definition: {
      match: "all",
      conditions: [{ field: "daysSinceLastVisit", op: "gt", value: { field: "usualGapDays", times: 2 } }],
    },
  },
  {
    id: "new",
    name: "New",
    description: "Customers who have visited once so far.",
    definition: { match: "all", conditions: [{ field: "visitCount", op: "eq", value: 1 }] },
  },
  {
    id: "at-risk",
    name: "At risk",
    description:
      "Customers the visit model gives less than an even chance of still being a regular (P(active) below 0.5). " +
      "Customers without a prediction are not included.",
    definition: { match: "all", conditions: [{ field: "pAlive", op: "lt", value: 0.5 }] },
  },
];

/**
 * "Weekday-morning regulars" and the like: one per pattern label the shop's
 * customers show. Labels that cannot go into a definition (too long) are left out.
 */
export function patternRegulars(labels: readonly string[]): BuiltInSegment[] {
  return [...new Set(labels)]
    .filter((label) => label !== MIXED_PATTERN && label.length > 0 && label.length <= SEGMENT_LIMITS.maxTextLength && !label.includes("\u0000"))
    .sort()
    .map((label) => ({
      id: patternSegmentId(label),
      name: `${label.charAt(0).toUpperCase()}${label.slice(1)} regulars`,
      description: `Customers with ${REGULAR_MIN_VISITS} or more visits, most of them ${describeLabel(label)}.`,
      definition: {
        match: "all",
        conditions: [
          { field: "pattern", op: "eq", value: label },
          { field: "visitCount", op: "gte", value: REGULAR_MIN_VISITS },
        ],
      },
    }));
}

/** `regulars-weekday-morning`; a label that does not slug cleanly gets a hash so two labels never share an id. */
export function patternSegmentId(label: string): string {
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  if (slug === label && slug.length > 0) return `regulars-${slug}`;
  const hash = createHash("sha256").update(label).digest("hex").slice(0, 8);
  return slug.length > 0 ? `regulars-${slug}-${hash}` : `regulars-${hash}`;
}

function describeLabel(label: string): string {
  const match = /^(weekday|weekend)-(.+)$/.exec(label);
  return match ? `on ${match[1]} ${match[2]}s` : `in the "${label}" daypart`;
}
