import { randomUUID } from "node:crypto";
import type { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { refreshCohortSnapshots } from "./cohorts/snapshots.server";
import { shopAnalyticsSettings } from "./dayparts";
import { recomputeFeatures } from "./features.server";
import { addDays, isLocalDate, localDateOf } from "./local-dates";
import { fitShopModel, updatePredictions, type ModelUnit } from "./model.server";
import { ensureBuiltInSegments, refreshSegments } from "./segments/materialise.server";
import { rebuildVisits } from "./visits.server";
import { proposeMerges } from "../merges/propose.server";
import { computeRecommendations } from "../recommend/compute.server";

/**
 * The full recompute of a shop's analytics, one step after the other, with
 * its progress in an AnalyticsRun row (for the admin and the CLI) and an
 * optional callback. Every step is idempotent and atomic on its own, so a run
 * that fails part-way is finished by the next one, and a second run leaves
 * the derived tables as they were (each fit adds its ModelFit row, and each
 * run its AnalyticsRun row: that history is kept on purpose).
 */

export const RECOMPUTE_STEPS = ["visits", "features", "cohorts", "model", "predictions", "segments", "recommendations"] as const;
export type RecomputeStep = (typeof RECOMPUTE_STEPS)[number];
export const RECOMPUTE_KINDS = ["full", "nightly"] as const;
export type RecomputeKind = (typeof RECOMPUTE_KINDS)[number];

/**
 * BG/NBD is fitted in days: a visit is a day-level fact, the product's
 * windows (returns within N days, expected visits in 30 days, due dates) are
 * in days, and whole weeks would blur a regular's several visits a week into
 * one. See docs/decisions/0011-visits-and-features.md.
 */
export const MODEL_UNIT: ModelUnit = "day";

export interface RecomputeProgress {
  step: RecomputeStep;
  /** Steps finished so far. */
  done: number;
  total: number;
}

export interface RecomputeOptions {
  /** Last local date the analysis covers (inclusive, UTC midnight); the shop-local yesterday when absent. */
  until?: Date;
  kind?: RecomputeKind;
  /** The instant "yesterday" is taken from; now when absent. */
  now?: Date;
  /** Called when a step starts (done = steps before it) and when it ends. */
  onProgress?: (progress: RecomputeProgress) => void;
}

export interface RecomputeResult {
  runId: string;
  shop: string;
  kind: RecomputeKind;
  until: Date;
  visits: number;
  members: number;
  model: { id: string; status: "fitted" | "withheld"; reason: string | null };
  predictions: number;
  segments: { entered: number; exited: number };
  /** Seconds each step took. */
  seconds: Record<RecomputeStep, number>;
}

/** Rows rewritten by a step above this share of the table make its statistics stale for the steps after it. */
const RESTAT_SHARE = 0.1;
const RESTAT_MIN_ROWS = 10_000;

export async function recomputeShop(db: Database, shop: string, opts: RecomputeOptions = {}): Promise<RecomputeResult> {
  const kind = opts.kind ?? "full";
  if (!RECOMPUTE_KINDS.includes(kind)) throw new RangeError(`kind must be one of ${RECOMPUTE_KINDS.join(", ")} (got ${String(kind)})`);
  if (opts.until !== undefined && !isLocalDate(opts.until)) {
    throw new RangeError(`until must be a local date (a Date at UTC midnight of the shop-local day), got ${String(opts.until)}`);
  }
  const settings = await shopAnalyticsSettings(db, shop);
  const until = opts.until ?? addDays(localDateOf(opts.now ?? new Date(), settings.timezone), -1);
  const run = await db.analyticsRun.create({
    data: { shop, id: randomUUID(), kind, status: "running", stepsTotal: RECOMPUTE_STEPS.length, stats: { until: dateKey(until) } },
  });
  const stats: Record<string, Prisma.InputJsonValue> = { until: dateKey(until) };
  const seconds: Record<RecomputeStep, number> = { visits: 0, features: 0, cohorts: 0, model: 0, predictions: 0, segments: 0, recommendations: 0 };
  let done = 0;

  async function step<T>(name: RecomputeStep, work: () => Promise<T>, summary: (value: T) => Prisma.InputJsonValue): Promise<T> {
    opts.onProgress?.({ step: name, done, total: RECOMPUTE_STEPS.length });
    await db.analyticsRun.update({ where: { shop_id: { shop, id: run.id } }, data: { step: name, stepsDone: done } });
    const started = performance.now();
    const value = await work();
    seconds[name] = Math.round(performance.now() - started) / 1000;
    stats[name] = summary(value);
    done += 1;
    await db.analyticsRun.update({ where: { shop_id: { shop, id: run.id } }, data: { stepsDone: done, stats: { ...stats, seconds } } });
    opts.onProgress?.({ step: name, done, total: RECOMPUTE_STEPS.length });
    return value;
  }

  try {
    const visits = await step("visits", () => rebuildVisits(db, shop, { settings }), (v) => ({ ...v }));
    // Duplicate customers (app/merges/): new proposals for the owner, survivors chosen by the visits just rebuilt.
    stats.merges = { ...(await proposeMerges(db, shop)) };
    if (isLargeChange(visits.written + visits.removed, visits.visits)) await db.$executeRaw`ANALYZE "Visit"`;
    const features = await step("features", () => recomputeFeatures(db, shop), (f) => ({ ...f }));
    if (isLargeChange(features.written + features.removed, features.members)) await db.$executeRaw`ANALYZE "MemberFeature"`;
    await step("cohorts", () => refreshCohortSnapshots(db, shop, { until }), () => ({ until: dateKey(until) }));
    const model = await step(
      "model",
      () => fitShopModel(db, shop, { until, unit: MODEL_UNIT }),
      (fit) => ({ id: fit.id, status: fit.status, unit: fit.unit, customers: fit.customers, repeaters: fit.repeaters }),
    );
    const predictions = await step("predictions", () => updatePredictions(db, shop, { asOf: until }), (p) => ({ ...p }));
    const segments = await step(
      "segments",
      async () => {
        await ensureBuiltInSegments(db, shop);
        return refreshSegments(db, shop, { asOf: until });
      },
      (s) => ({ entered: s.entered, exited: s.exited, skipped: s.skipped.length }),
    );
    // Personal recommendations (issue 9) from the same visits, up to the same day.
    await step("recommendations", () => computeRecommendations(db, shop, { until }), (r) => ({ ...r }));
    await db.analyticsRun.update({
      where: { shop_id: { shop, id: run.id } },
      data: { status: "completed", step: null, finishedAt: new Date(), stats: { ...stats, seconds } },
    });
    return {
      runId: run.id,
      shop,
      kind,
      until,
      visits: visits.visits,
      members: features.members,
      model: { id: model.id, status: model.status, reason: model.status === "withheld" ? model.reason : null },
      predictions: predictions.updated,
      segments: { entered: segments.entered, exited: segments.exited },
      seconds,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await db.analyticsRun
      .update({ where: { shop_id: { shop, id: run.id } }, data: { status: "failed", error: message.slice(0, 2000), finishedAt: new Date() } })
      .catch(() => {});
    throw error;
  }
}

function isLargeChange(changed: number, total: number): boolean {
  return changed >= RESTAT_MIN_ROWS && changed >= total * RESTAT_SHARE;
}

function dateKey(date: Date): string {
  return date.toISOString().slice(0, 10);
}
