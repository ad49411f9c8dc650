import { describe, expect, it } from "vitest";
import { erfc, newcombeDifference, normalUpperTail, sampleSizePerArm, twoProportionPValue, uplift, wilsonInterval } from "../../app/campaigns/stats";

/**
 * Against published and hand-computed values:
 * - Newcombe (1998), Statistics in Medicine 17:873–890, Table II, method 10
 *   (hybrid score, no continuity correction): 56/70 − 48/80 → 0.0524 to
 *   0.3339; 9/10 − 3/10 → 0.1705 to 0.8090; 5/56 − 0/29 → −0.0381 to 0.1926.
 * - Wilson: 81/263 → 0.2553 to 0.3662 (Newcombe 1998, the companion paper on
 *   single proportions, example).
 * - Pooled z test, 56/70 vs 48/80: p̄ = 104/150, SE = √(p̄q̄(1/70 + 1/80)) =
 *   0.075467, z = 0.2 / 0.075467 = 2.6502, p = 2(1 − Φ(z)) = 0.00805
 *   (Pearson χ² = 7.023 on 1 df without continuity correction, same p).
 * - Sample size for 0.3 vs 0.2 at α 5 %, power 80 %:
 *   [1.95996·√(2·0.25·0.75) + 0.84162·√(0.21 + 0.16)]² / 0.1² = 293.15 → 294.
 */

describe("Wilson and Newcombe intervals", () => {
  it("match Newcombe's published examples to four places", () => {
    const cases: Array<[number, number, number, number, number, number]> = [
      [56, 70, 48, 80, 0.0524, 0.3339],
      [9, 10, 3, 10, 0.1705, 0.809],
      [5, 56, 0, 29, -0.0381, 0.1926],
    ];
    for (const [x1, n1, x0, n0, low, high] of cases) {
      const d = newcombeDifference(x1, n1, x0, n0);
      expect(d.difference).toBeCloseTo(x1 / n1 - x0 / n0, 12);
      expect(d.low).toBeCloseTo(low, 4);
      expect(d.high).toBeCloseTo(high, 4);
    }
  });

  it("Wilson interval for one proportion, and at the edges", () => {
    const w = wilsonInterval(81, 263);
    expect(w.low).toBeCloseTo(0.2553, 4);
    expect(w.high).toBeCloseTo(0.3662, 4);
    expect(wilsonInterval(0, 10).low).toBe(0);
    expect(wilsonInterval(10, 10).high).toBe(1);
    // 0/10: the upper bound is z² / (n + z²) = 3.8415 / 13.8415.
    expect(wilsonInterval(0, 10).high).toBeCloseTo(3.841459 / 13.841459, 6);
  });

  it("refuses impossible counts", () => {
    expect(() => wilsonInterval(5, 4)).toThrow(RangeError);
    expect(() => twoProportionPValue(-1, 4, 0, 4)).toThrow(RangeError);
    expect(() => twoProportionPValue(1.5, 4, 0, 4)).toThrow(RangeError);
  });
});

describe("p-value", () => {
  it("pooled two-proportion z test, hand-computed", () => {
    expect(twoProportionPValue(56, 70, 48, 80)).toBeCloseTo(0.008045, 5);
    // Symmetric in the direction of the difference.
    expect(twoProportionPValue(48, 80, 56, 70)).toBeCloseTo(0.008045, 5);
  });

  it("is 1 when there is no difference or no variation", () => {
    expect(twoProportionPValue(10, 100, 5, 50)).toBeCloseTo(1, 9);
    expect(twoProportionPValue(0, 30, 0, 5)).toBe(1);
  });

  it("normal tail through erfc", () => {
    expect(normalUpperTail(1.959963985)).toBeCloseTo(0.025, 7);
    expect(normalUpperTail(0)).toBeCloseTo(0.5, 7);
    expect(erfc(-1)).toBeCloseTo(1.8427007929, 7);
  });
});

describe("sample size", () => {
  it("per arm to detect 0.3 vs 0.2 with 80 % power at α 5 %", () => {
    expect(sampleSizePerArm(0.3, 0.2)).toBe(294);
    expect(sampleSizePerArm(0.2, 0.3)).toBe(294);
  });

  it("grows as the difference shrinks, and is undefined for none", () => {
    expect(sampleSizePerArm(0.22, 0.2)).toBeGreaterThan(6_000);
    expect(sampleSizePerArm(0.2, 0.2)).toBeNull();
  });
});

describe("uplift verdict", () => {
  it("is positive when the whole interval is above zero", () => {
    const result = uplift({ recipients: 70, conversions: 56 }, { recipients: 80, conversions: 48 });
    expect(result).toMatchObject({ verdict: "better", neededPerArm: null, morePerArm: null });
    expect(result?.interval.low).toBeCloseTo(0.0524, 4);
    expect(result?.summary).toBe("Converted more than the holdout: +20.0 points (95 % CI +5.2 points to +33.4 points, p = 0.008).");
  });

  it("is negative when the whole interval is below zero", () => {
    expect(uplift({ recipients: 80, conversions: 48 }, { recipients: 70, conversions: 56 })?.verdict).toBe("worse");
  });

  it("is inconclusive when the interval includes zero, with the recipients needed", () => {
    // A small cafe: 40 sent, 5 held out. 6/40 vs 0/5.
    const result = uplift({ recipients: 40, conversions: 6 }, { recipients: 5, conversions: 0 });
    expect(result?.verdict).toBe("inconclusive");
    expect(result?.interval.low).toBeLessThan(0);
    expect(result?.interval.high).toBeGreaterThan(0);
    // p1 = 0.15, p0 = 0: [1.95996·√(2·0.075·0.925) + 0.84162·√(0.1275)]² / 0.0225 = 47.6 → 48 per arm.
    expect(result?.neededPerArm).toBe(48);
    expect(result?.morePerArm).toBe(43);
    expect(result?.summary).toContain("Inconclusive: +15.0 points");
    expect(result?.summary).toContain("about 48 recipients per arm (43 more)");
  });

  it("says there is no difference to detect when the rates are equal", () => {
    const result = uplift({ recipients: 20, conversions: 2 }, { recipients: 10, conversions: 1 });
    expect(result).toMatchObject({ verdict: "inconclusive", neededPerArm: null, morePerArm: null, pValue: expect.closeTo(1, 9) });
    expect(result?.summary).toMatch(/^Inconclusive: no difference from the holdout yet/);
  });

  it("has nothing to say while an arm is empty", () => {
    expect(uplift({ recipients: 12, conversions: 3 }, { recipients: 0, conversions: 0 })).toBeNull();
  });
});
