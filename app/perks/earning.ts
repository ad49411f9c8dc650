/**
 * How perks are earned, as arithmetic on counts: no points, no balances to
 * keep in step. A perk is earned from visits (never from spend) and used up
 * by a redemption row, so "ready" is always recomputed from the two counts
 * and two registers cannot disagree about it for long.
 */

export const PERK_KINDS = ["every_nth_visit", "new_item_tasting"] as const;
export type PerkKind = (typeof PERK_KINDS)[number];

export const isPerkKind = (value: string): value is PerkKind => (PERK_KINDS as readonly string[]).includes(value);

/** Without a segment, a "regular" for a tasting is a member with at least this many visits. */
export const REGULAR_MIN_VISITS = 3;

export interface NthVisitStatus {
  /** Perks earned so far: one per `everyVisits` counted visits. */
  earned: number;
  /** Earned and not yet redeemed (never negative, even if an owner lowered the threshold after redemptions). */
  ready: number;
  /** Visits still needed for the next perk (1 … everyVisits). */
  visitsToNext: number;
}

/**
 * "Every 8th visit, a drink on us": earned = ⌊visits / every⌋; ready is
 * what is earned less what was redeemed. Visits are counted from the
 * program's start date, so a new program does not pay out for the past.
 */
export function nthVisitStatus(visitsCounted: number, everyVisits: number, redeemed: number): NthVisitStatus {
  if (!Number.isInteger(everyVisits) || everyVisits < 1) throw new RangeError(`everyVisits must be a whole number of at least 1 (got ${everyVisits})`);
  if (!Number.isInteger(visitsCounted) || visitsCounted < 0) throw new RangeError(`visits must be a whole number of at least 0 (got ${visitsCounted})`);
  if (!Number.isInteger(redeemed) || redeemed < 0) throw new RangeError(`redemptions must be a whole number of at least 0 (got ${redeemed})`);
  const earned = Math.floor(visitsCounted / everyVisits);
  return { earned, ready: Math.max(0, earned - redeemed), visitsToNext: everyVisits - (visitsCounted % everyVisits) };
}

/** The unit key of the next every_nth_visit redemption: the member's n-th perk of the program. */
export function nextNthUnitKey(redeemed: number): string {
  return String(redeemed + 1);
}

/**
 * A regular may taste each listed new item once: what is left is the
 * program's variants they have not tasted, in the program's order.
 */
export function untastedVariants(programVariants: readonly string[], tasted: Iterable<string>): string[] {
  const done = new Set(tasted);
  return [...new Set(programVariants)].filter((variantId) => !done.has(variantId));
}

/** Whether a customer counts as a regular for a tasting: in the chosen segment, or (no segment) enough visits. */
export function isRegular(segmentId: string | null, inSegment: boolean, visits: number): boolean {
  return segmentId === null ? visits >= REGULAR_MIN_VISITS : inSegment;
}
