import { describe, expect, it } from "vitest";
import type { Finding } from "../../app/analytics/cohorts/findings";
import { FINDINGS_PER_REPORT, kpiMovementSentence, selectFindings, type CampaignOutcome } from "../../app/reports/findings";
import { countMeasure, kpiFigure, meanMeasure, shareMeasure } from "../../app/reports/kpis";

const rose = kpiFigure("repurchase-rate", shareMeasure(300, 1000), shareMeasure(380, 1000), 0.35);
const steadyTicket = kpiFigure("average-ticket", meanMeasure(100, 450, 2100), meanMeasure(100, 455, 2130), null);
const steadyMembers = kpiFigure("active-members", countMeasure(400), countMeasure(410), null);

const cohortFinding = (cohort: string, supported: boolean, sentence: string): Finding => ({
  cohort,
  returnDays: 12,
  supported,
  verdict: supported ? "higher" : "overlap",
  rank: supported ? 1 : null,
  difference: 0.2,
  cohortEstimate: { visits: 500, known: 400, at: { p: 0.7, low: 0.66, high: 0.74 } },
  everyoneElse: { visits: 3000, known: 2500, at: { p: 0.5, low: 0.48, high: 0.52 } },
  sentence,
});

const better: CampaignOutcome = { name: "Oat latte tasting", verdict: "better", summary: "Better: +6.0 points (95 % CI +2.0 points to +10.0 points, p = 0.004).", difference: 0.06 };
const inconclusive: CampaignOutcome = { name: "Thursday tasting", verdict: "inconclusive", summary: "Inconclusive: …", difference: 0.01 };

describe("the report's three findings", () => {
  it("says a KPI moved only with both intervals, and how it stands against the target", () => {
    expect(kpiMovementSentence(rose, "GBP")).toBe(
      "Repurchase rate rose from 30.0 % (95 % CI 27.2 %–32.9 %) to 38.0 % (95 % CI 35.0 %–41.0 %); the intervals do not overlap; at or above the target of 35.0 %.",
    );
    expect(kpiMovementSentence(steadyTicket, "GBP")).toBeNull();
  });

  it("takes one supported finding of each kind first", () => {
    const findings = selectFindings({
      kpis: [rose, steadyTicket],
      cohortFindings: [cohortFinding("weekday-morning", true, "Weekday-morning visitors return within 12 days …")],
      cohortSilence: null,
      campaigns: [better, inconclusive],
      currency: "GBP",
    });
    expect(findings.map((f) => f.kind)).toEqual(["kpi", "cohort", "campaign"]);
    expect(findings.every((f) => f.supported)).toBe(true);
    expect(findings[2]?.sentence).toBe(`Campaign “Oat latte tasting”: ${better.summary}`);
  });

  it("fills the places it cannot support with what was not claimed and why", () => {
    const findings = selectFindings({
      kpis: [steadyTicket, steadyMembers],
      cohortFindings: [cohortFinding("weekday-morning", false, "overlap")],
      cohortSilence: "Nothing to report for returns within 12 days: no pattern cohort differs clearly from everyone else — the intervals overlap for 1 cohort.",
      campaigns: [inconclusive],
      currency: "GBP",
    });
    expect(findings).toHaveLength(FINDINGS_PER_REPORT);
    expect(findings.every((f) => !f.supported && f.kind === "no-claim")).toBe(true);
    expect(findings.map((f) => f.sentence)).toEqual([
      "No KPI moved beyond week-to-week noise: for average ticket and active members this week's 95 % interval overlaps last week's.",
      "Nothing to report for returns within 12 days: no pattern cohort differs clearly from everyone else — the intervals overlap for 1 cohort.",
      "No campaign shows an uplift over its holdout yet: the interval includes zero for “Thursday tasting”.",
    ]);
  });

  it("always gives three, with several supported KPI moves ranked by relative size", () => {
    const ticket = kpiFigure("average-ticket", meanMeasure(400, 1600, 6500), meanMeasure(400, 2400, 14600), null);
    const findings = selectFindings({ kpis: [rose, ticket], cohortFindings: [], cohortSilence: null, campaigns: [], currency: "GBP" });
    expect(findings).toHaveLength(3);
    expect(findings.slice(0, 2).map((f) => f.sentence.split(" ")[0])).toEqual(["Average", "Repurchase"]);
    expect(findings[2]?.supported).toBe(false);
  });
});
