import { describe, expect, it } from "vitest";
import {
  cohortGapStats,
  combineGapStats,
  EMPTY_GAP_STATS,
  gapPrior,
  nextVisitWindow,
  summariseGaps,
  type GapPrior,
} from "../../app/analytics/math/next-visit";
import { createRandom, type Random } from "../../app/simulate/random";

const ln = Math.log;

describe("summariseGaps", () => {
  it("summarises gaps on the log scale", () => {
    expect(summariseGaps([7, 7, 7])).toEqual({ count: 3, meanLog: ln(7), varLog: 0 });
    const mixed = summariseGaps([2, 8]);
    expect(mixed.count).toBe(2);
    expect(mixed.meanLog).toBeCloseTo(ln(4), 14);
    expect(mixed.varLog).toBeCloseTo(2 * ln(2) ** 2, 14);
    expect(summariseGaps([])).toEqual({ count: 0, meanLog: 0, varLog: 0 });
  });

  it("rejects gaps under a day", () => {
    expect(() => summariseGaps([3, 0])).toThrow(/gaps\[1\] must be a number of days ≥ 1 \(got 0\)/);
    expect(() => summariseGaps([Number.NaN])).toThrow(/gaps\[0\]/);
  });
});

describe("gapPrior", () => {
  it("estimates the cohort centre, within-member and between-member spread by the method of moments", () => {
    // Two members: gaps {2, 8} (mean ln 4) and {16, 16} (mean ln 16).
    const members = [summariseGaps([2, 8]), summariseGaps([16, 16])];
    const stats = cohortGapStats(members);
    expect(stats).toMatchObject({ members: 2, withinDf: 2 });
    const prior = gapPrior(stats);
    if (!prior) throw new Error("a prior");
    expect(prior.meanLog).toBeCloseTo((ln(4) + ln(16)) / 2, 14);
    // σ² = (1 × 2 ln²2 + 1 × 0 + 2 × 0.25) / (2 + 2); τ² = var(ln 4, ln 16) − σ² × mean(1/n).
    const within = (2 * ln(2) ** 2 + 0.5) / 4;
    expect(prior.withinVar).toBeCloseTo(within, 14);
    expect(prior.betweenVar).toBeCloseTo((ln(16) - ln(4)) ** 2 / 2 - within / 2, 14);
  });

  it("is null without any gap and adds cohorts up", () => {
    expect(gapPrior(EMPTY_GAP_STATS)).toBeNull();
    expect(gapPrior(cohortGapStats([summariseGaps([])]))).toBeNull();
    const a = [summariseGaps([3, 4, 5]), summariseGaps([10])];
    const b = [summariseGaps([1, 2]), summariseGaps([30, 20, 25, 40])];
    const together = cohortGapStats([...a, ...b]);
    const combined = combineGapStats([cohortGapStats(a), cohortGapStats(b)]);
    for (const key of Object.keys(together) as Array<keyof typeof together>) expect(combined[key]).toBeCloseTo(together[key], 12);
  });

  it("never lets the between-member spread vanish", () => {
    const identical = cohortGapStats([summariseGaps([7, 7]), summariseGaps([7, 7]), summariseGaps([7])]);
    expect(gapPrior(identical)?.betweenVar).toBe(0.01);
  });
});

