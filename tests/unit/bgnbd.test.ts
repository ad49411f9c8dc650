import { describe, expect, it } from "vitest";
import {
  aggregateCustomers,
  customerLogLikelihood,
  expectedVisits,
  expectedVisitsNewCustomer,
  fitBgNbd,
  logLikelihood,
  logLikelihoodWithGradient,
  predictionReadiness,
  probabilityAlive,
  simulateBgNbd,
  type BgNbdParams,
} from "../../app/analytics/math/bgnbd";
import { digamma, hypergeometric2F1, logGamma } from "../../app/analytics/math/special";
import { createRandom } from "../../app/simulate/random";

/** Fader, Hardie & Lee's estimates on the CDNOW data (weeks). */
const CDNOW: BgNbdParams = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
const NAMES = ["r", "alpha", "a", "b"] as const;

describe("BG/NBD log-likelihood", () => {
  it("with no repeat visit is r ln(α/(α+T)) (the beta terms cancel)", () => {
    expect(customerLogLikelihood(CDNOW, 0, 0, 38.86)).toBeCloseTo(0.243 * Math.log(4.414 / 43.274), 13);
  });

  it.each([
    // Reference values from eq. (6) evaluated directly in 40-digit arithmetic (mpmath).
    [2, 30.43, 38.86, -9.45860630706627],
    [1, 1.71, 38.86, -4.469093275032589],
    [300, 200.5, 210, -198.23872769797123],
    [5000, 364, 365, 8021.440953731006],
  ])("matches eq. (6) at x = %d, tx = %d, T = %d", (x, tx, T, expected) => {
    expect(customerLogLikelihood(CDNOW, x, tx, T)).toBeCloseTo(expected, 9);
  });

  it("stays finite for frequencies where the paper's form overflows", () => {
    // Γ(r + x) alone overflows a double beyond x ≈ 171, and (α + T)^(r + x) soon after.
    for (const x of [200, 2_000, 50_000]) {
      const value = customerLogLikelihood(CDNOW, x, x / 2, x);
      expect(Number.isFinite(value)).toBe(true);
    }
    const cells = [
      { x: 10_000, tx: 700, T: 730, count: 3 },
      { x: 0, tx: 0, T: 730, count: 5 },
    ];
    expect(Number.isFinite(logLikelihood(CDNOW, cells))).toBe(true);
  });

  it("sums identical customers by count", () => {
    const customers = [
      { x: 2, tx: 30.43, T: 38.86 },
      { x: 2, tx: 30.43, T: 38.86 },
      { x: 0, tx: 0, T: 38.86 },
    ];
    const cells = aggregateCustomers(customers);
    expect(cells).toHaveLength(2);
    const bySum = customers.reduce((sum, c) => sum + customerLogLikelihood(CDNOW, c.x, c.tx, c.T), 0);
    expect(logLikelihood(CDNOW, cells)).toBeCloseTo(bySum, 11);
  });

  it("has an analytic gradient that agrees with central finite differences", () => {
    const customers = simulateBgNbd(CDNOW, 500, 39, createRandom("bgnbd-gradient"));
    const cells = aggregateCustomers(customers);
    for (const at of [CDNOW, { r: 1.3, alpha: 9, a: 2.2, b: 0.7 }]) {
      const { gradient } = logLikelihoodWithGradient(at, cells);
      for (const name of NAMES) {
        const h = at[name] * 1e-6;
        const numeric = (logLikelihood({ ...at, [name]: at[name] + h }, cells) - logLikelihood({ ...at, [name]: at[name] - h }, cells)) / (2 * h);
        expect(gradient[name] / numeric).toBeCloseTo(1, 5);
      }
    }
  });

  it.each([
    [{ x: -1, tx: 0, T: 1 }, /x \(repeat visits\) must be a whole number ≥ 0/],
    [{ x: 1.5, tx: 0, T: 1 }, /x \(repeat visits\) must be a whole number/],
    [{ x: 1, tx: 5, T: 4 }, /T must be a finite number ≥ tx/],
    [{ x: 1, tx: Number.NaN, T: 4 }, /tx must be a finite number ≥ 0/],
  ])("rejects customer %j", ({ x, tx, T }, message) => {
    expect(() => customerLogLikelihood(CDNOW, x, tx, T)).toThrow(message);
  });

  it("rejects bad parameters and cells", () => {
    expect(() => customerLogLikelihood({ ...CDNOW, a: 0 }, 1, 1, 2)).toThrow(/parameter a must be a positive number/);
    expect(() => logLikelihood(CDNOW, [{ x: 1, tx: 1, T: 2, count: 0 }])).toThrow(/cells\[0\]: count must be a whole number ≥ 1/);
    expect(() => fitBgNbd([])).toThrow(/no customers/);
    expect(() => fitBgNbd([{ x: 0, tx: 0, T: 10, count: 100 }])).toThrow(/no customer has a repeat visit/);
  });
});

