import { returnCurve, returnWithin, type GapCounts, type ReturnCurve } from "../math/kaplan-meier";
import type { CohortComparison, ReturnEstimate } from "./findings";

/**
 * From gap counts to return curves: one Kaplan–Meier curve per cohort, the
 * shop's as a whole, and for each cohort everyone else's (all the other
 * cohorts' counts pooled), which is what discovery compares against.
 */

/** Days the stored curves cover (1–60), and the largest N a return question may ask. */
export const CURVE_DAYS = 60;

export interface CohortCurve extends ReturnCurve {
  cohort: string;
}

/** Sums gap counts day by day. */
export function pooledCounts(groups: Iterable<readonly GapCounts[]>): GapCounts[] {
  const byDay = new Map<number, GapCounts>();
  for (const counts of groups) {
    for (const { day, events, censored } of counts) {
      const total = byDay.get(day) ?? { day, events: 0, censored: 0 };
      total.events += events;
      total.censored += censored;
      byDay.set(day, total);
    }
  }
  return [...byDay.values()].sort((a, b) => a.day - b.day);
}

/** Visits whose N-day outcome is known: all but those censored before day N (followed for fewer than N days). */
export function knownOutcomes(counts: readonly GapCounts[], days: number): number {
  return counts.reduce((sum, { day, events, censored }) => sum + events + (day >= days ? censored : 0), 0);
}

export function cohortCurve(cohort: string, counts: readonly GapCounts[], maxDay = CURVE_DAYS): CohortCurve {
  const curve = returnCurve(counts, maxDay);
  // Gaps beyond the horizon arrive folded into one day past it: a median there only says "later than maxDay".
  return { cohort, ...curve, medianDays: curve.medianDays !== null && curve.medianDays <= maxDay ? curve.medianDays : null };
}

export function cohortCurves(cohorts: ReadonlyMap<string, GapCounts[]>, maxDay = CURVE_DAYS): CohortCurve[] {
  return [...cohorts].map(([cohort, counts]) => cohortCurve(cohort, counts, maxDay));
}

export function estimateAt(counts: readonly GapCounts[], days: number, curve: ReturnCurve = returnCurve(counts, CURVE_DAYS)): ReturnEstimate {
  const known = knownOutcomes(counts, days);
  if (curve.visits === 0) return { visits: 0, known, at: null };
  const point = returnWithin(curve, days);
  return { visits: curve.visits, known, at: { p: point.p, low: point.low, high: point.high } };
}

/** Each cohort at N days beside everyone else in the shop (every visit day not in it). */
export function compareWithEveryoneElse(cohorts: ReadonlyMap<string, GapCounts[]>, days: number): CohortComparison[] {
  return [...cohorts].map(([cohort, counts]) => {
    const others = pooledCounts([...cohorts].filter(([key]) => key !== cohort).map(([, rest]) => rest));
    return { cohort, own: estimateAt(counts, days), everyoneElse: estimateAt(others, days) };
  });
}
