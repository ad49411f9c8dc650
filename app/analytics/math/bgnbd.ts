/**
 * BG/NBD: Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way:
 * An Alternative to the Pareto/NBD Model", Marketing Science 24(2). While
 * active a customer visits as a Poisson process with rate λ ~ Gamma(r, α);
 * after each visit they drop out with probability p ~ Beta(a, b). A customer
 * is summarised by x (repeat visits), tₓ (time of the last visit) and T (time
 * since the first visit), in one time unit throughout.
 */
import { minimiseBfgs, numericalHessian, invertPositiveDefinite } from "./optimise";
import { digamma, hypergeometric2F1, logGamma } from "./special";

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** Customers sharing one (x, tₓ, T), `count` of them. */
export interface BgNbdCell {
  x: number;
  tx: number;
  T: number;
  count: number;
}

export interface BgNbdFit {
  params: BgNbdParams;
  logLikelihood: number;
  iterations: number;
  converged: boolean;
  customers: number;
  cells: number;
  /** From the observed information (numerical Hessian at the optimum); null when it is not positive definite. */
  standardErrors: BgNbdParams | null;
  /** 95 % intervals, Wald on the log scale (so always positive). */
  intervals: Record<keyof BgNbdParams, [number, number]> | null;
}

const PARAMS = ["r", "alpha", "a", "b"] as const;
const Z_95 = 1.959963984540054;
/** Log-parameters beyond ±20 (e^20 ≈ 5·10⁸) mean the data do not bound the fit; the optimiser may not go there. */
const LOG_PARAM_LIMIT = 20;

function validateParams(params: BgNbdParams): void {
  for (const name of PARAMS) {
    const value = params[name];
    if (!(value > 0) || !Number.isFinite(value)) throw new RangeError(`BG/NBD parameter ${name} must be a positive number (got ${value})`);
  }
}

function validateCustomer(x: number, tx: number, T: number, where: string): void {
  if (!Number.isInteger(x) || x < 0) throw new RangeError(`${where}: x (repeat visits) must be a whole number ≥ 0 (got ${x})`);
  if (!(tx >= 0) || !Number.isFinite(tx)) throw new RangeError(`${where}: tx must be a finite number ≥ 0 (got ${tx})`);
  if (!(T >= tx) || !Number.isFinite(T)) throw new RangeError(`${where}: T must be a finite number ≥ tx (got T ${T}, tx ${tx})`);
}

/** Merges customers with identical (x, tₓ, T) into cells: the likelihood needs each distinct triple once. */
export function aggregateCustomers(customers: Iterable<{ x: number; tx: number; T: number }>): BgNbdCell[] {
  const cells = new Map<string, BgNbdCell>();
  for (const { x, tx, T } of customers) {
    const key = `${x}|${tx}|${T}`;
    const cell = cells.get(key);
    if (cell) cell.count++;
    else cells.set(key, { x, tx, T, count: 1 });
  }
  return [...cells.values()];
}

/**
 * One customer's log-likelihood, eq. (6) of the paper, rearranged as in Fader
 * & Hardie's note "Overcoming the BG/NBD model's #NUM! error problem" (2013):
 * ln L = A₁ + A₂ + ln(e^A₃ + δₓ₍>₀₎ e^A₄), with the gamma functions as
 * log-gamma and the sum by log-sum-exp, so large x never overflows.
 */
export function customerLogLikelihood(params: BgNbdParams, x: number, tx: number, T: number): number {
  validateParams(params);
  validateCustomer(x, tx, T, "customer");
  const { r, alpha, a, b } = params;
  const a1 = logGamma(r + x) - logGamma(r) + r * Math.log(alpha);
  const a2 = logGamma(a + b) + logGamma(b + x) - logGamma(b) - logGamma(a + b + x);
  const a3 = -(r + x) * Math.log(alpha + T);
  if (x === 0) return a1 + a2 + a3;
  const a4 = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
  return a1 + a2 + logAddExp(a3, a4);
}