describe("BG/NBD fit", () => {
  /**
   * ≥ 5,000 customers per set (50,000 here, with 2–3 years of history, so
   * that the dropout parameters a and b have standard errors near 3 % and a
   * 10 % tolerance is about three of them; at CDNOW's 39 weeks they are ~10 %
   * even at 20,000 customers).
   */
  const sets: Array<{ name: string; params: BgNbdParams; ages: [number, number] }> = [
    { name: "CDNOW (weeks)", params: CDNOW, ages: [104, 156] },
    { name: "a frequent cafe crowd (weeks)", params: { r: 2, alpha: 3, a: 0.6, b: 6 }, ages: [26, 104] },
    { name: "a daily rhythm (days)", params: { r: 1.2, alpha: 20, a: 1.5, b: 12 }, ages: [180, 730] },
  ];

  it.each(sets)("recovers r, α, a, b within 10 % on $name", ({ name, params, ages }) => {
    const random = createRandom(`bgnbd-recovery-${name}`);
    const customers = 50_000;
    const T = Array.from({ length: customers }, () => random.float(ages[0], ages[1]));
    const fit = fitBgNbd(aggregateCustomers(simulateBgNbd(params, customers, T, random)));

    expect(fit.converged).toBe(true);
    expect(fit.customers).toBe(customers);
    for (const name of NAMES) {
      expect(Math.abs(fit.params[name] / params[name] - 1)).toBeLessThan(0.1);
      const [low, high] = fit.intervals?.[name] ?? [Number.NaN, Number.NaN];
      expect(low).toBeLessThan(fit.params[name]);
      expect(high).toBeGreaterThan(fit.params[name]);
      expect(fit.standardErrors?.[name]).toBeGreaterThan(0);
    }
  });

  it("converges to a stationary point that beats the true parameters and nearby ones", () => {
    const random = createRandom("bgnbd-optimum");
    const cells = aggregateCustomers(simulateBgNbd(CDNOW, 8_000, Array.from({ length: 8_000 }, () => random.float(27, 39)), random));
    const fit = fitBgNbd(cells);
    expect(fit.converged).toBe(true);
    expect(fit.iterations).toBeGreaterThan(3);
    // The gradient vanishes at the optimum (relative to the size of the log-likelihood)...
    const { logLikelihood: best, gradient } = logLikelihoodWithGradient(fit.params, cells);
    expect(best).toBeCloseTo(fit.logLikelihood, 8);
    for (const name of NAMES) expect(Math.abs(gradient[name] * fit.params[name])).toBeLessThan(1e-3);
    // ...and it is a maximum: better than the truth and than steps of 1 % either way.
    expect(best).toBeGreaterThanOrEqual(logLikelihood(CDNOW, cells));
    for (const name of NAMES) {
      for (const factor of [0.99, 1.01]) expect(logLikelihood({ ...fit.params, [name]: fit.params[name] * factor }, cells)).toBeLessThan(best);
    }
  });

  it("starting anywhere reasonable ends at the same optimum", () => {
    const random = createRandom("bgnbd-starts");
    const cells = aggregateCustomers(simulateBgNbd(CDNOW, 3_000, 52, random));
    const fits = [
      fitBgNbd(cells),
      fitBgNbd(cells, { start: { r: 5, alpha: 50, a: 3, b: 0.5 } }),
      fitBgNbd(cells, { start: { r: 0.05, alpha: 0.5, a: 0.2, b: 20 } }),
    ];
    for (const fit of fits) {
      expect(fit.converged).toBe(true);
      for (const name of NAMES) expect(fit.params[name] / (fits[0]?.params[name] ?? Number.NaN)).toBeCloseTo(1, 3);
    }
  });
});

