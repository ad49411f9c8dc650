import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { differs, returnCurve, returnWithin, type GapCounts } from "../../app/analytics/math/kaplan-meier";
import { createRandom } from "../../app/simulate/random";

const Z = 1.959963984540054;

/** 95 % interval of P(return) = 1 − S from Greenwood's sum on the log(−log S) scale, written out independently. */
function logLogInterval(survival: number, greenwoodSum: number): [number, number] {
  const spread = (Z * Math.sqrt(greenwoodSum)) / Math.abs(Math.log(survival));
  return [1 - Math.pow(survival, Math.exp(-spread)), 1 - Math.pow(survival, Math.exp(spread))];
}

describe("returnCurve", () => {
  // Five visits: returns after 1, 2 and 4 days; one seen for 2 days and one for 5 days without a return.
  const small: GapCounts[] = [
    { day: 1, events: 1, censored: 0 },
    { day: 2, events: 1, censored: 1 },
    { day: 4, events: 1, censored: 0 },
    { day: 5, events: 0, censored: 1 },
  ];

  it("computes the product-limit estimate by hand", () => {
    const curve = returnCurve(small, 8);
    expect(curve.visits).toBe(5);
    expect(curve.returns).toBe(3);
    // S(1) = 4/5; S(2) = 4/5 × 3/4 (the visit censored on day 2 was still at risk on it); S(4) = 0.6 × 1/2.
    expect(curve.points.map((point) => point.p)).toEqual([0.2, 0.4, 0.4, 0.7, 0.7, 0.7, 0.7, 0.7].map((p) => expect.closeTo(p, 12)));
    expect(curve.points.map((point) => point.day)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(curve.medianDays).toBe(4);
  });

  it("has Greenwood intervals: Σ d/(n(n−d)) = 1/20, then + 1/12, then + 1/2", () => {
    const curve = returnCurve(small, 8);
    const expected: Array<[number, number, number]> = [
      [1, 0.8, 1 / 20],
      [2, 0.6, 1 / 20 + 1 / 12],
      [4, 0.3, 1 / 20 + 1 / 12 + 1 / 2],
    ];
    for (const [day, survival, greenwood] of expected) {
      const [low, high] = logLogInterval(survival, greenwood);
      expect(returnWithin(curve, day).low).toBeCloseTo(low, 12);
      expect(returnWithin(curve, day).high).toBeCloseTo(high, 12);
    }
    // Worked through: day 2, S = 0.6, var(S) = 0.36 × 0.13333 = 0.048; interval 0.1182 – 0.8743.
    expect(returnWithin(curve, 2).low).toBeCloseTo(0.118243592606, 9);
    expect(returnWithin(curve, 2).high).toBeCloseTo(0.874269817006, 9);
  });

  it("reproduces the textbook AML example (maintained group): median 31", () => {
    // Weeks to relapse, + = censored: 9, 13, 13+, 18, 23, 28+, 31, 34, 45+, 48, 161+.
    const counts: GapCounts[] = [9, 13, 18, 23, 31, 34, 48]
      .map((day) => ({ day, events: 1, censored: 0 }))
      .concat([13, 28, 45, 161].map((day) => ({ day, events: 0, censored: 1 })));
    const curve = returnCurve(counts, 60);
    expect(curve.medianDays).toBe(31);
    expect(returnWithin(curve, 9).p).toBeCloseTo(1 / 11, 12);
    expect(returnWithin(curve, 13).p).toBeCloseTo(1 - (10 / 11) * (9 / 10), 12);
    expect(returnWithin(curve, 18).p).toBeCloseTo(1 - (10 / 11) * (9 / 10) * (7 / 8), 12);
    expect(returnWithin(curve, 31).p).toBeCloseTo(1 - 0.490909, 5);
    const [low, high] = logLogInterval(10 / 11, 1 / 110);
    expect(returnWithin(curve, 9)).toMatchObject({ low: expect.closeTo(low, 12), high: expect.closeTo(high, 12) });
    expect(returnWithin(curve, 9).low).toBeCloseTo(1 - 0.98667, 4);
    expect(returnWithin(curve, 9).high).toBeCloseTo(1 - 0.50808, 4);
    // Beyond the last event the estimate holds.
    expect(returnWithin(curve, 60).p).toBeCloseTo(returnWithin(curve, 48).p, 12);
  });

  it("counts tied returns together (3 of 10 on one day)", () => {
    const curve = returnCurve([
      { day: 3, events: 3, censored: 0 },
      { day: 9, events: 0, censored: 7 },
    ]);
    expect(returnWithin(curve, 2).p).toBe(0);
    expect(returnWithin(curve, 3).p).toBeCloseTo(0.3, 12);
    const [low, high] = logLogInterval(0.7, 3 / (10 * 7));
    expect(returnWithin(curve, 3)).toMatchObject({ low: expect.closeTo(low, 12), high: expect.closeTo(high, 12) });
  });

  it("merges repeated days and accepts day 0 (censored on the data's last day)", () => {
    const split = returnCurve([
      { day: 2, events: 1, censored: 0 },
      { day: 2, events: 1, censored: 0 },
      { day: 0, events: 0, censored: 3 },
      { day: 5, events: 0, censored: 5 },
    ]);
    const merged = returnCurve([
      { day: 2, events: 2, censored: 0 },
      { day: 0, events: 0, censored: 3 },
      { day: 5, events: 0, censored: 5 },
    ]);
    expect(split).toEqual(merged);
    // Visits censored on day 0 were never at risk of a return: 2 of the 7 followed.
    expect(returnWithin(split, 2).p).toBeCloseTo(2 / 7, 12);
  });

  it("before any return: p = 0 with an exact binomial upper bound over the visits still followed", () => {
    const curve = returnCurve([
      { day: 3, events: 0, censored: 2 },
      { day: 10, events: 4, censored: 4 },
    ]);
    expect(returnWithin(curve, 1)).toEqual({ day: 1, p: 0, low: 0, high: expect.closeTo(1 - Math.pow(0.025, 1 / 10), 12) });
    expect(returnWithin(curve, 5)).toEqual({ day: 5, p: 0, low: 0, high: expect.closeTo(1 - Math.pow(0.025, 1 / 8), 12) });
  });

  it("when every visit still followed returns, p = 1 and the interval stays inside [0, 1]", () => {
    const curve = returnCurve([
      { day: 1, events: 2, censored: 0 },
      { day: 4, events: 3, censored: 0 },
    ]);
    const point = returnWithin(curve, 4);
    expect(point.p).toBe(1);
    expect(point.high).toBe(1);
    expect(point.low).toBeGreaterThan(0.3);
    expect(point.low).toBeLessThan(1);
    expect(curve.medianDays).toBe(4);
  });

  it("with no visits: the uninformative curve, never a difference", () => {
    const curve = returnCurve([], 12);
    expect(curve).toMatchObject({ visits: 0, returns: 0, medianDays: null });
    expect(curve.points).toHaveLength(12);
    for (const point of curve.points) expect(point).toMatchObject({ p: 0, low: 0, high: 1 });
    expect(differs(returnWithin(curve, 12), { day: 12, p: 0.9, low: 0.85, high: 0.95 })).toBe(false);
  });

  it("has no median when fewer than half ever return", () => {
    expect(returnCurve([{ day: 5, events: 1, censored: 0 }, { day: 9, events: 0, censored: 3 }]).medianDays).toBeNull();
  });

  it.each([
    [[{ day: -1, events: 1, censored: 0 }], /gap counts\[0\]: day must be a whole number ≥ 0 \(got -1\)/],
    [[{ day: 1.5, events: 1, censored: 0 }], /day must be a whole number/],
    [[{ day: 2, events: -3, censored: 0 }], /events must be a whole number ≥ 0 \(got -3\)/],
    [[{ day: 2, events: 1, censored: Number.NaN }], /censored must be a whole number ≥ 0/],
  ])("rejects bad counts %j", (counts, message) => {
    expect(() => returnCurve(counts)).toThrow(message);
  });

  it("rejects a bad maxDay and days outside the curve", () => {
    expect(() => returnCurve(small, 0)).toThrow(/maxDay must be a whole number ≥ 1/);
    const curve = returnCurve(small, 30);
    expect(() => returnWithin(curve, 0)).toThrow(RangeError);
    expect(() => returnWithin(curve, 31)).toThrow(/days must be a whole number from 1 to 30/);
    expect(() => returnWithin(curve, 2.5)).toThrow(RangeError);
    expect(returnWithin(curve, 30).day).toBe(30);
  });

  it("always gives p within its interval, inside [0, 1], never decreasing with the day", () => {
    const counts = fc.array(
      fc.record({ day: fc.integer({ min: 0, max: 90 }), events: fc.integer({ min: 0, max: 40 }), censored: fc.integer({ min: 0, max: 40 }) }),
      { maxLength: 30 },
    );
    fc.assert(
      fc.property(counts, (gapCounts) => {
        const curve = returnCurve(gapCounts, 60);
        let previous = 0;
        for (const point of curve.points) {
          if (!(point.low >= 0 && point.low <= point.p && point.p <= point.high && point.high <= 1)) return false;
          if (point.p < previous - 1e-12) return false;
          previous = point.p;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});

describe("censoring: Kaplan–Meier against a naive fraction", () => {
  /**
   * 4,000 customers arriving over 60 days of data. After each visit a
   * customer stops coming with probability 0.25, or else returns after a
   * geometric number of days with a daily chance of 0.1. So the true
   * P(return within 12 days) = 0.75 × (1 − 0.9¹²) ≈ 0.5382.
   */
  const truth = 0.75 * (1 - Math.pow(0.9, 12));
  const random = createRandom("kaplan-meier-censoring");
  const counts = new Map<string, GapCounts>();
  let returnedWithin12 = 0;
  let visits = 0;
  const end = 60;
  for (let customer = 0; customer < 4000; customer++) {
    let day = random.int(0, end - 1);
    for (;;) {
      visits++;
      let gap: number | null = null;
      if (!random.chance(0.25)) {
        gap = 1;
        while (!random.chance(0.1)) gap++;
      }
      const returned = gap !== null && day + gap <= end;
      const observed = returned && gap !== null ? gap : end - day;
      const cell = counts.get(String(observed)) ?? { day: observed, events: 0, censored: 0 };
      if (returned) cell.events++;
      else cell.censored++;
      counts.set(String(observed), cell);
      if (returned && gap !== null && gap <= 12) returnedWithin12++;
      if (!returned || gap === null) break;
      day += gap;
    }
  }
  const naive = returnedWithin12 / visits;
  const estimate = returnWithin(returnCurve([...counts.values()]), 12);

  it("the naive fraction is biased low: recent visits could not have returned yet", () => {
    expect(naive).toBeLessThan(truth - 0.05);
    expect(naive).toBeLessThan(estimate.low);
  });

  it("Kaplan–Meier recovers the truth within its 95 % interval", () => {
    expect(estimate.low).toBeLessThanOrEqual(truth);
    expect(estimate.high).toBeGreaterThanOrEqual(truth);
    expect(Math.abs(estimate.p - truth)).toBeLessThan(0.02);
  });
});

describe("differs", () => {
  const point = (low: number, high: number) => ({ day: 12, p: (low + high) / 2, low, high });
  it("says two estimates differ only when their intervals do not overlap", () => {
    expect(differs(point(0.67, 0.75), point(0.34, 0.42))).toBe(true);
    expect(differs(point(0.34, 0.42), point(0.67, 0.75))).toBe(true);
    expect(differs(point(0.4, 0.6), point(0.55, 0.7))).toBe(false);
    expect(differs(point(0.4, 0.6), point(0.6, 0.7))).toBe(false);
  });
});
