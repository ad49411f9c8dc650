/**
 * "Returns within N days" (DESIGN.md) as a Kaplan–Meier estimate. Every visit
 * is one observation: the whole days until the same customer's next visit (an
 * event), or the whole days seen since it without a next visit when the data
 * ends (censored). A recent visit whose follow-up window is not over is
 * therefore censored, not counted as a customer who did not come back, which
 * is what keeps the estimate unbiased where a plain fraction is biased low.
 */

/** Per whole day since the visit: next visits seen on that day, and visits last observed on it. */
export interface GapCounts {
  day: number;
  events: number;
  censored: number;
}

/** P(returned within `day` days), with its 95 % confidence interval. */
export interface CurvePoint {
  day: number;
  p: number;
  low: number;
  high: number;
}

export interface ReturnCurve {
  /** Observations (visits), events and censored together. */
  visits: number;
  /** Visits followed by a next visit that the data shows (on any day, also beyond maxDay). */
  returns: number;
  /** Days 1..maxDay. */
  points: CurvePoint[];
  /** The first day by which half of the visits are followed by a return; null if the curve never reaches 0.5. */
  medianDays: number | null;
}

export const DEFAULT_MAX_DAY = 60;
const Z_95 = 1.959963984540054;
/** Two-sided 95 %: each tail 2.5 %. */
const TAIL = 0.025;

interface Step {
  day: number;
  /** Kaplan–Meier survival (no return yet) just after this day. */
  survival: number;
  /** Greenwood's sum Σ d / (n (n − d)) up to this day, over the steps where n > d. */
  greenwood: number;
  /** Visits at risk on this day, and the survival before it (for the interval at S = 0). */
  atRisk: number;
  survivalBefore: number;
  events: number;
}

function validateCounts(counts: readonly GapCounts[]): Map<number, { events: number; censored: number }> {
  const byDay = new Map<number, { events: number; censored: number }>();
  counts.forEach((count, index) => {
    const where = `gap counts[${index}]`;
    if (!Number.isInteger(count.day) || count.day < 0) throw new RangeError(`${where}: day must be a whole number ≥ 0 (got ${count.day})`);
    if (!Number.isInteger(count.events) || count.events < 0) throw new RangeError(`${where}: events must be a whole number ≥ 0 (got ${count.events})`);
    if (!Number.isInteger(count.censored) || count.censored < 0) {
      throw new RangeError(`${where}: censored must be a whole number ≥ 0 (got ${count.censored})`);
    }
    const day = byDay.get(count.day) ?? { events: 0, censored: 0 };
    day.events += count.events;
    day.censored += count.censored;
    byDay.set(count.day, day);
  });
  return byDay;
}

/**
 * The product-limit steps. On a day with both, returns are counted before the
 * censored visits leave the risk set: a visit observed for d days could still
 * have shown a return on day d.
 */
function productLimit(byDay: Map<number, { events: number; censored: number }>, total: number): Step[] {
  const steps: Step[] = [];
  let atRisk = total;
  let survival = 1;
  let greenwood = 0;
  for (const day of [...byDay.keys()].sort((a, b) => a - b)) {
    const { events, censored } = byDay.get(day) ?? { events: 0, censored: 0 };
    if (events > 0) {
      const survivalBefore = survival;
      survival *= 1 - events / atRisk;
      if (atRisk > events) greenwood += events / (atRisk * (atRisk - events));
      steps.push({ day, survival, greenwood, atRisk, survivalBefore, events });
    }
    atRisk -= events + censored;
  }
  return steps;
}

/**
 * 95 % interval for P(return within the day) = 1 − S. Greenwood's variance on
 * the log(−log S) scale keeps it inside [0, 1] (Kalbfleisch & Prentice
 * 2002, §1.4). Where that scale is undefined the interval is exact-binomial:
 * no return seen yet (S = 1), the upper bound is 1 − 0.025^(1/n) over the n
 * visits still followed on that day; every remaining visit returned (S = 0),
 * the lower bound takes the last hazard as at least 0.025^(1/n).
 */