describe("nextVisitWindow", () => {
  // A cohort that usually comes back after ~3 days.
  const cohort: GapPrior = { meanLog: ln(3), withinVar: 0.2, betweenVar: 0.1, members: 200 };

  it("keeps a regular's own rhythm when they have many gaps", () => {
    const weekly = nextVisitWindow(summariseGaps(Array(30).fill(7)), cohort);
    expect(weekly.ownWeight).toBeCloseTo(30 / 32, 12);
    expect(weekly.usualGapDays).toBeGreaterThan(6.3);
    expect(weekly.usualGapDays).toBeLessThan(7);
    expect(weekly.dueFromDays).toBeGreaterThanOrEqual(5);
    expect(weekly.dueUntilDays).toBeLessThanOrEqual(8);
  });

  it("shrinks a single gap towards the cohort with weight n / (n + σ²/τ²)", () => {
    const once = nextVisitWindow(summariseGaps([12]), cohort);
    expect(once.ownWeight).toBeCloseTo(1 / 3, 12);
    expect(once.usualGapDays).toBeCloseTo(Math.exp(ln(12) / 3 + (2 * ln(3)) / 3), 12);
  });

  it("falls back to the cohort with no gap at all, with a wider window", () => {
    const none = nextVisitWindow(summariseGaps([]), cohort);
    expect(none.ownWeight).toBe(0);
    expect(none.usualGapDays).toBeCloseTo(3, 12);
    // Spread: σ² + τ² = 0.3 on the log scale; quartiles at ±0.674 × √0.3.
    expect(none.dueFromDays).toBe(Math.floor(3 * Math.exp(-0.6744897501960817 * Math.sqrt(0.3))));
    expect(none.dueUntilDays).toBe(Math.ceil(3 * Math.exp(0.6744897501960817 * Math.sqrt(0.3))));
  });

  it("gives an erratic member a wider window than a regular one with the same usual gap", () => {
    const regular = nextVisitWindow(summariseGaps([10, 10, 10, 10, 10, 10, 10, 10]), cohort);
    const erratic = nextVisitWindow(summariseGaps([2, 50, 3, 33, 4, 25, 5, 20]), cohort);
    expect(erratic.dueUntilDays - erratic.dueFromDays).toBeGreaterThan(3 * (regular.dueUntilDays - regular.dueFromDays));
  });

  it("starts the window at day 1 at the earliest and never ends it before it starts", () => {
    const daily = nextVisitWindow(summariseGaps([1, 1, 1, 1]), { meanLog: 0, withinVar: 0.01, betweenVar: 0.01, members: 10 });
    expect(daily.dueFromDays).toBe(1);
    expect(daily.dueUntilDays).toBeGreaterThanOrEqual(1);
  });

  it("rejects a malformed summary", () => {
    expect(() => nextVisitWindow({ count: -1, meanLog: 0, varLog: 0 }, cohort)).toThrow(/count must be a whole number ≥ 0/);
    expect(() => nextVisitWindow({ count: 2, meanLog: -0.5, varLog: 0 }, cohort)).toThrow(/meanLog must be ≥ 0/);
  });
});

describe("next-visit windows on a simulated cohort", () => {
  /** Members' own mean log gaps vary around the cohort's; each gap is log-normal around the member's own mean. */
  function member(random: Random, count: number): { history: number[]; next: number } {
    const normal = () => Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
    const own = ln(6) + 0.5 * normal();
    const gap = () => Math.max(1, Math.round(Math.exp(own + 0.45 * normal())));
    return { history: Array.from({ length: count }, gap), next: gap() };
  }

  const random = createRandom("next-visit-cohort");
  const members = Array.from({ length: 4000 }, (_, i) => member(random, 1 + (i % 8)));
  const prior = gapPrior(cohortGapStats(members.map((m) => summariseGaps(m.history))));
  if (!prior) throw new Error("the cohort has gaps");

  it("recovers the cohort's spreads", () => {
    expect(prior.meanLog).toBeGreaterThan(ln(5));
    expect(prior.meanLog).toBeLessThan(ln(7));
    expect(Math.sqrt(prior.betweenVar)).toBeGreaterThan(0.4);
    expect(Math.sqrt(prior.betweenVar)).toBeLessThan(0.6);
  });

  it("puts about half of the next visits inside the due window", () => {
    const inside = members.filter((m) => {
      const window = nextVisitWindow(summariseGaps(m.history), prior);
      return m.next >= window.dueFromDays && m.next <= window.dueUntilDays;
    }).length;
    // The quartile window, widened to whole days: a little over half.
    expect(inside / members.length).toBeGreaterThan(0.45);
    expect(inside / members.length).toBeLessThan(0.7);
  });

  it("predicts the next gap better than the member's own average when they have few gaps", () => {
    const few = members.filter((m) => m.history.length <= 2);
    const error = (predict: (history: number[]) => number) =>
      few.reduce((sum, m) => sum + (ln(predict(m.history)) - ln(m.next)) ** 2, 0) / few.length;
    const shrunk = error((history) => nextVisitWindow(summariseGaps(history), prior).usualGapDays);
    const own = error((history) => Math.exp(summariseGaps(history).meanLog));
    expect(shrunk).toBeLessThan(own * 0.9);
  });
});
