import { describe, expect, it } from "vitest";
import { cohortCurve, compareWithEveryoneElse, knownOutcomes, pooledCounts } from "../../app/analytics/cohorts/curves";
import { returnCurve } from "../../app/analytics/math/kaplan-meier";

describe("cohort curves from gap counts", () => {
  it("pools counts day by day", () => {
    expect(
      pooledCounts([
        [{ day: 3, events: 2, censored: 0 }, { day: 10, events: 0, censored: 1 }],
        [{ day: 3, events: 1, censored: 4 }, { day: 1, events: 5, censored: 0 }],
      ]),
    ).toEqual([
      { day: 1, events: 5, censored: 0 },
      { day: 3, events: 3, censored: 4 },
      { day: 10, events: 0, censored: 1 },
    ]);
  });

  it("knows a visit's N-day outcome when it returned (at any distance) or was followed for N days", () => {
    const counts = [
      { day: 2, events: 3, censored: 5 }, // censored at 2: unknown for N = 7
      { day: 7, events: 1, censored: 2 }, // followed exactly 7 days: known
      { day: 40, events: 4, censored: 6 },
    ];
    expect(knownOutcomes(counts, 7)).toBe(3 + 1 + 2 + 4 + 6);
    expect(knownOutcomes(counts, 8)).toBe(3 + 1 + 4 + 6);
  });

  it("compares each cohort with all the other cohorts' visits pooled", () => {
    const cohorts = new Map([
      ["weekday-morning", [{ day: 2, events: 40, censored: 0 }, { day: 20, events: 10, censored: 0 }]],
      ["weekend-midday", [{ day: 7, events: 10, censored: 0 }, { day: 30, events: 20, censored: 5 }]],
      ["mixed", [{ day: 14, events: 5, censored: 5 }]],
    ]);
    const [morning] = compareWithEveryoneElse(cohorts, 12);
    const rest = returnCurve(pooledCounts([cohorts.get("weekend-midday") ?? [], cohorts.get("mixed") ?? []]));
    expect(morning?.cohort).toBe("weekday-morning");
    expect(morning?.own).toMatchObject({ visits: 50, known: 50, at: { p: 0.8 } });
    expect(morning?.everyoneElse.visits).toBe(45);
    expect(morning?.everyoneElse.at?.p).toBeCloseTo(rest.points[11]?.p ?? NaN, 12);
    expect(morning?.everyoneElse.at?.p).toBeCloseTo(10 / 45, 12);
  });

  it("has no estimate for an empty group, and no median past the curve's last day", () => {
    const [only] = compareWithEveryoneElse(new Map([["weekday-morning", [{ day: 3, events: 1, censored: 0 }]]]), 12);
    expect(only?.everyoneElse).toEqual({ visits: 0, known: 0, at: null });
    // Gaps beyond 60 days arrive folded into day 61: a median there is "later than 60 days", not 61.
    const late = cohortCurve("weekend-midday", [{ day: 5, events: 1, censored: 0 }, { day: 61, events: 9, censored: 0 }]);
    expect(late.medianDays).toBeNull();
    expect(late.returns).toBe(10);
  });
});