function logAddExp(u: number, v: number): number {
  const max = Math.max(u, v);
  return max + Math.log1p(Math.exp(-Math.abs(u - v)));
}

/** Σ count × ln L over the cells. */
export function logLikelihood(params: BgNbdParams, cells: readonly BgNbdCell[]): number {
  return logLikelihoodWithGradient(params, cells).logLikelihood;
}

/** Σ count × ln L and its analytic gradient with respect to r, α, a and b (what the fit climbs). */
export function logLikelihoodWithGradient(params: BgNbdParams, cells: readonly BgNbdCell[]): { logLikelihood: number; gradient: BgNbdParams } {
  validateParams(params);
  const { logLikelihood: ll, gradient } = evaluate(prepare(cells), PARAMS.map((name) => Math.log(params[name])));
  // The evaluation differentiates by ln p; ∂/∂p = (∂/∂ln p) / p.
  return { logLikelihood: ll, gradient: toParams(gradient.map((g, i) => g / params[PARAMS[i] ?? "r"])) };
}

/**
 * Cells indexed by their distinct x, tₓ and T values: the gamma-function terms
 * depend on x alone and the logarithms on tₓ or T alone, so an evaluation
 * costs one pass of additions over the cells (fast for 100,000 customers).
 */
interface Prepared {
  xValues: number[];
  txValues: number[];
  tValues: number[];
  xIndex: Int32Array;
  txIndex: Int32Array;
  tIndex: Int32Array;
  counts: Float64Array;
  customers: number;
}

function prepare(cells: readonly BgNbdCell[]): Prepared {
  const index = (values: number[], lookup: Map<number, number>, value: number) => {
    let i = lookup.get(value);
    if (i === undefined) {
      i = values.length;
      values.push(value);
      lookup.set(value, i);
    }
    return i;
  };
  const data: Prepared = {
    xValues: [],
    txValues: [],
    tValues: [],
    xIndex: new Int32Array(cells.length),
    txIndex: new Int32Array(cells.length),
    tIndex: new Int32Array(cells.length),
    counts: new Float64Array(cells.length),
    customers: 0,
  };
  const [xs, txs, ts] = [new Map<number, number>(), new Map<number, number>(), new Map<number, number>()];
  cells.forEach((cell, i) => {
    validateCustomer(cell.x, cell.tx, cell.T, `cells[${i}]`);
    if (!Number.isInteger(cell.count) || cell.count < 1) throw new RangeError(`cells[${i}]: count must be a whole number ≥ 1 (got ${cell.count})`);
    data.xIndex[i] = index(data.xValues, xs, cell.x);
    data.txIndex[i] = index(data.txValues, txs, cell.tx);
    data.tIndex[i] = index(data.tValues, ts, cell.T);
    data.counts[i] = cell.count;
    data.customers += cell.count;
  });
  return data;
}

