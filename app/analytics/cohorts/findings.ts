import { patternAudience } from "./labels";

/**
 * Cohort discovery: whether a pattern cohort returns within N days more or
 * less often than everyone else in the shop, said in one sentence with its
 * interval and size, or left unsaid with the reason why. A difference is
 * claimed only when the two 95 % intervals do not overlap (a conservative
 * test: for independent groups, disjoint 95 % intervals mean p < 0.05, and
 * about p < 0.006 when the intervals are equally wide) and each side has
 * enough visits whose N-day outcome is known.
 */

/**
 * Fewest visits with a known N-day outcome either side needs before it is
 * compared. Below this the Greenwood interval understates its own
 * uncertainty (a handful of visits at risk can make it look tight).
 */
export const MIN_KNOWN_VISITS = 30;

/** P(returned within N days) with its 95 % interval (a Kaplan–Meier point). */
export interface ReturnInterval {
  p: number;
  low: number;
  high: number;
}

/** One side of a comparison at N days. */
export interface ReturnEstimate {
  /** Visit days in the group. */
  visits: number;
  /** Visits whose N-day outcome is known: returned within N days, or followed for at least N days. */
  known: number;
  /** Null for a group with no visits at all. */
  at: ReturnInterval | null;
}

export type FindingVerdict = "higher" | "lower" | "overlap" | "too-few-visits" | "too-few-others";

export interface Finding {
  cohort: string;
  returnDays: number;
  /** True when the data supports a difference (verdict higher or lower). */
  supported: boolean;
  verdict: FindingVerdict;
  /** 1 for the cohort furthest above everyone else, …; null when not supported. */
  rank: number | null;
  /** The cohort's probability less everyone else's (null when either side has no visits). */
  difference: number | null;
  cohortEstimate: ReturnEstimate;
  everyoneElse: ReturnEstimate;
  sentence: string;
}

export interface CohortComparison {
  cohort: string;
  own: ReturnEstimate;
  everyoneElse: ReturnEstimate;
}

/** Judges each cohort against everyone else; supported findings first, ranked by how far above the rest they return. */
export function discoverFindings(comparisons: readonly CohortComparison[], returnDays: number): Finding[] {
  const judged = comparisons.map((comparison) => judgeCohort(comparison, returnDays));
  const supported = judged.filter((finding) => finding.supported).sort(byDifference);
  const unsupported = judged.filter((finding) => !finding.supported).sort(byDifference);
  return [...supported.map((finding, index) => ({ ...finding, rank: index + 1 })), ...unsupported];
}

export function judgeCohort({ cohort, own, everyoneElse }: CohortComparison, returnDays: number): Finding {
  const who = patternAudience(cohort);
  const base = {
    cohort,
    returnDays,
    rank: null,
    difference: own.at && everyoneElse.at ? own.at.p - everyoneElse.at.p : null,
    cohortEstimate: own,
    everyoneElse,
  };
  if (own.known < MIN_KNOWN_VISITS || own.at === null) {
    const sentence = `${who}: too few visits to compare: ${count(own.known)} of ${count(own.visits)} have a known ${returnDays}-day outcome; at least ${MIN_KNOWN_VISITS} are needed.`;
    return { ...base, supported: false, verdict: "too-few-visits", sentence };
  }
  if (everyoneElse.known < MIN_KNOWN_VISITS || everyoneElse.at === null) {
    const sentence = `${who}: too few other visits to compare with: everyone else has ${count(everyoneElse.known)} with a known ${returnDays}-day outcome; at least ${MIN_KNOWN_VISITS} are needed.`;
    return { ...base, supported: false, verdict: "too-few-others", sentence };
  }
  const mine = own.at;
  const rest = everyoneElse.at;
  const within = `within ${dayCount(returnDays)}`;
  const verdict = mine.low > rest.high ? "higher" : mine.high < rest.low ? "lower" : "overlap";
  if (verdict === "overlap") {
    const sentence =
      `${who}: no clear difference ${within}: ${probability(mine.p)} (95 % CI ${interval(mine)}, n = ${count(own.visits)} visits) ` +
      `against ${probability(rest.p)} (95 % CI ${interval(rest)}) for everyone else; the intervals overlap.`;
    return { ...base, supported: false, verdict, sentence };
  }
  const sentence = `${who} return ${within} with probability ${probability(mine.p)} (95 % CI ${interval(mine)}, n = ${count(own.visits)} visits), against ${probability(rest.p)} for everyone else.`;
  return { ...base, supported: true, verdict, sentence };
}

/**
 * When no finding is supported, the plain reason nothing was said; null when
 * at least one finding stands on its own.
 */
export function silenceReason(findings: readonly Finding[], returnDays: number): string | null {
  if (findings.some((finding) => finding.supported)) return null;
  const subject = `Nothing to report for returns within ${dayCount(returnDays)}`;
  if (findings.length === 0) return `${subject}: there are no visits to compare.`;
  const overlap = findings.filter((finding) => finding.verdict === "overlap").length;
  const thin = findings.length - overlap;
  const reasons = [
    overlap > 0 ? `the intervals overlap for ${overlap} ${overlap === 1 ? "cohort" : "cohorts"}` : null,
    thin > 0 ? `${thin} ${thin === 1 ? "cohort has" : "cohorts have"} too few visits with a known outcome (at least ${MIN_KNOWN_VISITS} are needed on each side)` : null,
  ].filter((reason) => reason !== null);
  return `${subject}: no pattern cohort differs clearly from everyone else — ${reasons.join(", and ")}.`;
}

function byDifference(a: Finding, b: Finding): number {
  return (b.difference ?? -Infinity) - (a.difference ?? -Infinity) || a.cohort.localeCompare(b.cohort);
}

function dayCount(days: number): string {
  return days === 1 ? "1 day" : `${days} days`;
}

function probability(value: number): string {
  return value.toFixed(2);
}

function interval(point: ReturnInterval): string {
  return `${probability(point.low)}–${probability(point.high)}`;
}

function count(value: number): string {
  return value.toLocaleString("en-GB");
}
