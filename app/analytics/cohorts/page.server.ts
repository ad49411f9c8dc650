import type { Database } from "../../db/prisma.server";
import { returnWithin, type CurvePoint } from "../math/kaplan-meier";
import { CURVE_DAYS } from "./curves";
import type { Finding } from "./findings";
import { patternAudience } from "./labels";
import { cohortReport } from "./report.server";
import { SNAPSHOT_RETURN_DAYS, type CohortSnapshotData, type SnapshotCurve } from "./snapshots.server";

/**
 * The admin's Cohorts page from the precomputed CohortSnapshot rows: pattern
 * cohorts ranked by P(return within N days) with intervals, their return
 * curves, the retention heatmap of acquisition weeks, and the findings. The
 * snapshot holds whole curves (days 1–60), so any N reads from it; the
 * findings are stored for 7, 12 and 30 days, and other N are computed as
 * `regulars cohorts` computes them.
 */

export const DEFAULT_RETURN_DAYS = 12;
/** Cohorts drawn in the chart (the best ones), besides the shop as a whole. */
export const CHART_COHORTS = 6;
export const HEATMAP_ROWS = 12;
export const HEATMAP_COLUMNS = 12;

export type ReturnDaysParse = { ok: true; days: number } | { ok: false; message: string };

export function parseReturnDays(text: string | null): ReturnDaysParse {
  if (text === null || text === "") return { ok: true, days: DEFAULT_RETURN_DAYS };
  const trimmed = text.trim();
  if (!/^\d{1,3}$/.test(trimmed) || Number(trimmed) < 1 || Number(trimmed) > CURVE_DAYS) {
    return { ok: false, message: `N must be a whole number of days from 1 to ${CURVE_DAYS} (got ${JSON.stringify(text.slice(0, 20))}); showing ${DEFAULT_RETURN_DAYS} days` };
  }
  return { ok: true, days: Number(trimmed) };
}

export interface CohortRankRow {
  cohort: string;
  audience: string;
  visits: number;
  returns: number;
  p: number;
  low: number;
  high: number;
  medianDays: number | null;
}

export interface CohortsPage {
  returnDays: number;
  until: string | null;
  computedAt: string | null;
  ranked: CohortRankRow[];
  everyone: CohortRankRow | null;
  /** Day 1..60 curves of the best cohorts and the shop as a whole. */
  curves: Array<{ name: string; points: Array<{ day: number; p: number }> }>;
  heatmap: { until: string | null; rows: Array<{ cohort: string; size: number; cells: Array<{ share: number; members: number; partial: boolean } | null> }> };
  findings: Array<{ sentence: string; supported: boolean }>;
  silence: string | null;
  unassignedVisits: number;
}

// Written by refreshCohortSnapshots from CohortSnapshotData; not input from outside.
const snapshotData = (data: unknown) => data as CohortSnapshotData;

function rankRow(curve: SnapshotCurve, days: number, audience: string): CohortRankRow | null {
  if (curve.visits === 0 || curve.points.length < days) return null;
  const point: CurvePoint = returnWithin(curve, days);
  return { cohort: curve.cohort, audience, visits: curve.visits, returns: curve.returns, p: point.p, low: point.low, high: point.high, medianDays: curve.medianDays };
}

export async function cohortsPage(db: Database, shop: string, days: number): Promise<CohortsPage | null> {
  const [patternRow, weekRow] = await Promise.all([
    db.cohortSnapshot.findUnique({ where: { shop_by: { shop, by: "pattern" } } }),
    db.cohortSnapshot.findUnique({ where: { shop_by: { shop, by: "acquisition-week" } } }),
  ]);
  if (!patternRow) return null;
  const pattern = snapshotData(patternRow.data);
  if (pattern.until === null) return null;
  const ranked = pattern.cohorts
    .map((curve) => rankRow(curve, days, patternAudience(curve.cohort)))
    .filter((row): row is CohortRankRow => row !== null)
    .sort((a, b) => b.p - a.p || a.cohort.localeCompare(b.cohort));
  const everyone = pattern.everyone ? rankRow(pattern.everyone, days, "Everyone") : null;
  const best = new Set(ranked.slice(0, CHART_COHORTS).map((row) => row.cohort));
  const curves = [...pattern.cohorts.filter((curve) => best.has(curve.cohort)), ...(pattern.everyone ? [{ ...pattern.everyone, name: "everyone" }] : [])].map((curve) => ({
    name: curve.cohort === "everyone" ? "Everyone" : curve.cohort,
    points: curve.points.map((point) => ({ day: point.day, p: point.p })),
  }));

  let findings: Finding[];
  let silence: string | null;
  if ((SNAPSHOT_RETURN_DAYS as readonly number[]).includes(days) && pattern.findings && pattern.silence) {
    findings = pattern.findings[String(days)] ?? [];
    silence = pattern.silence[String(days)] ?? null;
  } else {
    const report = await cohortReport(db, shop, { by: "pattern", period: "week", returnDays: days, until: new Date(`${pattern.until}T00:00:00Z`) });
    findings = report.status === "ok" ? (report.findings ?? []) : [];
    silence = report.status === "ok" ? report.silence : report.message;
  }

  const week = weekRow ? snapshotData(weekRow.data) : null;
  const matrix = week?.matrix ?? null;
  return {
    returnDays: days,
    until: pattern.until,
    computedAt: patternRow.computedAt.toISOString(),
    ranked,
    everyone,
    curves,
    heatmap: {
      until: matrix?.until ?? null,
      rows: (matrix?.cohorts ?? []).slice(-HEATMAP_ROWS).map((row) => ({
        cohort: row.cohort,
        size: row.size,
        cells: Array.from({ length: HEATMAP_COLUMNS }, (_, period) => {
          const cell = row.cells.find((c) => c.period === period);
          return cell ? { share: cell.share, members: cell.members, partial: cell.partial } : null;
        }),
      })),
    },
    findings: findings.map((finding) => ({ sentence: finding.sentence, supported: finding.supported })),
    silence,
    unassignedVisits: pattern.unassignedVisits,
  };
}