/** ln L and its gradient with respect to the log-parameters (ln r, ln α, ln a, ln b). */
function evaluate(data: Prepared, logParams: readonly number[]): { logLikelihood: number; gradient: number[] } {
  const { r, alpha, a, b } = toParams(logParams.map(Math.exp));
  const nx = data.xValues.length;
  // Terms of x alone: A₁ + A₂, the x > 0 part of A₄, and their derivatives (digamma).
  const base = new Float64Array(nx);
  const a4Constant = new Float64Array(nx);
  const dBaseR = new Float64Array(nx);
  const dBaseA = new Float64Array(nx);
  const dBaseB = new Float64Array(nx);
  const invB = new Float64Array(nx);
  const lgR = logGamma(r);
  const lgB = logGamma(b);
  const lgAB = logGamma(a + b);
  const psiR = digamma(r);
  const psiB = digamma(b);
  const psiAB = digamma(a + b);
  const logAlpha = Math.log(alpha);
  const logA = Math.log(a);
  for (let k = 0; k < nx; k++) {
    const x = data.xValues[k] ?? 0;
    base[k] = logGamma(r + x) - lgR + r * logAlpha + lgAB + logGamma(b + x) - lgB - logGamma(a + b + x);
    a4Constant[k] = x > 0 ? logA - Math.log(b + x - 1) : Number.NEGATIVE_INFINITY;
    invB[k] = x > 0 ? 1 / (b + x - 1) : 0;
    dBaseR[k] = digamma(r + x) - psiR + logAlpha;
    const psiABX = digamma(a + b + x);
    dBaseA[k] = psiAB - psiABX;
    dBaseB[k] = psiAB + digamma(b + x) - psiB - psiABX;
  }
  const logs = (values: number[]) => Float64Array.from(values, (v) => Math.log(alpha + v));
  const inverses = (values: number[]) => Float64Array.from(values, (v) => 1 / (alpha + v));
  const logT = logs(data.tValues);
  const invT = inverses(data.tValues);
  const logTx = logs(data.txValues);
  const invTx = inverses(data.txValues);

  let ll = 0;
  let gr = 0;
  let gAlpha = 0;
  let ga = 0;
  let gb = 0;
  const n = data.counts.length;
  for (let i = 0; i < n; i++) {
    const k = data.xIndex[i] ?? 0;
    const t = data.tIndex[i] ?? 0;
    const s = data.txIndex[i] ?? 0;
    const count = data.counts[i] ?? 0;
    const rx = r + (data.xValues[k] ?? 0);
    const lT = logT[t] ?? 0;
    const lTx = logTx[s] ?? 0;
    const a3 = -rx * lT;
    const a4 = (a4Constant[k] ?? 0) - rx * lTx;
    // Weight of the "still active" term A₃ against the "dropped out after tₓ" term A₄.
    let mix: number;
    let w4: number;
    if (a4 === Number.NEGATIVE_INFINITY) {
      mix = a3;
      w4 = 0;
    } else if (a4 > a3) {
      const e = Math.exp(a3 - a4);
      mix = a4 + Math.log1p(e);
      w4 = 1 / (1 + e);
    } else {
      const e = Math.exp(a4 - a3);
      mix = a3 + Math.log1p(e);
      w4 = e / (1 + e);
    }
    const w3 = 1 - w4;
    ll += count * ((base[k] ?? 0) + mix);
    gr += count * ((dBaseR[k] ?? 0) - w3 * lT - w4 * lTx);
    gAlpha += count * (r / alpha - rx * (w3 * (invT[t] ?? 0) + w4 * (invTx[s] ?? 0)));
    ga += count * ((dBaseA[k] ?? 0) + w4 / a);
    gb += count * ((dBaseB[k] ?? 0) - w4 * (invB[k] ?? 0));
  }
  return { logLikelihood: ll, gradient: [gr * r, gAlpha * alpha, ga * a, gb * b] };
}

export interface FitOptions {
  maxIterations?: number;
  /** Starting point; by default r = 1, a = 1, b = 1 and α from the mean visit rate. */
  start?: BgNbdParams;
}

function defaultStarts(cells: readonly BgNbdCell[]): BgNbdParams[] {
  let customers = 0;
  let visits = 0;
  let time = 0;
  for (const cell of cells) {
    customers += cell.count;
    visits += cell.count * cell.x;
    time += cell.count * cell.T;
  }
  // E[x]/T ≈ r/α while customers are active, so α ≈ r × mean T / mean x.
  const alpha = Math.min(Math.max(time / Math.max(visits, 0.1 * customers, 1e-9), 1e-3), 1e6);
  return [
    { r: 1, alpha, a: 1, b: 1 },
    { r: 0.3, alpha: alpha * 0.3, a: 0.5, b: 3 },
    { r: 3, alpha: alpha * 3, a: 2, b: 10 },
  ];
}