describe("BG/NBD predictions", () => {
  it("P(alive) follows the formula, is 1 without a repeat visit and falls with time since the last visit", () => {
    const expected = 1 / (1 + (0.793 / (2.426 + 1)) * Math.pow((4.414 + 38.86) / (4.414 + 30.43), 0.243 + 2));
    expect(probabilityAlive(CDNOW, 2, 30.43, 38.86)).toBeCloseTo(expected, 14);
    expect(probabilityAlive(CDNOW, 2, 30.43, 38.86)).toBeCloseTo(0.72657857008, 10);
    expect(probabilityAlive(CDNOW, 0, 0, 38.86)).toBe(1);
    let previous = 1;
    for (const T of [10, 20, 40, 80, 160]) {
      const p = probabilityAlive(CDNOW, 5, 10, T);
      expect(p).toBeLessThan(previous);
      previous = p;
    }
    // A frequent visitor silent for long is more surely gone than an occasional one.
    expect(probabilityAlive(CDNOW, 20, 10, 40)).toBeLessThan(probabilityAlive(CDNOW, 2, 10, 40));
    expect(probabilityAlive(CDNOW, 100_000, 1, 1_000)).toBe(0);
  });

  it("expected visits match eq. (10) at the paper's worked customer", () => {
    // x = 2, tx = 30.43, T = 38.86: 1.226 expected transactions in the next 39 weeks.
    expect(expectedVisits(CDNOW, 39, 2, 30.43, 38.86)).toBeCloseTo(1.2260281747671444, 10);
    expect(expectedVisitsNewCustomer(CDNOW, 39)).toBeCloseTo(1.196723193320817, 10);
    // Far ahead the hypergeometric argument nears 1 (z = 1000/1004.4).
    expect(expectedVisitsNewCustomer(CDNOW, 1000)).toBeCloseTo(6.580391613738234, 9);
    expect(expectedVisits(CDNOW, 0, 2, 30.43, 38.86)).toBe(0);
  });

  it("is continuous through a = 1, where eq. (10) is 0/0", () => {
    const at = (a: number) => expectedVisits({ ...CDNOW, a }, 10, 3, 20, 30);
    expect(at(1)).toBeCloseTo(0.51106636384, 7);
    expect(at(1)).toBeGreaterThan(at(1.001));
    expect(at(1)).toBeLessThan(at(0.999));
  });

  it("expected visits grow with the horizon and, for a new customer, start at the rate r/α", () => {
    expect(expectedVisitsNewCustomer(CDNOW, 0.001) / 0.001).toBeCloseTo(CDNOW.r / CDNOW.alpha, 4);
    let previous = 0;
    for (const t of [1, 5, 20, 100]) {
      const e = expectedVisits(CDNOW, t, 3, 20, 30);
      expect(e).toBeGreaterThan(previous);
      previous = e;
    }
    expect(() => expectedVisits(CDNOW, -1, 0, 0, 1)).toThrow(/t must be a finite number ≥ 0/);
  });

  it("agree with what simulated customers then do", () => {
    const params = { r: 2, alpha: 3, a: 0.6, b: 6 };
    const random = createRandom("bgnbd-holdout");
    const customers = simulateBgNbd(params, 20_000, Array.from({ length: 20_000 }, () => random.float(8, 52)), random, { horizon: 13 });
    const predicted = customers.reduce((sum, c) => sum + expectedVisits(params, 13, c.x, c.tx, c.T), 0);
    const actual = customers.reduce((sum, c) => sum + c.visitsAfterT, 0);
    expect(predicted / actual).toBeCloseTo(1, 1);
    expect(Math.abs(predicted / actual - 1)).toBeLessThan(0.03);
    const alive = customers.filter((c) => c.aliveAtT).length;
    const expectedAlive = customers.reduce((sum, c) => sum + probabilityAlive(params, c.x, c.tx, c.T), 0);
    expect(Math.abs(expectedAlive / alive - 1)).toBeLessThan(0.03);
    // Among customers the model calls likely gone, few actually come back.
    const doubtful = customers.filter((c) => probabilityAlive(params, c.x, c.tx, c.T) < 0.2);
    expect(doubtful.length).toBeGreaterThan(500);
    expect(doubtful.filter((c) => c.aliveAtT).length / doubtful.length).toBeLessThan(0.2);
  });

  it("for a new customer far ahead, agrees with simulation (the 2F1 argument near 1)", () => {
    const params = { r: 0.8, alpha: 2, a: 2.5, b: 4 };
    const random = createRandom("bgnbd-new-customers");
    const customers = simulateBgNbd(params, 20_000, 0, random, { horizon: 200 });
    const mean = customers.reduce((sum, c) => sum + c.visitsAfterT, 0) / customers.length;
    expect(Math.abs(expectedVisitsNewCustomer(params, 200) / mean - 1)).toBeLessThan(0.03);
  });
});

