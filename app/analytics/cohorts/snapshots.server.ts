import type { Prisma } from "../../db/generated/client";
import type { Database } from "../../db/prisma.server";
import { assertNever } from "../../lib/assert-never";
import { CURVE_DAYS, cohortCurve, cohortCurves, compareWithEveryoneElse, pooledCounts, type CohortCurve } from "./curves";
import { discoverFindings, silenceReason, type Finding } from "./findings";
import { dataEnd, loadCohortGaps, localDateKey, type CohortGaps } from "./gaps.server";
import { COHORT_KINDS, cohortName, type CohortBy } from "./labels";
import { buildRetentionMatrix, type RetentionMatrix } from "./matrix";
import { loadRetentionCounts } from "./retention.server";

/**
 * Precomputed cohort tables for the admin: one CohortSnapshot row per kind
 * (pattern, acquisition-week, acquisition-month) holding every cohort's
 * return curve for days 1–60 with its 95 % intervals and median, the shop's
 * curve as a whole, and — for patterns — the findings for 7, 12 and 30 days,
 * or — for acquisition cohorts — the retention matrix. Rewritten whole each
 * time, so running it twice leaves the same rows.
 */

export const SNAPSHOT_RETURN_DAYS = [7, 12, 30] as const;

export interface SnapshotCurve extends CohortCurve {
  name: string;
}

export interface CohortSnapshotData {
  by: CohortBy;
  /** The data's end the curves are censored at (YYYY-MM-DD); null when the shop has no visits up to the date asked. */
  until: string | null;
  curveDays: number;
  visits: number;
  unassignedVisits: number;
  everyone: SnapshotCurve | null;
  cohorts: SnapshotCurve[];
  /** Pattern snapshots: findings per N ("7", "12", "30"), supported first, and why nothing was said where nothing is. */
  findings: Record<string, Finding[]> | null;
  silence: Record<string, string | null> | null;
  /** Acquisition snapshots: the retention matrix by the same period. */
  matrix: RetentionMatrix | null;
}

export async function refreshCohortSnapshots(db: Database, shop: string, opts: { until: Date }): Promise<void> {
  const asked = localDateKey(opts.until);
  const until = await dataEnd(db, shop, opts.until);
  const gaps = until === null ? new Map<CohortBy, CohortGaps>() : await loadCohortGaps(db, shop, { kinds: COHORT_KINDS, until });
  const snapshots: CohortSnapshotData[] = [];
  for (const by of COHORT_KINDS) {
    const kindGaps = gaps.get(by);
    snapshots.push(until === null || !kindGaps ? emptySnapshot(by) : await snapshotOf(db, shop, by, until, kindGaps));
  }
  const stored = new Date(`${until ?? asked}T00:00:00Z`);
  const computedAt = new Date();
  await db.$transaction(
    snapshots.map((data) => {
      // Plain JSON (intervals of an empty group are null), as Prisma stores it.
      const json: Prisma.InputJsonValue = JSON.parse(JSON.stringify(data));
      return db.cohortSnapshot.upsert({
        where: { shop_by: { shop, by: data.by } },
        create: { shop, by: data.by, until: stored, data: json, computedAt },
        update: { until: stored, data: json, computedAt },
      });
    }),
  );
}

async function snapshotOf(db: Database, shop: string, by: CohortBy, until: string, gaps: CohortGaps): Promise<CohortSnapshotData> {
  const all = pooledCounts(gaps.cohorts.values());
  const everyone: SnapshotCurve = { ...cohortCurve("everyone", all), name: "everyone" };
  const cohorts = cohortCurves(gaps.cohorts).map((curve) => ({ ...curve, name: cohortName(by, curve.cohort) }));
  const base = { by, until, curveDays: CURVE_DAYS, visits: everyone.visits, unassignedVisits: gaps.unassignedVisits, everyone, cohorts };
  switch (by) {
    case "pattern":
      return { ...base, ...patternFindings(gaps), matrix: null };
    case "acquisition-week":
    case "acquisition-month": {
      const period = by === "acquisition-week" ? "week" : "month";
      const matrix = buildRetentionMatrix(await loadRetentionCounts(db, shop, { period, until }), { period, until });
      return { ...base, findings: null, silence: null, matrix };
    }
    default:
      return assertNever(by, "cohort kind");
  }
}

function patternFindings(gaps: CohortGaps): Pick<CohortSnapshotData, "findings" | "silence"> {
  const findings: Record<string, Finding[]> = {};
  const silence: Record<string, string | null> = {};
  for (const days of SNAPSHOT_RETURN_DAYS) {
    findings[days] = discoverFindings(compareWithEveryoneElse(gaps.cohorts, days), days);
    silence[days] = silenceReason(findings[days] ?? [], days);
  }
  return { findings, silence };
}

function emptySnapshot(by: CohortBy): CohortSnapshotData {
  const pattern = by === "pattern";
  return {
    by,
    until: null,
    curveDays: CURVE_DAYS,
    visits: 0,
    unassignedVisits: 0,
    everyone: null,
    cohorts: [],
    findings: pattern ? Object.fromEntries(SNAPSHOT_RETURN_DAYS.map((days) => [days, []])) : null,
    silence: pattern ? Object.fromEntries(SNAPSHOT_RETURN_DAYS.map((days) => [days, silenceReason([], days)])) : null,
    matrix: null,
  };
}
