/**
 * Special functions the statistics need: log-gamma, digamma and the Gauss
 * hypergeometric function 2F1 for real arguments. Pure, no dependencies.
 */

// Lanczos approximation, g = 7, n = 9 (Numerical Recipes 3rd ed. §6.1 coefficients):
// about 15 significant digits for positive arguments.
const LANCZOS_G = 7;
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];
const HALF_LOG_TWO_PI = 0.5 * Math.log(2 * Math.PI);

function isNonPositiveInteger(x: number): boolean {
  return x <= 0 && Number.isInteger(x);
}

/** ln |Γ(x)|; +Infinity at the poles (0, −1, −2, …). */
export function logAbsGamma(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (isNonPositiveInteger(x)) return Number.POSITIVE_INFINITY;
  if (x < 0.5) {
    // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
    return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logAbsGamma(1 - x);
  }
  const z = x - 1;
  let sum = LANCZOS[0] ?? 1;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] ?? 0) / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return HALF_LOG_TWO_PI + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new RangeError(`logGamma needs a positive argument (got ${x})`);
  return logAbsGamma(x);
}

/** The sign of Γ(x): +1 for x > 0, alternating between the poles below 0. */
export function gammaSign(x: number): 1 | -1 {
  if (x > 0) return 1;
  return Math.abs(Math.floor(x)) % 2 === 0 ? 1 : -1;
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), for a, b > 0. */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

/** ψ(x) = d/dx ln Γ(x), by recurrence up to x ≥ 12 and the asymptotic series (truncation error < 1e-14 there). */
export function digamma(x: number): number {
  if (Number.isNaN(x) || isNonPositiveInteger(x)) return Number.NaN;
  if (x < 0.5) return digamma(1 - x) - Math.PI / Math.tan(Math.PI * x);
  let shift = 0;
  while (x < 12) {
    shift -= 1 / x;
    x += 1;
  }
  const inv2 = 1 / (x * x);
  const tail = inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 / 132))));
  return shift + Math.log(x) - 0.5 / x - tail;
}

/**
 * Γ(n₁)·Γ(n₂)·… / (Γ(d₁)·Γ(d₂)·…), computed through logs with signs. A pole
 * in the denominator makes the ratio 0 (1/Γ is entire); one in the numerator
 * makes it infinite.
 */
export function gammaRatio(numerator: readonly number[], denominator: readonly number[]): number {
  if (denominator.some(isNonPositiveInteger)) return 0;
  if (numerator.some(isNonPositiveInteger)) return Number.POSITIVE_INFINITY;
  let log = 0;
  let sign = 1;
  for (const x of numerator) {
    log += logAbsGamma(x);
    sign *= gammaSign(x);
  }
  for (const x of denominator) {
    log -= logAbsGamma(x);
    sign *= gammaSign(x);
  }
  return sign * Math.exp(log);
}

const SERIES_EPSILON = 1e-16;
const SERIES_MAX_TERMS = 100_000;
/** Beyond this, the series in z converges slowly; the 1 − z connection formula takes over. */
const DIRECT_SERIES_LIMIT = 0.75;
/** Spacing of the points either side of an integer c − a − b (wide enough that the cancelling poles keep ~10 digits). */
const POLE_STEP = 1e-3;
const POLE_NODES = [-2, -1, 1, 2];

/** Σ (a)ₙ(b)ₙ / ((c)ₙ n!) zⁿ, summed until terms stop mattering (or the series terminates). */
function hypergeometricSeries(a: number, b: number, c: number, z: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < SERIES_MAX_TERMS; n++) {
    const ratio = ((a + n) * (b + n)) / ((c + n) * (n + 1)) * z;
    term *= ratio;
    sum += term;
    if (term === 0) return sum;
    // Only stop where terms are shrinking, not at a small term before they grow again.
    if (Math.abs(term) <= SERIES_EPSILON * Math.abs(sum) && Math.abs(ratio) < 1) return sum;
    if (!Number.isFinite(sum)) throw new RangeError(`2F1(${a}, ${b}; ${c}; ${z}) overflows`);
  }
  throw new RangeError(`2F1(${a}, ${b}; ${c}; ${z}): series did not converge in ${SERIES_MAX_TERMS} terms`);
}

