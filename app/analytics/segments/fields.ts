/**
 * The fields a segment definition may name: an explicit allow-list. Each
 * maps to a fixed SQL expression over "MemberFeature" (alias `f`), so a
 * definition can never reach a column, table or function that is not here.
 */

export type FieldKind = "number" | "text" | "date" | "boolean";

interface FieldSpec {
  kind: FieldKind;
  /** Whether the value can be missing (so isNull / isNotNull make sense). */
  nullable: boolean;
  /**
   * Where the value comes from: a "MemberFeature" column, a number of days
   * from a date column to the as-of date, or active membership.
   */
  source: { column: string } | { daysUntilAsOf: string } | { activeMember: true };
  description: string;
}

export const SEGMENT_FIELDS = {
  visitCount: { kind: "number", nullable: false, source: { column: "visitCount" }, description: "visits so far" },
  totalSpend: { kind: "number", nullable: false, source: { column: "totalSpend" }, description: "spend over all visits, after refunds" },
  avgSpend: { kind: "number", nullable: false, source: { column: "avgSpend" }, description: "average spend per visit" },
  gapMedianDays: { kind: "number", nullable: true, source: { column: "gapMedianDays" }, description: "median days between visits" },
  gapSpreadDays: { kind: "number", nullable: true, source: { column: "gapSpreadDays" }, description: "spread (interquartile range) of the days between visits" },
  patternShare: { kind: "number", nullable: false, source: { column: "patternShare" }, description: "share of visits in the dominant daypart, 0–1" },
  posVisits: { kind: "number", nullable: false, source: { column: "posVisits" }, description: "visits with an order at the counter (POS)" },
  webVisits: { kind: "number", nullable: false, source: { column: "webVisits" }, description: "visits with an online order" },
  pickupVisits: { kind: "number", nullable: false, source: { column: "pickupVisits" }, description: "visits with a pickup order" },
  pAlive: { kind: "number", nullable: true, source: { column: "pAlive" }, description: "probability the member is still a regular (visit model), 0–1" },
  expectedVisits30: { kind: "number", nullable: true, source: { column: "expectedVisits30" }, description: "expected visits in the next 30 days (visit model)" },
  usualGapDays: { kind: "number", nullable: true, source: { column: "usualGapDays" }, description: "the member's usual days between visits" },
  daysSinceLastVisit: { kind: "number", nullable: false, source: { daysUntilAsOf: "lastVisitOn" }, description: "days from the last visit to the as-of date" },
  tenureDays: { kind: "number", nullable: false, source: { daysUntilAsOf: "firstVisitOn" }, description: "days from the first visit to the as-of date" },
  pattern: { kind: "text", nullable: false, source: { column: "pattern" }, description: "dominant daypart label, e.g. weekday-morning, or mixed" },
  firstVisitOn: { kind: "date", nullable: false, source: { column: "firstVisitOn" }, description: "date of the first visit" },
  lastVisitOn: { kind: "date", nullable: false, source: { column: "lastVisitOn" }, description: "date of the last visit" },
  acquisitionWeek: { kind: "date", nullable: false, source: { column: "acquisitionWeek" }, description: "Monday of the week of the first visit" },
  acquisitionMonth: { kind: "date", nullable: false, source: { column: "acquisitionMonth" }, description: "first day of the month of the first visit" },
  dueFrom: { kind: "date", nullable: true, source: { column: "dueFrom" }, description: "start of the window in which the next visit is due" },
  dueUntil: { kind: "date", nullable: true, source: { column: "dueUntil" }, description: "end of the window in which the next visit is due" },
  member: { kind: "boolean", nullable: false, source: { activeMember: true }, description: "has joined the membership (and not left)" },
} as const satisfies Record<string, FieldSpec>;

export type FieldName = keyof typeof SEGMENT_FIELDS;
type FieldsOfKind<K extends FieldKind> = { [F in FieldName]: (typeof SEGMENT_FIELDS)[F]["kind"] extends K ? F : never }[FieldName];
export type NumberField = FieldsOfKind<"number">;
export type TextField = FieldsOfKind<"text">;
export type DateField = FieldsOfKind<"date">;
export type BooleanField = FieldsOfKind<"boolean">;

export const FIELD_NAMES = Object.keys(SEGMENT_FIELDS) as FieldName[];

function fieldsOfKind<K extends FieldKind>(kind: K): FieldsOfKind<K>[] {
  return FIELD_NAMES.filter((name): name is FieldsOfKind<K> => SEGMENT_FIELDS[name].kind === kind);
}

export const NUMBER_FIELDS = fieldsOfKind("number");
export const DATE_FIELDS = fieldsOfKind("date");

export function isFieldName(name: string): name is FieldName {
  return Object.hasOwn(SEGMENT_FIELDS, name);
}

export const isNumberField = (name: FieldName): name is NumberField => SEGMENT_FIELDS[name].kind === "number";
export const isTextField = (name: FieldName): name is TextField => SEGMENT_FIELDS[name].kind === "text";
export const isDateField = (name: FieldName): name is DateField => SEGMENT_FIELDS[name].kind === "date";
export const isBooleanField = (name: FieldName): name is BooleanField => SEGMENT_FIELDS[name].kind === "boolean";

export function fieldSpec(name: FieldName): FieldSpec {
  return SEGMENT_FIELDS[name];
}
