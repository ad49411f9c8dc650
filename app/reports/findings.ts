import type { Finding as CohortFinding } from "../analytics/cohorts/findings";
import { formatInterval, formatKpiValue, type KpiFigure } from "./kpis";

/**
 * The report's three plain-language findings. Only what the intervals
 * support is claimed: a KPI that moved beyond both weeks' 95 % intervals, a
 * cohort that returns more or less often than everyone else (the cohort
 * discovery's own sentence), a campaign whose uplift interval excludes zero.
 * When fewer than three such things exist, the remaining places say plainly
 * what could not be claimed and why, instead of inventing a story.
 */

export const FINDINGS_PER_REPORT = 3;

export interface CampaignOutcome {
  name: string;
  verdict: "better" | "worse" | "inconclusive" | "not-measurable";
  /** The uplift's own sentence (with its interval), or why it cannot be measured yet. */
  summary: string;
  difference: number | null;
}

export interface ReportFinding {
  kind: "kpi" | "cohort" | "campaign" | "no-claim";
  supported: boolean;
  sentence: string;
}

export function kpiMovementSentence(kpi: KpiFigure, currency: string): string | null {
  if (kpi.trend !== "up" && kpi.trend !== "down") return null;
  const { lastWeek, thisWeek, unit } = kpi;
  const verb = kpi.trend === "up" ? "rose" : "fell";
  const target =
    kpi.targetMet === null || kpi.target === null ? "" : kpi.targetMet ? `; at or above the target of ${formatKpiValue(unit, kpi.target, currency)}` : `; below the target of ${formatKpiValue(unit, kpi.target, currency)}`;
  return (
    `${kpi.label} ${verb} from ${formatKpiValue(unit, lastWeek.value, currency)} (${formatInterval(unit, lastWeek, currency)}) ` +
    `to ${formatKpiValue(unit, thisWeek.value, currency)} (${formatInterval(unit, thisWeek, currency)}); the intervals do not overlap${target}.`
  );
}

/** Relative size of a supported KPI move, to rank it among the others. */
function kpiWeight(kpi: KpiFigure): number {
  const last = kpi.lastWeek.value;
  if (kpi.change === null || last === null) return 0;
  return Math.abs(kpi.change) / Math.max(Math.abs(last), 1e-9);
}

export function selectFindings(input: {
  kpis: readonly KpiFigure[];
  cohortFindings: readonly CohortFinding[];
  cohortSilence: string | null;
  campaigns: readonly CampaignOutcome[];
  currency: string;
}): ReportFinding[] {
  const supported: ReportFinding[] = [];
  const moved = input.kpis.filter((kpi) => kpi.trend === "up" || kpi.trend === "down").sort((a, b) => kpiWeight(b) - kpiWeight(a));
  const cohorts = input.cohortFindings.filter((finding) => finding.supported);
  const campaigns = input.campaigns.filter((c) => c.verdict === "better" || c.verdict === "worse").sort((a, b) => Math.abs(b.difference ?? 0) - Math.abs(a.difference ?? 0));
  // One of each kind first, so a week with many moves still mentions its best cohort and campaign.
  const queues: ReportFinding[][] = [
    moved.map((kpi) => ({ kind: "kpi" as const, supported: true, sentence: kpiMovementSentence(kpi, input.currency) ?? "" })),
    cohorts.map((finding) => ({ kind: "cohort" as const, supported: true, sentence: finding.sentence })),
    campaigns.map((campaign) => ({ kind: "campaign" as const, supported: true, sentence: `Campaign “${campaign.name}”: ${campaign.summary}` })),
  ];
  while (supported.length < FINDINGS_PER_REPORT && queues.some((queue) => queue.length > 0)) {
    for (const queue of queues) {
      const next = queue.shift();
      if (next && supported.length < FINDINGS_PER_REPORT) supported.push(next);
    }
  }
  const unsupported: ReportFinding[] = [];
  const steady = input.kpis.filter((kpi) => kpi.trend === "steady").map((kpi) => kpi.label.toLowerCase());
  if (moved.length === 0) {
    unsupported.push({
      kind: "no-claim",
      supported: false,
      sentence:
        steady.length > 0
          ? `No KPI moved beyond week-to-week noise: for ${joinList(steady)} this week's 95 % interval overlaps last week's.`
          : "No KPI can be compared with last week yet: there are too few visits and orders in one of the two weeks.",
    });
  }
  if (cohorts.length === 0) {
    unsupported.push({ kind: "no-claim", supported: false, sentence: input.cohortSilence ?? "No visit-pattern cohort differs clearly from everyone else." });
  }
  if (campaigns.length === 0) {
    const inconclusive = input.campaigns.filter((c) => c.verdict === "inconclusive").map((c) => `“${c.name}”`);
    unsupported.push({
      kind: "no-claim",
      supported: false,
      sentence:
        inconclusive.length > 0
          ? `No campaign shows an uplift over its holdout yet: the interval includes zero for ${joinList(inconclusive)}.`
          : "No campaign sent in these two weeks has results to compare with its holdout.",
    });
  }
  return [...supported, ...unsupported].slice(0, FINDINGS_PER_REPORT);
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
