import { describe, expect, it } from "vitest";
import { countMeasure, DEFAULT_KPI_TARGETS, formatKpiChange, formatKpiValue, kpiFigure, meanMeasure, resolveKpiTargets, shareMeasure, trendOf } from "../../app/reports/kpis";

describe("KPI measures", () => {
  it("a share carries its Wilson interval", () => {
    const m = shareMeasure(40, 100);
    expect(m.value).toBeCloseTo(0.4, 12);
    // Wilson 95 % for 40/100: 0.3094–0.4980.
    expect(m.low).toBeCloseTo(0.3094, 4);
    expect(m.high).toBeCloseTo(0.498, 3);
    expect(m.n).toBe(100);
    expect(shareMeasure(0, 0)).toEqual({ value: null, low: null, high: null, n: 0 });
    expect(shareMeasure(0, 10).low).toBe(0);
    expect(shareMeasure(10, 10).high).toBe(1);
    expect(() => shareMeasure(11, 10)).toThrow(/0 ≤ x ≤ n/);
  });

  it("a mean carries a normal interval from its sum and sum of squares", () => {
    // Values 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample sd √(32/7).
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    const m = meanMeasure(values.length, values.reduce((a, b) => a + b, 0), values.reduce((a, b) => a + b * b, 0));
    const half = 1.959963984540054 * Math.sqrt(32 / 7 / 8);
    expect(m.value).toBe(5);
    expect(m.low).toBeCloseTo(5 - half, 10);
    expect(m.high).toBeCloseTo(5 + half, 10);
    expect(meanMeasure(1, 3.5, 12.25)).toEqual({ value: 3.5, low: null, high: null, n: 1 });
    expect(meanMeasure(0, 0, 0).value).toBeNull();
  });

  it("a count carries the wobble of a Poisson count", () => {
    const m = countMeasure(100);
    expect(m.low).toBeCloseTo(100 - 19.6, 1);
    expect(m.high).toBeCloseTo(100 + 19.6, 1);
    expect(countMeasure(0).low).toBe(0);
  });

  it.each([
    [shareMeasure(30, 100), shareMeasure(60, 100), "up"],
    [shareMeasure(60, 100), shareMeasure(30, 100), "down"],
    [shareMeasure(40, 100), shareMeasure(45, 100), "steady"],
    [shareMeasure(0, 0), shareMeasure(45, 100), "unknown"],
    [meanMeasure(1, 4, 16), meanMeasure(1, 9, 81), "steady"],
  ] as const)("trend of %j → %j is %s", (last, current, trend) => {
    expect(trendOf(last, current)).toBe(trend);
  });

  it("a KPI figure has its change, trend and whether the target is met", () => {
    const figure = kpiFigure("repurchase-rate", shareMeasure(300, 1000), shareMeasure(380, 1000), 0.35);
    expect(figure.change).toBeCloseTo(0.08, 12);
    expect(figure.trend).toBe("up");
    expect(figure.targetMet).toBe(true);
    expect(kpiFigure("repurchase-rate", shareMeasure(300, 1000), shareMeasure(320, 1000), 0.35).targetMet).toBe(false);
    expect(kpiFigure("active-members", countMeasure(10), countMeasure(12), null).targetMet).toBeNull();
  });
});

describe("the owner's KPI targets", () => {
  it("uses the default six without targets when none are stored", () => {
    expect(resolveKpiTargets(null)).toEqual({ targets: DEFAULT_KPI_TARGETS, problem: null });
    expect(DEFAULT_KPI_TARGETS.map((t) => t.kpi)).toEqual(["repurchase-rate", "average-ticket", "visits-per-member", "active-members", "best-cohort-return", "prepaid-peak-share"]);
  });

  it("keeps the owner's order and targets", () => {
    const stored = [{ kpi: "average-ticket", target: 6.5 }, { kpi: "repurchase-rate", target: 0.4 }];
    expect(resolveKpiTargets(stored)).toEqual({ targets: stored, problem: null });
  });

  it.each([
    [[{ kpi: "footfall", target: 1 }], /at 0\.kpi: must be one of/],
    [[{ kpi: "repurchase-rate", target: 40 }], /target of repurchase-rate is a share from 0 to 1 \(got 40\)/],
    [[{ kpi: "average-ticket", target: -1 }], /cannot be negative/],
    [[{ kpi: "average-ticket", target: 1 }, { kpi: "average-ticket", target: 2 }], /names a KPI twice/],
    [{ kpi: "average-ticket" }, /must be a list/],
  ])("falls back to the default set and says why for %j", (stored, message) => {
    const resolved = resolveKpiTargets(stored);
    expect(resolved.targets).toEqual(DEFAULT_KPI_TARGETS);
    expect(resolved.problem).toMatch(/^ShopSettings\.kpiTargets is not usable/);
    expect(resolved.problem).toMatch(message);
  });
});

describe("KPI formatting", () => {
  it("formats values and changes in the owner's units", () => {
    expect(formatKpiValue("share", 0.3812, "GBP")).toBe("38.1 %");
    expect(formatKpiValue("money", 4.5, "GBP")).toBe("£4.50");
    expect(formatKpiValue("count", 1234, "GBP")).toBe("1,234");
    expect(formatKpiValue("ratio", 1.456, "GBP")).toBe("1.46");
    expect(formatKpiValue("share", null, "GBP")).toBe("–");
    expect(formatKpiChange("share", 0.08, "GBP")).toBe("+8.0 points");
    expect(formatKpiChange("money", -0.3, "EUR")).toBe("−€0.30");
  });
});