describe("simulateBgNbd", () => {
  it("repeats with the seed and keeps every customer inside their window", () => {
    const a = simulateBgNbd(CDNOW, 200, 39, createRandom("same"));
    const b = simulateBgNbd(CDNOW, 200, 39, createRandom("same"));
    expect(a).toEqual(b);
    for (const c of a) {
      expect(c.tx).toBeLessThanOrEqual(c.T);
      expect(c.x === 0 ? c.tx === 0 : c.tx > 0).toBe(true);
    }
    expect(() => simulateBgNbd(CDNOW, 2, [1], createRandom("x"))).toThrow(/T lists 1 ages for 2 customers/);
  });
});

describe("predictionReadiness", () => {
  it("needs 50 members with two or more visits and 8 weeks of history", () => {
    expect(predictionReadiness({ repeaters: 50, historyDays: 56 })).toEqual({ ready: true });
    expect(predictionReadiness({ repeaters: 23, historyDays: 200 })).toEqual({
      ready: false,
      reason: "Predictions need at least 50 members with two or more visits; this shop has 23.",
    });
    expect(predictionReadiness({ repeaters: 80, historyDays: 36 })).toEqual({
      ready: false,
      reason: "Predictions need at least 8 weeks of visit history; this shop has 36 days.",
    });
    expect(predictionReadiness({ repeaters: 0, historyDays: 0 })).toEqual({
      ready: false,
      reason:
        "Predictions need at least 50 members with two or more visits; this shop has 0. " +
        "Predictions need at least 8 weeks of visit history; this shop has none yet.",
    });
  });
});

