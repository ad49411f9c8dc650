import { assertNever } from "../../lib/assert-never";

/**
 * How cohorts are named to a cafe owner, and the cohort kinds the app keeps.
 * Keys are what the database holds (a pattern label, or the ISO date a
 * week or month starts on); labels are for sentences and tables.
 */

/** pattern: the member's dominant visit pattern; acquisition-*: the week or month of their first visit. */
export const COHORT_KINDS = ["pattern", "acquisition-week", "acquisition-month"] as const;
export type CohortBy = (typeof COHORT_KINDS)[number];

/** The pattern of members whose visits have no majority daypart label (MemberFeature.pattern). */
export const MIXED_PATTERN = "mixed";

/** "weekday-morning" → "Weekday-morning visitors", as the subject of a finding. */
export function patternAudience(pattern: string): string {
  if (pattern === MIXED_PATTERN) return "Visitors with no single pattern";
  return `${pattern.charAt(0).toUpperCase()}${pattern.slice(1)} visitors`;
}

/** A cohort's name in a table: the pattern as it is, a week by its Monday, a month as YYYY-MM. */
export function cohortName(by: CohortBy, key: string): string {
  switch (by) {
    case "pattern":
      return key;
    case "acquisition-week":
      return `week of ${key}`;
    case "acquisition-month":
      return key.slice(0, 7);
    default:
      return assertNever(by, "cohort kind");
  }
}
