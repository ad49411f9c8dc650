import { MIXED_PATTERN } from "../analytics/cohorts/labels";

/**
 * A member's rhythm in the words a barista uses: "weekday mornings, every 9
 * days". Built from the dominant daypart pattern (MemberFeature.pattern,
 * e.g. "weekday-morning") and the usual gap between visits; with too few
 * visits there is no rhythm to speak of yet.
 */

/** Fewer visits than this and two gaps cannot tell a habit from chance. */
export const RHYTHM_MIN_VISITS = 3;

export const NO_RHYTHM = "no clear rhythm yet";

/** "weekday-morning" → "weekday mornings"; "weekend-lunch" → "weekend lunches"; "mixed" → null. */
export function patternPhrase(pattern: string | null): string | null {
  if (pattern === null || pattern === MIXED_PATTERN || pattern.trim() === "") return null;
  const [dayKind, ...rest] = pattern.split("-");
  const daypart = rest.join(" ");
  if (!dayKind || !daypart) return pattern.replace(/-/g, " ");
  const plural = /(s|x|z|ch|sh)$/.test(daypart) ? `${daypart}es` : `${daypart}s`;
  return `${dayKind} ${plural}`;
}

/** 9.4 → "every 9 days"; ~1 → "every day"; ~7 → "every week". */
export function gapPhrase(days: number | null): string | null {
  if (days === null || !Number.isFinite(days) || days <= 0) return null;
  const whole = Math.max(1, Math.round(days));
  if (whole === 1) return "every day";
  if (whole === 7) return "every week";
  return `every ${whole} days`;
}

export function rhythmSentence(feature: { visitCount: number; pattern: string | null; usualGapDays: number | null; gapMedianDays: number | null } | null): string {
  if (!feature || feature.visitCount < RHYTHM_MIN_VISITS) return NO_RHYTHM;
  const parts = [patternPhrase(feature.pattern), gapPhrase(feature.usualGapDays ?? feature.gapMedianDays)].filter((part): part is string => part !== null);
  return parts.length === 0 ? NO_RHYTHM : parts.join(", ");
}