describe("special functions", () => {
  it("log-gamma and digamma match known values", () => {
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 12);
    expect(logGamma(100.5)).toBeCloseTo(361.4355404677776, 10);
    expect(logGamma(1e6)).toBeCloseTo(12815504.569147613, 6);
    expect(digamma(1)).toBeCloseTo(-0.5772156649015329, 13);
    expect(digamma(0.1)).toBeCloseTo(-10.423754940411076, 12);
    expect(digamma(50.5)).toBeCloseTo(3.912039670928392, 13);
  });

  const f = hypergeometric2F1;
  it.each([
    // Closed forms (A&S 15.1.3–15.1.8) across the series, Pfaff and 1 − z branches.
    ["−ln(1−z)/z at z = 0.3", () => f(1, 1, 2, 0.3), -Math.log(0.7) / 0.3],
    ["−ln(1−z)/z at z = 0.9", () => f(1, 1, 2, 0.9), -Math.log(0.1) / 0.9],
    ["−ln(1−z)/z at z = 0.9999", () => f(1, 1, 2, 0.9999), -Math.log(1 - 0.9999) / 0.9999],
    ["ln(1+z)/z at z = −0.4", () => f(1, 1, 2, -0.4), Math.log(1.4) / 0.4],
    ["ln(1+z)/z at z = −7", () => f(1, 1, 2, -7), Math.log(8) / 7],
    ["(1−z)^−a at z = 0.95", () => f(2.7, 1.3, 1.3, 0.95), Math.pow(0.05, -2.7)],
    ["arcsin(x)/x at x² = 0.25", () => f(0.5, 0.5, 1.5, 0.25), Math.asin(0.5) / 0.5],
    ["arcsin(x)/x at x² = 0.81", () => f(0.5, 0.5, 1.5, 0.81), Math.asin(0.9) / 0.9],
    ["a polynomial (a = −3)", () => f(-3, 2.5, 1.5, 0.8), 1 - (3 * 2.5 * 0.8) / 1.5 + (3 * 2 * 2.5 * 3.5 * 0.64) / (1.5 * 2.5 * 2) - (3 * 2 * 1 * 2.5 * 3.5 * 4.5 * 0.512) / (1.5 * 2.5 * 3.5 * 6)],
    // Gauss's theorem at z = 1: Γ(c)Γ(c−a−b)/(Γ(c−a)Γ(c−b)) = Γ(4)Γ(1.5)/(Γ(3.5)Γ(2)).
    ["Gauss at z = 1", () => f(0.5, 2, 4, 1), (6 * Math.sqrt(Math.PI) / 2) / ((15 / 8) * Math.sqrt(Math.PI))],
    // Values from mpmath (30 digits), generic parameters.
    ["2F1(2.3, −1.7; 3.1; 0.7)", () => f(2.3, -1.7, 3.1, 0.7), 0.304432326280592],
    ["2F1(5.243, 7.426; 7.219; 0.3)", () => f(5.243, 7.426, 7.219, 0.3), 6.861491077285708],
    ["2F1(3.7, 0.2; 1.1; 0.93)", () => f(3.7, 0.2, 1.1, 0.93), 158.19149300199396],
    ["2F1(1.2, 3.4; 2.1; −3.5)", () => f(1.2, 3.4, 2.1, -3.5), 0.07893792155178937],
    // c − a − b an integer: the connection formula's poles cancel.
    ["2F1(1.5, 2.5; 4; 0.99)", () => f(1.5, 2.5, 4, 0.99), 14.520358060671333],
    ["2F1(−0.5, 1.2; 1.7; 0.95)", () => f(-0.5, 1.2, 1.7, 0.95), 0.526067520242493],
    ["2F1(0.3, 0.7; 2; 0.8)", () => f(0.3, 0.7, 2, 0.8), 1.1309324667083271],
  ])("2F1: %s", (_name, compute, expected) => {
    expect(compute() / expected).toBeCloseTo(1, 8);
  });

  it("2F1 refuses where it is undefined or infinite", () => {
    expect(() => f(1, 1, 0, 0.5)).toThrow(/undefined for c = 0/);
    expect(() => f(1, 1, 2, 1.5)).toThrow(/z ≤ 1/);
    expect(() => f(1, 1, 2, 1)).toThrow(/diverges/);
    expect(() => f(1, Number.NaN, 2, 0.5)).toThrow(/b must be a finite number/);
    expect(f(1, 1, 2, 0)).toBe(1);
  });
});