/**
 * For 0.75 < z < 1, Abramowitz & Stegun 15.3.6: two series in 1 − z < 0.25.
 * When c − a − b is an integer the two terms have poles that cancel (A&S
 * 15.3.10–12 switch to logarithmic series there); we instead evaluate at four
 * values of c either side of the integer and interpolate (cubic Lagrange),
 * which keeps about 9 significant digits (within 10% of the spacing of an
 * integer, the points stand either side of it).
 */
function connectionFormula(a: number, b: number, c: number, z: number): number {
  const m = c - a - b;
  const nearest = Math.round(m);
  // The terms vary with c like (1 − z)^(c − a − b): closer to z = 1, closer points.
  const step = Math.min(POLE_STEP, 0.003 / Math.abs(Math.log1p(-z)));
  if (Math.abs(m - nearest) >= step / 10) return connectionTerms(a, b, c, z);
  const offset = (m - nearest) / step;
  let value = 0;
  for (const node of POLE_NODES) {
    let weight = 1;
    for (const other of POLE_NODES) if (other !== node) weight *= (offset - other) / (node - other);
    value += weight * connectionTerms(a, b, c - m + nearest + node * step, z);
  }
  return value;
}

function connectionTerms(a: number, b: number, c: number, z: number): number {
  const w = 1 - z;
  const first = gammaRatio([c, c - a - b], [c - a, c - b]);
  const second = gammaRatio([c, a + b - c], [a, b]);
  const firstSeries = first === 0 ? 0 : first * hypergeometricSeries(a, b, a + b - c + 1, w);
  const secondSeries = second === 0 ? 0 : second * Math.pow(w, c - a - b) * hypergeometricSeries(c - a, c - b, c - a - b + 1, w);
  return firstSeries + secondSeries;
}

/**
 * The Gauss hypergeometric function ₂F₁(a, b; c; z) for real parameters and
 * real z ≤ 1. Direct series for 0 ≤ z ≤ 0.75; Pfaff's transformation for z < 0
 * (A&S 15.3.4); the 1 − z connection formula for 0.75 < z < 1 (A&S 15.3.6);
 * Gauss's theorem at z = 1 (A&S 15.1.20). Throws a RangeError where the
 * function is undefined or infinite (c a non-positive integer, z > 1, or z = 1
 * with c − a − b ≤ 0).
 */
export function hypergeometric2F1(a: number, b: number, c: number, z: number): number {
  for (const [name, value] of [["a", a], ["b", b], ["c", c], ["z", z]] as const) {
    if (!Number.isFinite(value)) throw new RangeError(`2F1: ${name} must be a finite number (got ${value})`);
  }
  const terminates = (isNonPositiveInteger(a) && a > c) || (isNonPositiveInteger(b) && b > c);
  if (isNonPositiveInteger(c) && !terminates) throw new RangeError(`2F1 is undefined for c = ${c} (a non-positive integer)`);
  if (terminates || isNonPositiveInteger(a) || isNonPositiveInteger(b)) {
    if (z > 1) throw new RangeError(`2F1 is computed only for z ≤ 1 (got ${z})`);
    return hypergeometricSeries(a, b, c, z);
  }
  if (z === 0) return 1;
  if (z > 1) throw new RangeError(`2F1 is computed only for z ≤ 1 (got ${z})`);
  if (z === 1) {
    if (c - a - b <= 0) throw new RangeError(`2F1(${a}, ${b}; ${c}; 1) diverges (c − a − b = ${c - a - b} ≤ 0)`);
    return gammaRatio([c, c - a - b], [c - a, c - b]);
  }
  if (z < 0) {
    // Pfaff: ₂F₁(a, b; c; z) = (1 − z)^(−a) ₂F₁(a, c − b; c; z / (z − 1)), with z / (z − 1) in (0, 1).
    return Math.pow(1 - z, -a) * hypergeometric2F1(a, c - b, c, z / (z - 1));
  }
  if (z <= DIRECT_SERIES_LIMIT) return hypergeometricSeries(a, b, c, z);
  return connectionFormula(a, b, c, z);
}
