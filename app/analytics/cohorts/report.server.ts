import type { Database } from "../../db/prisma.server";
import type { GapCounts } from "../math/kaplan-meier";
import { CURVE_DAYS, cohortCurve, cohortCurves, compareWithEveryoneElse, estimateAt, pooledCounts, type CohortCurve } from "./curves";
import { discoverFindings, silenceReason, type Finding, type ReturnInterval } from "./findings";
import { dataEnd, loadCohortGaps, localDateKey } from "./gaps.server";
import { cohortName, type CohortBy } from "./labels";
import { buildRetentionMatrix, type RetentionMatrix, type RetentionPeriod } from "./matrix";
import { loadRetentionCounts } from "./retention.server";

/**
 * One cohort question answered from the shop's visits: P(return within N
 * days) per cohort with its interval and median, and for pattern cohorts the
 * findings against everyone else; for acquisition cohorts the retention
 * matrix. What `regulars cohorts` prints.
 */

export interface CohortReportOptions {
  by: "pattern" | "acquisition";
  /** Acquisition cohorts by week or month of the first visit. */
  period: RetentionPeriod;
  returnDays: number;
  /** Ignore visits after this local date, censoring at it. Defaults to the data's end. */
  until?: Date;
}

export interface CohortRow {
  cohort: string;
  name: string;
  /** Visit days in the cohort. */
  visits: number;
  /** Of them, followed by a next visit day (at any distance). */
  returns: number;
  /** Visits whose N-day outcome is known (returned within N days, or followed for N days). */
  known: number;
  returnWithin: ReturnInterval | null;
  /** Days by which half the visits are followed by a return; null if that is beyond 60 days or unknown. */
  medianDays: number | null;
}

export type CohortReport =
  | { status: "no-visits"; shop: string; until: string | null; message: string }
  | {
      status: "ok";
      shop: string;
      by: CohortBy;
      returnDays: number;
      /** The data's end used for censoring (YYYY-MM-DD, inclusive). */
      until: string;
      visits: number;
      /** Visit days of customers whose member features are not computed yet; in no cohort. */
      unassignedVisits: number;
      cohorts: CohortRow[];
      everyone: CohortRow;
      /** Pattern cohorts only: each against everyone else, supported ones first. */
      findings: Finding[] | null;
      /** Pattern cohorts only: why nothing is claimed, when nothing is. */
      silence: string | null;
      /** Acquisition cohorts only. */
      matrix: RetentionMatrix | null;
    };

export class CohortQuestionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CohortQuestionError";
  }
}

export async function cohortReport(db: Database, shop: string, options: CohortReportOptions): Promise<CohortReport> {
  if (!Number.isInteger(options.returnDays) || options.returnDays < 1 || options.returnDays > CURVE_DAYS) {
    throw new CohortQuestionError(`return days must be a whole number from 1 to ${CURVE_DAYS} (got ${options.returnDays})`);
  }
  const until = await dataEnd(db, shop, options.until);
  if (until === null) {
    const asked = options.until ? ` on or before ${localDateKey(options.until)}` : "";
    return { status: "no-visits", shop, until: options.until ? localDateKey(options.until) : null, message: `${shop} has no visits${asked} yet: nothing to put in cohorts.` };
  }
  const by: CohortBy = options.by === "pattern" ? "pattern" : options.period === "week" ? "acquisition-week" : "acquisition-month";
  const gaps = (await loadCohortGaps(db, shop, { kinds: [by], until })).get(by) ?? { cohorts: new Map<string, GapCounts[]>(), unassignedVisits: 0 };
  const days = options.returnDays;
  const curves = cohortCurves(gaps.cohorts);
  const cohorts = curves.map((curve) => cohortRow(by, curve, gaps.cohorts.get(curve.cohort) ?? [], days));
  const all = pooledCounts(gaps.cohorts.values());
  const everyone = { ...cohortRow(by, cohortCurve("everyone", all), all, days), name: "everyone" };
  const findings = by === "pattern" ? discoverFindings(compareWithEveryoneElse(gaps.cohorts, days), days) : null;
  const matrix = by === "pattern" ? null : buildRetentionMatrix(await loadRetentionCounts(db, shop, { period: options.period, until }), { period: options.period, until });
  return {
    status: "ok",
    shop,
    by,
    returnDays: days,
    until,
    visits: everyone.visits,
    unassignedVisits: gaps.unassignedVisits,
    cohorts,
    everyone,
    findings,
    silence: findings ? silenceReason(findings, days) : null,
    matrix,
  };
}

function cohortRow(by: CohortBy, curve: CohortCurve, counts: readonly GapCounts[], days: number): CohortRow {
  const estimate = estimateAt(counts, days, curve);
  return {
    cohort: curve.cohort,
    name: cohortName(by, curve.cohort),
    visits: curve.visits,
    returns: curve.returns,
    known: estimate.known,
    returnWithin: estimate.at,
    medianDays: curve.medianDays,
  };
}
