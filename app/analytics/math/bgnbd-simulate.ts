/**
 * Customers drawn from the BG/NBD process itself, seeded, for tests that check
 * the fit recovers the parameters and the predictions match what happens.
 */
import type { Random } from "../../simulate/random";
import type { BgNbdParams } from "./bgnbd";

export interface SimulatedCustomer {
  /** Repeat visits, time of the last one and time observed, as the fit sees them. */
  x: number;
  tx: number;
  T: number;
  /** Whether the customer had not dropped out by T. */
  aliveAtT: boolean;
  /** Visits in (T, T + horizon], when a horizon was asked for. */
  visitsAfterT: number;
}

/** Standard normal by Box–Muller. */
function normal(random: Random): number {
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000), boosted for shape < 1. */
function gamma(random: Random, shape: number): number {
  if (shape < 1) return gamma(random, shape + 1) * Math.pow(1 - random.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let z: number;
    let v: number;
    do {
      z = normal(random);
      v = 1 + c * z;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random.next();
    if (Math.log(u) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

function beta(random: Random, a: number, b: number): number {
  const x = gamma(random, a);
  const y = gamma(random, b);
  return x / (x + y);
}

function exponential(random: Random, rate: number): number {
  return -Math.log(1 - random.next()) / rate;
}

/**
 * `customers` customers, each first seen at time 0 and observed for T (one
 * number for all, or one per customer). λ ~ Gamma(r, α), p ~ Beta(a, b);
 * visits come as a Poisson process with rate λ, and after each repeat visit
 * the customer drops out with probability p (FHL 2005, assumptions i–v).
 */
export function simulateBgNbd(
  params: BgNbdParams,
  customers: number,
  T: number | readonly number[],
  random: Random,
  options: { horizon?: number } = {},
): SimulatedCustomer[] {
  if (!Number.isInteger(customers) || customers < 0) throw new RangeError(`customers must be a whole number ≥ 0 (got ${customers})`);
  if (Array.isArray(T) && T.length !== customers) throw new RangeError(`T lists ${T.length} ages for ${customers} customers`);
  const horizon = options.horizon ?? 0;
  const result: SimulatedCustomer[] = [];
  for (let i = 0; i < customers; i++) {
    const age = typeof T === "number" ? T : (T[i] ?? 0);
    if (!(age >= 0)) throw new RangeError(`T must be ≥ 0 (got ${age} for customer ${i})`);
    const rate = gamma(random, params.r) / params.alpha;
    const dropout = beta(random, params.a, params.b);
    let time = 0;
    let x = 0;
    let tx = 0;
    let alive = true;
    for (;;) {
      time += exponential(random, rate);
      if (time > age) break;
      x++;
      tx = time;
      if (random.next() < dropout) {
        alive = false;
        break;
      }
    }
    const aliveAtT = alive;
    let visitsAfterT = 0;
    // `time` is already the first visit after T for a customer still active (the process is memoryless).
    while (alive && time <= age + horizon) {
      visitsAfterT++;
      if (random.next() < dropout) alive = false;
      else time += exponential(random, rate);
    }
    result.push({ x, tx, T: age, aliveAtT, visitsAfterT });
  }
  return result;
}