function interval(step: Step | undefined, atRiskNow: number): { p: number; low: number; high: number } {
  if (!step) return { p: 0, low: 0, high: 1 - Math.pow(TAIL, 1 / atRiskNow) };
  const s = step.survival;
  if (s <= 0) {
    const before = logLogBounds(step.survivalBefore, step.greenwood);
    const lowerHazard = Math.pow(TAIL, 1 / step.atRisk);
    return { p: 1, low: 1 - before.upper * (1 - lowerHazard), high: 1 };
  }
  const bounds = logLogBounds(s, step.greenwood);
  return { p: 1 - s, low: 1 - bounds.upper, high: 1 - bounds.lower };
}

function logLogBounds(survival: number, greenwood: number): { lower: number; upper: number } {
  if (survival >= 1) return { lower: 1, upper: 1 };
  const logS = Math.log(survival);
  const spread = (Z_95 * Math.sqrt(greenwood)) / Math.abs(logS);
  // S^exp(+spread) is the lower bound of S, S^exp(−spread) the upper.
  return { lower: Math.pow(survival, Math.exp(spread)), upper: Math.pow(survival, Math.exp(-spread)) };
}

/**
 * The return curve for days 1..maxDay from aggregated gap counts. With no
 * visits at all the curve is the uninformative one (p 0, interval [0, 1],
 * visits 0) rather than an error, so a cohort that is empty for a period
 * reads as "no evidence" and never as a difference. Beyond the longest
 * observation the curve keeps its last value, as Kaplan–Meier does.
 */
export function returnCurve(counts: readonly GapCounts[], maxDay: number = DEFAULT_MAX_DAY): ReturnCurve {
  if (!Number.isInteger(maxDay) || maxDay < 1) throw new RangeError(`maxDay must be a whole number ≥ 1 (got ${maxDay})`);
  const byDay = validateCounts(counts);
  let visits = 0;
  let returns = 0;
  for (const { events, censored } of byDay.values()) {
    visits += events + censored;
    returns += events;
  }
  const steps = productLimit(byDay, visits);
  const days = [...byDay.keys()].sort((a, b) => a - b);

  const points: CurvePoint[] = [];
  let stepIndex = -1;
  let dayIndex = 0;
  let atRisk = visits;
  for (let day = 1; day <= maxDay; day++) {
    while (stepIndex + 1 < steps.length && (steps[stepIndex + 1]?.day ?? Infinity) <= day) stepIndex++;
    // Visits still followed on `day` (those observed for fewer days have left).
    while (dayIndex < days.length && (days[dayIndex] ?? Infinity) < day) {
      const left = byDay.get(days[dayIndex] ?? -1);
      atRisk -= (left?.events ?? 0) + (left?.censored ?? 0);
      dayIndex++;
    }
    const { p, low, high } = interval(steps[stepIndex], atRisk);
    points.push({ day, p, low: clamp01(Math.min(low, p)), high: clamp01(Math.max(high, p)) });
  }
  const median = steps.find((step) => step.survival <= 0.5);
  return { visits, returns, points, medianDays: median ? Math.max(median.day, 1) : null };
}

function clamp01(value: number): number {
  return Math.min(1, Math.max(0, value));
}

/** The curve's point at `days`; a RangeError outside 1..maxDay. */
export function returnWithin(curve: ReturnCurve, days: number): CurvePoint {
  const point = Number.isInteger(days) ? curve.points[days - 1] : undefined;
  if (!point) throw new RangeError(`return within ${days} days: days must be a whole number from 1 to ${curve.points.length}`);
  return point;
}

/**
 * Whether two estimates differ at the 95 % level in the sense cohort findings
 * use: their intervals do not overlap. Conservative (non-overlap of two 95 %
 * intervals is a stricter test than a 5 % two-sample test), which is what a
 * statement to a cafe owner should be.
 */
export function differs(a: CurvePoint, b: CurvePoint): boolean {
  return a.high < b.low || b.high < a.low;
}
