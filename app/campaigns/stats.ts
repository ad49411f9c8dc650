/**
 * Uplift of a campaign over its holdout, for small numbers, never as a bare
 * ratio:
 * - each arm's conversion rate with its Wilson score interval;
 * - the difference (treatment − holdout) with Newcombe's hybrid score
 *   interval (Newcombe 1998, "Interval estimation for the difference between
 *   independent proportions", Statistics in Medicine 17:873–890, method 10),
 *   which keeps its coverage near 95 % with a handful of conversions where
 *   the textbook Wald interval does not;
 * - a two-sided p-value from the pooled two-proportion z test (the same as
 *   Pearson's χ² test without continuity correction);
 * - when the interval includes zero: "inconclusive", and the recipients per
 *   arm a test would need to detect the observed difference with 80 % power
 *   at α = 5 % (Fleiss' formula without continuity correction).
 */

export const Z_95 = 1.959963984540054;
export const Z_80_POWER = 0.8416212335729143;

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval for x successes in n trials (n > 0). */
export function wilsonInterval(x: number, n: number, z = Z_95): Interval {
  checkCounts(x, n);
  if (n === 0) return { low: 0, high: 1 };
  const p = x / n;
  const z2 = z * z;
  const centre = p + z2 / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denominator = 1 + z2 / n;
  // At 0 or n the bound is exactly 0 or 1; computed, it would carry rounding dust.
  return { low: x === 0 ? 0 : Math.max(0, (centre - spread) / denominator), high: x === n ? 1 : Math.min(1, (centre + spread) / denominator) };
}

/** Newcombe's hybrid score interval for p1 − p0. */
export function newcombeDifference(x1: number, n1: number, x0: number, n0: number, z = Z_95): { difference: number } & Interval {
  const p1 = x1 / n1;
  const p0 = x0 / n0;
  const a = wilsonInterval(x1, n1, z);
  const b = wilsonInterval(x0, n0, z);
  const difference = p1 - p0;
  return {
    difference,
    low: difference - Math.sqrt((p1 - a.low) ** 2 + (b.high - p0) ** 2),
    high: difference + Math.sqrt((a.high - p1) ** 2 + (p0 - b.low) ** 2),
  };
}

/** Two-sided p-value of the pooled two-proportion z test; 1 when neither arm varies. */
export function twoProportionPValue(x1: number, n1: number, x0: number, n0: number): number {
  checkCounts(x1, n1);
  checkCounts(x0, n0);
  const pooled = (x1 + x0) / (n1 + n0);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0));
  if (se === 0) return 1;
  const z = Math.abs(x1 / n1 - x0 / n0) / se;
  return Math.min(1, 2 * normalUpperTail(z));
}

/** Recipients per arm to detect p1 vs p0 (two-sided α, given power); null when they are equal. */
export function sampleSizePerArm(p1: number, p0: number, options: { zAlpha?: number; zPower?: number } = {}): number | null {
  const delta = Math.abs(p1 - p0);
  if (delta === 0) return null;
  const zAlpha = options.zAlpha ?? Z_95;
  const zPower = options.zPower ?? Z_80_POWER;
  const mean = (p1 + p0) / 2;
  const root = zAlpha * Math.sqrt(2 * mean * (1 - mean)) + zPower * Math.sqrt(p1 * (1 - p1) + p0 * (1 - p0));
  // Rounded before the ceiling so floating-point dust (293.0000000001) does not add a recipient.
  return Math.ceil(Number(((root * root) / (delta * delta)).toFixed(9)));
}

/** P(Z > z) for a standard normal Z, through erfc (relative error below 1.2e-7). */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** Complementary error function: Numerical Recipes' Chebyshev fit (erfcc), |relative error| < 1.2e-7. */
export function erfc(x: number): number {
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const poly =
    -x * x -
    1.26551223 +
    t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  const value = t * Math.exp(poly);
  return x >= 0 ? value : 2 - value;
}

function checkCounts(x: number, n: number): void {
  if (!Number.isInteger(x) || !Number.isInteger(n) || x < 0 || n < 0 || x > n) {
    throw new RangeError(`conversions must be whole numbers with 0 ≤ conversions ≤ recipients (got ${x} of ${n})`);
  }
}

export interface ArmCounts {
  recipients: number;
  conversions: number;
}

export type UpliftVerdict = "better" | "worse" | "inconclusive";

export interface Uplift {
  treatmentRate: number;
  holdoutRate: number;
  treatmentInterval: Interval;
  holdoutInterval: Interval;
  /** Treatment rate − holdout rate, in proportion points (0.05 = 5 points). */
  difference: number;
  interval: Interval;
  pValue: number;
  method: string;
  verdict: UpliftVerdict;
  /** When inconclusive: recipients per arm to detect the observed difference (80 % power, α 5 %). */
  neededPerArm: number | null;
  /** …and how many more than the smaller arm has now. */
  morePerArm: number | null;
  /** A sentence for the merchant. */
  summary: string;
}

export const UPLIFT_METHOD = "Newcombe hybrid score interval (Wilson) for the difference; pooled two-proportion z test";

/** The comparison, or null while an arm has nobody in it. */
export function uplift(treatment: ArmCounts, holdout: ArmCounts): Uplift | null {
  if (treatment.recipients === 0 || holdout.recipients === 0) return null;
  const t = treatment;
  const h = holdout;
  const diff = newcombeDifference(t.conversions, t.recipients, h.conversions, h.recipients);
  const pValue = twoProportionPValue(t.conversions, t.recipients, h.conversions, h.recipients);
  const treatmentRate = t.conversions / t.recipients;
  const holdoutRate = h.conversions / h.recipients;
  const verdict: UpliftVerdict = diff.low > 0 ? "better" : diff.high < 0 ? "worse" : "inconclusive";
  const needed = verdict === "inconclusive" ? sampleSizePerArm(treatmentRate, holdoutRate) : null;
  const more = needed === null ? null : Math.max(0, needed - Math.min(t.recipients, h.recipients));
  return {
    treatmentRate,
    holdoutRate,
    treatmentInterval: wilsonInterval(t.conversions, t.recipients),
    holdoutInterval: wilsonInterval(h.conversions, h.recipients),
    difference: diff.difference,
    interval: { low: diff.low, high: diff.high },
    pValue,
    method: UPLIFT_METHOD,
    verdict,
    neededPerArm: needed,
    morePerArm: more,
    summary: upliftSummary(verdict, diff.difference, { low: diff.low, high: diff.high }, pValue, needed, more),
  };
}

const points = (value: number) => `${value >= 0 ? "+" : "−"}${Math.abs(value * 100).toFixed(1)} points`;

function upliftSummary(verdict: UpliftVerdict, difference: number, interval: Interval, pValue: number, needed: number | null, more: number | null): string {
  const range = `95 % CI ${points(interval.low)} to ${points(interval.high)}, p = ${pValue < 0.001 ? "< 0.001" : pValue.toFixed(3)}`;
  if (verdict === "better") return `Converted more than the holdout: ${points(difference)} (${range}).`;
  if (verdict === "worse") return `Converted less than the holdout: ${points(difference)} (${range}).`;
  if (needed === null) return `Inconclusive: no difference from the holdout yet (${range}).`;
  return (
    `Inconclusive: ${points(difference)} (${range}); the interval includes zero. ` +
    `Detecting a difference this size needs about ${needed.toLocaleString("en")} recipients per arm (${(more ?? 0).toLocaleString("en")} more).`
  );
}