/**
 * Maximum-likelihood fit. BFGS on the log-parameters (which keeps them
 * positive and the surface rounder) with the analytic gradient; the
 * objective is the mean log-likelihood per customer so that one tolerance
 * suits any shop size. If the first start does not converge, two more are
 * tried and the best converged optimum is kept.
 */
export function fitBgNbd(cells: readonly BgNbdCell[], options: FitOptions = {}): BgNbdFit {
  if (cells.length === 0) throw new RangeError("cannot fit BG/NBD to no customers");
  const data = prepare(cells);
  if (!data.xValues.some((x) => x > 0)) throw new RangeError("cannot fit BG/NBD when no customer has a repeat visit");
  const objective = (theta: readonly number[]) => {
    if (theta.some((v) => !(Math.abs(v) <= LOG_PARAM_LIMIT))) return { value: Number.POSITIVE_INFINITY, gradient: theta.map(() => 0) };
    const { logLikelihood: ll, gradient } = evaluate(data, theta);
    return { value: -ll / data.customers, gradient: gradient.map((g) => -g / data.customers) };
  };
  const starts = options.start ? [options.start] : defaultStarts(cells);
  let best: ReturnType<typeof minimiseBfgs> | undefined;
  let iterations = 0;
  for (const start of starts) {
    validateParams(start);
    const result = minimiseBfgs(objective, PARAMS.map((name) => Math.log(start[name])), {
      maxIterations: options.maxIterations ?? 500,
      gradientTolerance: 1e-6,
    });
    iterations += result.iterations;
    const better = !best || (result.converged && !best.converged) || (result.converged === best.converged && result.value < best.value);
    if (better) best = result;
    if (best?.converged) break;
  }
  if (!best) throw new RangeError("BG/NBD fit had no starting point");
  const theta = best.x;
  const params = toParams(theta.map(Math.exp));
  const uncertainty = standardErrors(data, theta);
  return {
    params,
    logLikelihood: -best.value * data.customers,
    iterations,
    converged: best.converged,
    customers: data.customers,
    cells: cells.length,
    ...uncertainty,
  };
}

function toParams(values: readonly number[]): BgNbdParams {
  const [r = Number.NaN, alpha = Number.NaN, a = Number.NaN, b = Number.NaN] = values;
  return { r, alpha, a, b };
}

/** Covariance of the log-parameters = inverse observed information; delta method to the parameters. */
function standardErrors(data: Prepared, theta: number[]): Pick<BgNbdFit, "standardErrors" | "intervals"> {
  const hessian = numericalHessian((point) => evaluate(data, point).gradient, theta);
  const information = hessian.map((row) => row.map((v) => -v));
  const covariance = invertPositiveDefinite(information);
  if (!covariance) return { standardErrors: null, intervals: null };
  const logSe = theta.map((_, i) => Math.sqrt(covariance[i]?.[i] ?? Number.NaN));
  if (logSe.some((se) => !Number.isFinite(se))) return { standardErrors: null, intervals: null };
  const standardErrors = toParams(theta.map((t, i) => Math.exp(t) * (logSe[i] ?? 0)));
  const bound = (i: number): [number, number] => {
    const centre = theta[i] ?? Number.NaN;
    const spread = Z_95 * (logSe[i] ?? Number.NaN);
    return [Math.exp(centre - spread), Math.exp(centre + spread)];
  };
  const intervals = { r: bound(0), alpha: bound(1), a: bound(2), b: bound(3) };
  return { standardErrors, intervals };
}

/**
 * P(still active | x, tₓ, T) (Fader, Hardie & Lee, "Computing P(alive) using
 * the BG/NBD model", 2008): 1 / (1 + δₓ₍>₀₎ a/(b + x − 1) ((α + T)/(α + tₓ))^(r + x)),
 * as a logistic of the log-odds so it never overflows.
 */
