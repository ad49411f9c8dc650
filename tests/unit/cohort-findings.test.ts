import { describe, expect, it } from "vitest";
import { discoverFindings, judgeCohort, MIN_KNOWN_VISITS, silenceReason, type ReturnEstimate } from "../../app/analytics/cohorts/findings";

const estimate = (p: number, low: number, high: number, visits = 412, known = visits): ReturnEstimate => ({ visits, known, at: { p, low, high } });

describe("cohort discovery sentences", () => {
  it("states a supported difference with its interval, size and everyone else's probability", () => {
    const finding = judgeCohort({ cohort: "weekday-morning", own: estimate(0.71, 0.67, 0.75), everyoneElse: estimate(0.38, 0.36, 0.4, 2_310) }, 12);
    expect(finding).toMatchObject({ supported: true, verdict: "higher", difference: expect.closeTo(0.33, 10) });
    expect(finding.sentence).toBe(
      "Weekday-morning visitors return within 12 days with probability 0.71 (95 % CI 0.67–0.75, n = 412 visits), against 0.38 for everyone else.",
    );
  });

  it("states a cohort that returns less often than everyone else the same way", () => {
    const finding = judgeCohort({ cohort: "weekend-midday", own: estimate(0.21, 0.17, 0.25, 1_250), everyoneElse: estimate(0.45, 0.43, 0.47, 9_000) }, 7);
    expect(finding.verdict).toBe("lower");
    expect(finding.sentence).toBe(
      "Weekend-midday visitors return within 7 days with probability 0.21 (95 % CI 0.17–0.25, n = 1,250 visits), against 0.45 for everyone else.",
    );
  });

  it("claims nothing when the intervals overlap, and says so", () => {
    const finding = judgeCohort({ cohort: "weekday-afternoon", own: estimate(0.52, 0.44, 0.6, 180), everyoneElse: estimate(0.49, 0.47, 0.51, 3_000) }, 12);
    expect(finding).toMatchObject({ supported: false, verdict: "overlap", rank: null });
    expect(finding.sentence).toBe(
      "Weekday-afternoon visitors: no clear difference within 12 days: 0.52 (95 % CI 0.44–0.60, n = 180 visits) against 0.49 (95 % CI 0.47–0.51) for everyone else; the intervals overlap.",
    );
  });

  it("intervals that just touch overlap; a gap of any size is a difference", () => {
    expect(judgeCohort({ cohort: "a", own: estimate(0.6, 0.5, 0.7), everyoneElse: estimate(0.4, 0.3, 0.5) }, 12).verdict).toBe("overlap");
    expect(judgeCohort({ cohort: "a", own: estimate(0.6, 0.501, 0.7), everyoneElse: estimate(0.4, 0.3, 0.5) }, 12).verdict).toBe("higher");
  });

  it("claims nothing for a cohort with too few visits whose outcome is known, however far apart the intervals are", () => {
    const own = estimate(0.95, 0.9, 0.99, 200, MIN_KNOWN_VISITS - 1);
    const finding = judgeCohort({ cohort: "weekday-evening", own, everyoneElse: estimate(0.3, 0.28, 0.32, 5_000) }, 30);
    expect(finding).toMatchObject({ supported: false, verdict: "too-few-visits" });
    expect(finding.sentence).toBe("Weekday-evening visitors: too few visits to compare: 29 of 200 have a known 30-day outcome; at least 30 are needed.");
    const enough = judgeCohort({ cohort: "weekday-evening", own: { ...own, known: MIN_KNOWN_VISITS }, everyoneElse: estimate(0.3, 0.28, 0.32, 5_000) }, 30);
    expect(enough.verdict).toBe("higher");
  });

  it("claims nothing when everyone else is too thin or empty", () => {
    const finding = judgeCohort({ cohort: "mixed", own: estimate(0.5, 0.45, 0.55), everyoneElse: { visits: 0, known: 0, at: null } }, 12);
    expect(finding).toMatchObject({ supported: false, verdict: "too-few-others", difference: null });
    expect(finding.sentence).toBe(
      "Visitors with no single pattern: too few other visits to compare with: everyone else has 0 with a known 12-day outcome; at least 30 are needed.",
    );
  });

  it("says 1 day, not 1 days", () => {
    expect(judgeCohort({ cohort: "weekday-morning", own: estimate(0.3, 0.25, 0.35), everyoneElse: estimate(0.1, 0.08, 0.12) }, 1).sentence).toContain(
      "return within 1 day with probability",
    );
  });
});

describe("ranking and silence", () => {
  const comparisons = [
    { cohort: "weekend-midday", own: estimate(0.2, 0.15, 0.25), everyoneElse: estimate(0.5, 0.48, 0.52) },
    { cohort: "weekday-afternoon", own: estimate(0.55, 0.45, 0.65), everyoneElse: estimate(0.5, 0.48, 0.52) },
    { cohort: "weekday-morning", own: estimate(0.7, 0.66, 0.74), everyoneElse: estimate(0.4, 0.38, 0.42) },
    { cohort: "weekday-evening", own: estimate(0.9, 0.8, 0.95, 40, 10), everyoneElse: estimate(0.5, 0.48, 0.52) },
    { cohort: "mixed", own: estimate(0.6, 0.55, 0.65), everyoneElse: estimate(0.45, 0.43, 0.47) },
  ];

  it("puts supported findings first, ranked from furthest above everyone else to furthest below", () => {
    const findings = discoverFindings(comparisons, 12);
    expect(findings.map((finding) => [finding.cohort, finding.rank])).toEqual([
      ["weekday-morning", 1],
      ["mixed", 2],
      ["weekend-midday", 3],
      ["weekday-evening", null],
      ["weekday-afternoon", null],
    ]);
    expect(silenceReason(findings, 12)).toBeNull();
  });

  it("says plainly why nothing was said when nothing is", () => {
    const unsupported = discoverFindings([comparisons[1], comparisons[3]].filter((entry) => entry !== undefined), 12);
    expect(unsupported.every((finding) => !finding.supported)).toBe(true);
    expect(silenceReason(unsupported, 12)).toBe(
      "Nothing to report for returns within 12 days: no pattern cohort differs clearly from everyone else — " +
        "the intervals overlap for 1 cohort, and 1 cohort has too few visits with a known outcome (at least 30 are needed on each side).",
    );
    expect(silenceReason([], 30)).toBe("Nothing to report for returns within 30 days: there are no visits to compare.");
  });
});
