import type { Database } from "../db/prisma.server";
import { describeProgress, fractionDone } from "../sync/backfill/progress";
import { toView } from "../sync/backfill/runs.server";
import { ACTIVE_STATUSES } from "../sync/backfill/types";

/**
 * Where a shop's data stands, for the admin's empty states: the history
 * being brought in (bulk backfill runs, CSV imports) and the analytics
 * recompute that turns it into visits, cohorts and segments.
 */

export interface DataProgress {
  hasVisits: boolean;
  backfills: Array<{ resource: string; status: string; progress: string; fraction: number | null; error: string | null }>;
  importing: boolean;
  analytics: { status: string; step: string | null; stepsDone: number; stepsTotal: number; startedAt: string; finishedAt: string | null; error: string | null } | null;
  /** Something is still running: the page polls while it is. */
  active: boolean;
}

export async function dataProgress(db: Database, shop: string): Promise<DataProgress> {
  const [visit, runs, imports, analytics] = await Promise.all([
    db.visit.findFirst({ where: { shop }, select: { shop: true } }),
    db.backfillRun.findMany({ where: { shop }, orderBy: { startedAt: "desc" }, take: 4 }),
    db.importRun.count({ where: { shop, status: { in: ["queued", "validating", "importing"] } } }),
    db.analyticsRun.findFirst({ where: { shop }, orderBy: { startedAt: "desc" } }),
  ]);
  const latest = new Map<string, (typeof runs)[number]>();
  for (const run of runs) if (!latest.has(run.resource)) latest.set(run.resource, run);
  const backfills = [...latest.values()].map((row) => {
    const view = toView(row);
    return { resource: view.resource, status: view.status, progress: describeProgress(view), fraction: fractionDone(view), error: view.error };
  });
  const backfilling = backfills.some((run) => (ACTIVE_STATUSES as readonly string[]).includes(run.status));
  return {
    hasVisits: visit !== null,
    backfills,
    importing: imports > 0,
    analytics: analytics
      ? {
          status: analytics.status,
          step: analytics.step,
          stepsDone: analytics.stepsDone,
          stepsTotal: analytics.stepsTotal,
          startedAt: analytics.startedAt.toISOString(),
          finishedAt: analytics.finishedAt?.toISOString() ?? null,
          error: analytics.error,
        }
      : null,
    active: backfilling || imports > 0 || analytics?.status === "running",
  };
}