export function probabilityAlive(params: BgNbdParams, x: number, tx: number, T: number): number {
  validateParams(params);
  validateCustomer(x, tx, T, "customer");
  if (x === 0) return 1;
  const { r, alpha, a, b } = params;
  const logOdds = Math.log(a) - Math.log(b + x - 1) + (r + x) * (Math.log(alpha + T) - Math.log(alpha + tx));
  return logOdds > 0 ? Math.exp(-logOdds) / (1 + Math.exp(-logOdds)) : 1 / (1 + Math.exp(logOdds));
}

/** Below this distance from a = 1, eq. (10)'s 0/0 is resolved by interpolating across a = 1. */
const NEAR_A_ONE = 1e-4;

/**
 * Expected visits in the next t periods, eq. (10) of the paper:
 * E[Y(t) | x, tₓ, T] = (a + b + x − 1)/(a − 1) [1 − ((α + T)/(α + T + t))^(r + x)
 * ₂F₁(r + x, b + x; a + b + x − 1; t/(α + T + t))] × P(alive).
 * The 2F1 term is taken through Euler's transformation (A&S 15.3.3):
 * (1 − z)^(r + x) ₂F₁(r + x, b + x; c; z) = (1 − z)^(a − 1) ₂F₁(c − r − x, a − 1; c; z),
 * whose upper parameters do not grow with x, so frequent visitors cost no more.
 */
export function expectedVisits(params: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  validateParams(params);
  validateCustomer(x, tx, T, "customer");
  if (!(t >= 0) || !Number.isFinite(t)) throw new RangeError(`t must be a finite number ≥ 0 (got ${t})`);
  if (t === 0) return 0;
  if (Math.abs(params.a - 1) < NEAR_A_ONE) {
    const below = conditionalExpectation({ ...params, a: 1 - NEAR_A_ONE }, t, x, tx, T);
    const above = conditionalExpectation({ ...params, a: 1 + NEAR_A_ONE }, t, x, tx, T);
    return below + ((above - below) * (params.a - (1 - NEAR_A_ONE))) / (2 * NEAR_A_ONE);
  }
  return conditionalExpectation(params, t, x, tx, T);
}

function conditionalExpectation(params: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = params;
  const c = a + b + x - 1;
  const z = t / (alpha + T + t);
  const tail = Math.pow(1 - z, a - 1) * hypergeometric2F1(a + b - 1 - r, a - 1, c, z);
  return ((c / (a - 1)) * (1 - tail)) * probabilityAlive(params, x, tx, T);
}

/** E[X(t)] for a customer just acquired, eq. (9) of the paper (eq. 10 with x = tₓ = T = 0). */
export function expectedVisitsNewCustomer(params: BgNbdParams, t: number): number {
  return expectedVisits(params, t, 0, 0, 0);
}

export { simulateBgNbd, type SimulatedCustomer } from "./bgnbd-simulate";

export const PREDICTION_MIN_REPEATERS = 50;
export const PREDICTION_MIN_HISTORY_DAYS = 56;

export type Readiness = { ready: true } | { ready: false; reason: string };

/**
 * Whether a shop's data can carry predictions: at least 50 customers with two
 * or more visit days, and at least 8 weeks between the first visit and the end
 * of the data. Otherwise a reason the owner can read.
 */
export function predictionReadiness(data: { repeaters: number; historyDays: number }): Readiness {
  const reasons: string[] = [];
  if (data.repeaters < PREDICTION_MIN_REPEATERS) {
    reasons.push(`Predictions need at least ${PREDICTION_MIN_REPEATERS} members with two or more visits; this shop has ${data.repeaters}.`);
  }
  if (data.historyDays < PREDICTION_MIN_HISTORY_DAYS) {
    const has = data.historyDays <= 0 ? "none yet" : `${data.historyDays} ${data.historyDays === 1 ? "day" : "days"}`;
    reasons.push(`Predictions need at least 8 weeks of visit history; this shop has ${has}.`);
  }
  return reasons.length === 0 ? { ready: true } : { ready: false, reason: reasons.join(" ") };
}
