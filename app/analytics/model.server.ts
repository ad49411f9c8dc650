import { randomUUID } from "node:crypto";
import { z } from "zod";
import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { addDays, isLocalDate } from "./local-dates";
import {
  expectedVisits,
  fitBgNbd,
  predictionReadiness,
  probabilityAlive,
  type BgNbdCell,
  type BgNbdFit,
  type BgNbdParams,
} from "./math/bgnbd";
import { combineGapStats, gapPrior, nextVisitWindow, type CohortGapStats, type GapPrior } from "./math/next-visit";
import { customerScope } from "./scope";
import { prismaRunner, type SqlRunner } from "./sql-tx.server";

/**
 * The shop's visit model: BG/NBD fitted on visit days (frequency = repeat
 * visit days, recency and age in days or weeks up to a chosen end date), and
 * per member P(still a regular), expected visits in the next 30 days and the
 * next-visit window. Decisions: docs/decisions/0010-analytics-statistics.md.
 */

export type ModelUnit = "day" | "week";
export const MODEL_UNITS: readonly ModelUnit[] = ["day", "week"];
const UNIT_DAYS: Record<ModelUnit, number> = { day: 1, week: 7 };
/** The horizon of `expectedVisits30`. */
const EXPECTED_VISITS_DAYS = 30;
/** Rows per UPDATE … FROM unnest(…) when writing predictions back. */
const WRITE_BATCH = 5_000;
const FIT_METHOD = "maximum likelihood, BFGS on log-parameters with the analytic gradient; standard errors from the numerical Hessian";

interface ModelFitCommon {
  id: string;
  shop: string;
  unit: ModelUnit;
  /** End of the calibration period (local date, inclusive). */
  until: Date;
  /** Customers with a visit day up to `until`, and those with two or more. */
  customers: number;
  repeaters: number;
  /** Days from the shop's first visit day to `until`. */
  historyDays: number;
  fittedAt: Date;
}

export type ModelFitResult =
  | (ModelFitCommon & {
      status: "fitted";
      params: BgNbdParams;
      logLikelihood: number;
      standardErrors: BgNbdParams;
      intervals: Record<keyof BgNbdParams, [number, number]>;
      iterations: number;
      converged: boolean;
      /** Distinct (x, tₓ, T) cells the likelihood was summed over. */
      cells: number;
    })
  | (ModelFitCommon & { status: "withheld"; reason: string });

const gapStatsSchema = z.object({
  members: z.number(),
  sumMean: z.number(),
  sumMeanSquares: z.number(),
  sumInverseCount: z.number(),
  withinSquares: z.number(),
  withinDf: z.number(),
});
const paramsSchema = z.object({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number() });
const interval = z.tuple([z.number(), z.number()]);
const detailsSchema = z.object({
  historyDays: z.number(),
  method: z.string().optional(),
  iterations: z.number().optional(),
  converged: z.boolean().optional(),
  cells: z.number().optional(),
  standardErrors: paramsSchema.nullable().optional(),
  intervals: z.object({ r: interval, alpha: interval, a: interval, b: interval }).nullable().optional(),
  /** Sufficient statistics of members' log gaps per pattern, so updates of a few members need not rescan the shop. */
  gapStats: z.record(z.string(), gapStatsSchema).optional(),
});
type FitDetails = z.infer<typeof detailsSchema>;

function localDateKey(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function requireShop(shop: string): void {
  if (typeof shop !== "string" || shop.trim() === "") throw new RangeError("shop must be a shop domain");
}

function requireLocalDate(value: Date, name: string): void {
  if (!(value instanceof Date) || !isLocalDate(value)) {
    throw new RangeError(`${name} must be a local date (a Date at UTC midnight of the shop-local day), got ${String(value)}`);
  }
}

interface ShopModelData {
  cells: BgNbdCell[];
  customers: number;
  repeaters: number;
  historyDays: number;
  gapStats: Record<string, CohortGapStats>;
}

/**
 * One pass over the shop's visit days up to `until`: per customer x (repeat
 * visit days), tₓ and T in days and the log-gap statistics, then grouped two
 * ways at once (GROUPING SETS): into (x, tₓ, T) cells for the likelihood, and
 * per pattern cohort for the next-visit priors.
 */
async function loadShopModelData(runner: SqlRunner, shop: string, until: Date): Promise<ShopModelData> {
  const rows = await runner.query<
    {
      is_cell: boolean;
      x: number | null;
      tx: number | null;
      t: number | null;
      pattern: string | null;
      customers: number;
      members: number;
      sum_mean: number | null;
      sum_mean_squares: number | null;
      sum_inverse_count: number | null;
      within_squares: number | null;
      within_df: number | null;
    }
  >(Prisma.sql`
    WITH visit_days AS (
      SELECT "customerId", "localDate" AS day
      FROM "Visit"
      WHERE shop = ${shop} AND "localDate" <= ${localDateKey(until)}::date
      GROUP BY "customerId", "localDate"
    ), gaps AS (
      SELECT "customerId", day, ln((day - lag(day) OVER (PARTITION BY "customerId" ORDER BY day))::float8) AS log_gap
      FROM visit_days
    ), per_customer AS (
      SELECT "customerId", count(*)::int - 1 AS x, (max(day) - min(day))::int AS tx,
        (${localDateKey(until)}::date - min(day))::int AS t,
        avg(log_gap) AS mean_log, coalesce(var_samp(log_gap), 0) AS var_log
      FROM gaps
      GROUP BY "customerId"
    )
    SELECT GROUPING(c.x) = 0 AS is_cell, c.x, c.tx, c.t, coalesce(f.pattern, '') AS pattern,
      count(*)::int AS customers,
      count(c.mean_log)::int AS members,
      sum(c.mean_log)::float8 AS sum_mean,
      sum(c.mean_log * c.mean_log)::float8 AS sum_mean_squares,
      sum(1.0 / nullif(c.x, 0))::float8 AS sum_inverse_count,
      sum((c.x - 1) * c.var_log) FILTER (WHERE c.x >= 2)::float8 AS within_squares,
      sum(c.x - 1) FILTER (WHERE c.x >= 2)::float8 AS within_df
    FROM per_customer c
    LEFT JOIN "MemberFeature" f ON f.shop = ${shop} AND f."customerId" = c."customerId"
    GROUP BY GROUPING SETS ((c.x, c.tx, c.t), (coalesce(f.pattern, '')))`);

  const data: ShopModelData = { cells: [], customers: 0, repeaters: 0, historyDays: 0, gapStats: {} };
  for (const row of rows) {
    if (row.is_cell) {
      const cell = { x: row.x ?? 0, tx: row.tx ?? 0, T: row.t ?? 0, count: row.customers };
      data.cells.push(cell);
      data.customers += cell.count;
      if (cell.x > 0) data.repeaters += cell.count;
      data.historyDays = Math.max(data.historyDays, cell.T);
    } else if (row.members > 0) {
      data.gapStats[row.pattern ?? ""] = {
        members: row.members,
        sumMean: row.sum_mean ?? 0,
        sumMeanSquares: row.sum_mean_squares ?? 0,
        sumInverseCount: row.sum_inverse_count ?? 0,
        withinSquares: row.within_squares ?? 0,
        withinDf: row.within_df ?? 0,
      };
    }
  }
  // A fixed order makes the fit (its sums, hence its last digits) the same on every run over the same visits.
  data.cells.sort((p, q) => p.x - q.x || p.tx - q.tx || p.T - q.T);
  return data;
}

/**
 * Fits BG/NBD to the shop's visits up to `until` (inclusive) and records the
 * outcome as a ModelFit row: `fitted` with parameters and their uncertainty,
 * or `withheld` with a reason the owner can read (too few repeat visitors or
 * too short a history, or a fit the data does not pin down). Each call adds
 * a row; the latest one is the shop's model.
 */
export async function fitShopModel(db: Database, shop: string, opts: { until: Date; unit: ModelUnit }): Promise<ModelFitResult> {
  requireShop(shop);
  requireLocalDate(opts.until, "until");
  if (!MODEL_UNITS.includes(opts.unit)) throw new RangeError(`unit must be one of ${MODEL_UNITS.join(", ")} (got ${String(opts.unit)})`);
  const data = await loadShopModelData(prismaRunner(db), shop, opts.until);
  const common = {
    id: randomUUID(),
    shop,
    unit: opts.unit,
    until: opts.until,
    customers: data.customers,
    repeaters: data.repeaters,
    historyDays: data.historyDays,
  };
  const details: FitDetails = { historyDays: data.historyDays, gapStats: data.gapStats };

  const readiness = predictionReadiness(data);
  if (!readiness.ready) return storeWithheld(db, common, readiness.reason, details);

  const unitDays = UNIT_DAYS[opts.unit];
  const cells = data.cells.map((cell) => ({ ...cell, tx: cell.tx / unitDays, T: cell.T / unitDays }));
  const fit = fitBgNbd(cells);
  Object.assign(details, {
    method: FIT_METHOD,
    iterations: fit.iterations,
    converged: fit.converged,
    cells: fit.cells,
    standardErrors: fit.standardErrors,
    intervals: fit.intervals,
  });
  if (!fit.converged || !fit.standardErrors || !fit.intervals) {
    const reason =
      "The visit model did not settle on this shop's visits (the data do not yet pin down how often members visit and how " +
      "often they stop coming), so predictions are withheld until more visits arrive.";
    return storeWithheld(db, common, reason, details);
  }
  return storeFitted(db, common, fit, details);
}

/** The ModelFit columns of a result (history length lives in `details`). */
function columns({ historyDays: _historyDays, ...common }: Omit<ModelFitCommon, "fittedAt">) {
  return common;
}

async function storeWithheld(db: Database, common: Omit<ModelFitCommon, "fittedAt">, reason: string, details: FitDetails): Promise<ModelFitResult> {
  const row = await db.modelFit.create({ data: { ...columns(common), status: "withheld", reason, details: details as Prisma.InputJsonObject } });
  return { ...common, fittedAt: row.fittedAt, status: "withheld", reason };
}

async function storeFitted(db: Database, common: Omit<ModelFitCommon, "fittedAt">, fit: BgNbdFit, details: FitDetails): Promise<ModelFitResult> {
  const { standardErrors, intervals } = fit;
  if (!standardErrors || !intervals) throw new Error("a fitted model needs its standard errors");
  const row = await db.modelFit.create({
    data: { ...columns(common), status: "fitted", ...fit.params, logLikelihood: fit.logLikelihood, details: details as Prisma.InputJsonObject },
  });
  return {
    ...common,
    fittedAt: row.fittedAt,
    status: "fitted",
    params: fit.params,
    logLikelihood: fit.logLikelihood,
    standardErrors,
    intervals,
    iterations: fit.iterations,
    converged: fit.converged,
    cells: fit.cells,
  };
}

/** The shop's latest model fit (fitted or withheld), with its details parsed; null before the first fit. */
export async function latestModelFit(db: Database, shop: string): Promise<LatestModelFit | null> {
  requireShop(shop);
  const row = await db.modelFit.findFirst({ where: { shop }, orderBy: [{ fittedAt: "desc" }, { id: "desc" }] });
  return row ? modelFitFromRow(shop, row) : null;
}

type LatestModelFit = ModelFitResult & { gapStats?: Record<string, CohortGapStats> };

interface StoredModelFit {
  id: string;
  unit: string;
  until: Date;
  status: string;
  reason: string | null;
  customers: number;
  repeaters: number;
  r: number | null;
  alpha: number | null;
  a: number | null;
  b: number | null;
  logLikelihood: number | null;
  fittedAt: Date;
  details: unknown;
}

/** `latestModelFit` through a runner (inside a member update's transaction): the same row, with casts every carrier returns alike. */
async function latestModelFitVia(runner: SqlRunner, shop: string): Promise<LatestModelFit | null> {
  const [row] = await runner.query<Omit<StoredModelFit, "until" | "fittedAt" | "details"> & { until: string; fittedAt: string; details: string }>(Prisma.sql`
    SELECT id, unit, to_char(until, 'YYYY-MM-DD') AS until, status, reason, customers, repeaters,
      r::float8 AS r, alpha::float8 AS alpha, a::float8 AS a, b::float8 AS b, "logLikelihood"::float8 AS "logLikelihood",
      to_char("fittedAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "fittedAt", details::text AS details
    FROM "ModelFit" WHERE shop = ${shop}
    ORDER BY "fittedAt" DESC, id DESC LIMIT 1`);
  if (!row) return null;
  return modelFitFromRow(shop, { ...row, until: new Date(`${row.until}T00:00:00Z`), fittedAt: new Date(row.fittedAt), details: JSON.parse(row.details) as unknown });
}

function modelFitFromRow(shop: string, row: StoredModelFit): LatestModelFit {
  const details = detailsSchema.safeParse(row.details);
  const parsed = details.success ? details.data : { historyDays: 0 };
  const unit = MODEL_UNITS.find((u) => u === row.unit);
  if (!unit) throw new Error(`model fit ${row.id} of ${shop} has an unknown unit ${JSON.stringify(row.unit)}`);
  const common = {
    id: row.id,
    shop,
    unit,
    until: row.until,
    customers: row.customers,
    repeaters: row.repeaters,
    historyDays: parsed.historyDays,
    fittedAt: row.fittedAt,
    gapStats: parsed.gapStats,
  };
  const { r, alpha, a, b, logLikelihood } = row;
  if (row.status === "fitted" && r !== null && alpha !== null && a !== null && b !== null && logLikelihood !== null && parsed.standardErrors && parsed.intervals) {
    return {
      ...common,
      status: "fitted",
      params: { r, alpha, a, b },
      logLikelihood,
      standardErrors: parsed.standardErrors,
      intervals: parsed.intervals,
      iterations: parsed.iterations ?? 0,
      converged: parsed.converged ?? true,
      cells: parsed.cells ?? 0,
    };
  }
  return { ...common, status: "withheld", reason: row.reason ?? "Predictions are withheld." };
}

/** A pattern cohort needs this many members with gaps to be its own prior; thinner ones borrow the whole shop's. */
const MIN_COHORT_MEMBERS = 10;

function priorsFrom(gapStats: Record<string, CohortGapStats>): { byPattern: Map<string, GapPrior>; shop: GapPrior | null } {
  const shop = gapPrior(combineGapStats(Object.values(gapStats)));
  const byPattern = new Map<string, GapPrior>();
  for (const [pattern, stats] of Object.entries(gapStats)) {
    const prior = stats.members >= MIN_COHORT_MEMBERS ? gapPrior(stats) : null;
    if (prior) byPattern.set(pattern, prior);
  }
  return { byPattern, shop };
}

export interface MemberGapRow {
  customer_id: string;
  pattern: string;
  x: number | null;
  tx_days: number | null;
  t_days: number | null;
  last_visit: string | null;
  mean_log: number | null;
  var_log: number | null;
}

async function loadMemberGaps(runner: SqlRunner, shop: string, asOf: Date, ids: string[] | null): Promise<MemberGapRow[]> {
  const featureScope = ids ? Prisma.sql`AND "customerId" = ANY(${ids}::text[])` : Prisma.empty;
  const members = Prisma.sql`(SELECT "customerId", pattern FROM "MemberFeature" WHERE shop = ${shop} ${featureScope})`;
  return runner.query<MemberGapRow>(Prisma.sql`SELECT * FROM (${memberGapRowsSql(shop, asOf, ids, members)}) g ORDER BY customer_id`);
}

/**
 * Each member's repeat visit days, recency, age and log-gap summary as of
 * `asOf`: one row per row of `members`, a relation of ("customerId",
 * pattern) — the members to predict, whose visits are read for `ids` (all
 * of the shop's with null).
 */
function memberGapRowsSql(shop: string, asOf: Date, ids: string[] | null, members: Prisma.Sql): Prisma.Sql {
  const visitScope = ids ? Prisma.sql`AND "customerId" = ANY(${ids}::text[])` : Prisma.empty;
  const asOfKey = localDateKey(asOf);
  return Prisma.sql`
    WITH visit_days AS (
      SELECT "customerId", "localDate" AS day
      FROM "Visit"
      WHERE shop = ${shop} AND "localDate" <= ${asOfKey}::date ${visitScope}
      GROUP BY "customerId", "localDate"
    ), gaps AS (
      SELECT "customerId", day, ln((day - lag(day) OVER (PARTITION BY "customerId" ORDER BY day))::float8) AS log_gap
      FROM visit_days
    ), per_customer AS (
      SELECT "customerId", count(*)::int - 1 AS x, (max(day) - min(day))::int AS tx_days, (${asOfKey}::date - min(day))::int AS t_days,
        to_char(max(day), 'YYYY-MM-DD') AS last_visit, avg(log_gap)::float8 AS mean_log, coalesce(var_samp(log_gap), 0)::float8 AS var_log
      FROM gaps
      GROUP BY "customerId"
    )
    SELECT f."customerId" AS customer_id, f.pattern, c.x, c.tx_days, c.t_days, c.last_visit, c.mean_log, c.var_log
    FROM ${members} f
    LEFT JOIN per_customer c ON c."customerId" = f."customerId"`;
}

/**
 * For a statement that computes the members' features (../features.server,
 * CTE `fresh`): their gap rows as of `asOf`, as JSON text in customer order
 * (a scalar subquery), so a member update reads them without another round
 * trip. `members` names the relation of ("customerId", pattern).
 */
export function memberGapsJsonSql(shop: string, asOf: Date, ids: string[], members: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`(SELECT COALESCE(json_agg(g ORDER BY g.customer_id), '[]')::text FROM (${memberGapRowsSql(shop, asOf, ids, members)}) g)`;
}

export interface PredictionRow {
  customerId: string;
  pAlive: number | null;
  expectedVisits30: number | null;
  usualGapDays: number | null;
  dueFrom: string | null;
  dueUntil: string | null;
}

function predict(member: MemberGapRow, model: ModelFitResult | null, priors: ReturnType<typeof priorsFrom>): PredictionRow {
  const row: PredictionRow = { customerId: member.customer_id, pAlive: null, expectedVisits30: null, usualGapDays: null, dueFrom: null, dueUntil: null };
  const { x, tx_days: txDays, t_days: tDays, last_visit: lastVisit } = member;
  if (x === null || txDays === null || tDays === null || lastVisit === null) return row; // no visit by asOf
  if (model?.status === "fitted") {
    const unitDays = UNIT_DAYS[model.unit];
    row.pAlive = probabilityAlive(model.params, x, txDays / unitDays, tDays / unitDays);
    row.expectedVisits30 = expectedVisits(model.params, EXPECTED_VISITS_DAYS / unitDays, x, txDays / unitDays, tDays / unitDays);
  }
  const prior = priors.byPattern.get(member.pattern) ?? priors.shop;
  if (prior) {
    const summary = { count: x, meanLog: Math.max(0, member.mean_log ?? 0), varLog: Math.max(0, member.var_log ?? 0) };
    const window = nextVisitWindow(summary, prior);
    const last = new Date(`${lastVisit}T00:00:00Z`);
    row.usualGapDays = window.usualGapDays;
    row.dueFrom = localDateKey(addDays(last, window.dueFromDays));
    row.dueUntil = localDateKey(addDays(last, window.dueUntilDays));
  }
  return row;
}

/** One UPDATE … FROM unnest(…) per batch; rows whose predictions are unchanged are not rewritten. */
async function writePredictions(runner: SqlRunner, shop: string, rows: PredictionRow[]): Promise<number> {
  let updated = 0;
  for (let start = 0; start < rows.length; start += WRITE_BATCH) {
    updated += await runner.execute(predictionsUpdateSql(shop, rows.slice(start, start + WRITE_BATCH)));
  }
  return updated;
}

/**
 * The UPDATE that writes predictions, changing only rows whose predictions
 * differ; `returning` (e.g. `RETURNING f.*`) lets a member update use the
 * rows it wrote within the same statement.
 */
export function predictionsUpdateSql(shop: string, rows: PredictionRow[], returning: Prisma.Sql = Prisma.empty): Prisma.Sql {
  const column = <T>(pick: (row: PredictionRow) => T): T[] => rows.map(pick);
  return Prisma.sql`
      UPDATE "MemberFeature" AS f
      SET "pAlive" = u.p_alive, "expectedVisits30" = u.expected_visits, "usualGapDays" = u.usual_gap,
        "dueFrom" = u.due_from, "dueUntil" = u.due_until
      FROM unnest(
        ${column((row) => row.customerId)}::text[],
        ${column((row) => row.pAlive)}::float8[],
        ${column((row) => row.expectedVisits30)}::float8[],
        ${column((row) => row.usualGapDays)}::float8[],
        ${column((row) => row.dueFrom)}::date[],
        ${column((row) => row.dueUntil)}::date[]
      ) AS u(customer_id, p_alive, expected_visits, usual_gap, due_from, due_until)
      WHERE f.shop = ${shop} AND f."customerId" = u.customer_id
        AND (f."pAlive", f."expectedVisits30", f."usualGapDays", f."dueFrom", f."dueUntil")
          IS DISTINCT FROM (u.p_alive, u.expected_visits, u.usual_gap, u.due_from, u.due_until)
      ${returning}`;
}

/**
 * Writes each member's predictions as of `asOf` (a local date) from the
 * shop's latest model fit: P(still a regular) and expected visits in the next
 * 30 days from BG/NBD, and the usual gap with the due window from the
 * member's own gaps shrunk towards their pattern cohort. When the latest fit
 * is withheld (its reason is on the ModelFit row), or there is none yet,
 * pAlive and expectedVisits30 are cleared; the next-visit window does not
 * depend on BG/NBD and is still written. Only visits up to `asOf` count.
 * Returns how many member rows changed (0 on a rerun: idempotent).
 */
export async function updatePredictions(db: Database, shop: string, opts: { asOf: Date; customerIds?: string[] }): Promise<{ updated: number }> {
  requireShop(shop);
  requireLocalDate(opts.asOf, "asOf");
  const scope = customerScope(opts.customerIds);
  if (scope.kind === "none") return { updated: 0 };
  const runner = prismaRunner(db);
  const basis = await predictionBasis(runner, shop, opts.asOf, await latestModelFit(db, shop));
  return { updated: await predictAndWrite(runner, shop, opts.asOf, scope.kind === "some" ? scope.ids : null, basis) };
}

/** The latest fit and the next-visit priors derived from it: what predicting a member needs from the shop. */
interface PredictionBasis {
  model: ModelFitResult | null;
  priors: ReturnType<typeof priorsFrom>;
}

async function predictionBasis(runner: SqlRunner, shop: string, asOf: Date, model: LatestModelFit | null): Promise<PredictionBasis> {
  // The fit carries the cohorts' gap statistics; before the first fit they come from the visits directly.
  const gapStats = model?.gapStats ?? (await loadShopModelData(runner, shop, asOf)).gapStats;
  return { model, priors: priorsFrom(gapStats) };
}

async function predictAndWrite(runner: SqlRunner, shop: string, asOf: Date, ids: string[] | null, basis: PredictionBasis): Promise<number> {
  const members = await loadMemberGaps(runner, shop, asOf, ids);
  const rows = members.map((member) => predict(member, basis.model, basis.priors));
  return writePredictions(runner, shop, rows);
}

/**
 * Per process, each shop's latest fit with its priors, so that a member update
 * neither reads nor parses the fit again. An entry is used only while its fit
 * is still the shop's latest (the caller reads the latest fit's id in the same
 * transaction), so a refit anywhere is picked up at the next update.
 */
const basisCache = new Map<string, { fitId: string; basis: PredictionBasis }>();
const BASIS_CACHE_SHOPS = 1_000;

/** The id of the shop's latest model fit, for `updateMemberPredictions` (a scalar subquery). */
export function latestFitIdSql(shop: string): Prisma.Sql {
  return Prisma.sql`(SELECT id FROM "ModelFit" WHERE shop = ${shop} ORDER BY "fittedAt" DESC, id DESC LIMIT 1)`;
}

/**
 * `updatePredictions` for a few members inside the caller's transaction (the
 * member update), up to the rows to write: `members` are their gap rows
 * (`memberGapsJsonSql`), `latestFitId` the shop's latest fit as the caller
 * read it (`latestFitIdSql`), or null before the first fit. The same
 * predictions as `updatePredictions`; the fit is read and parsed once per
 * process and fit. Write them with `predictionsUpdateSql`.
 */
export async function predictMembers(
  tx: SqlRunner,
  shop: string,
  opts: { asOf: Date; members: MemberGapRow[]; latestFitId: string | null },
): Promise<PredictionRow[]> {
  requireShop(shop);
  requireLocalDate(opts.asOf, "asOf");
  if (opts.members.length === 0) return [];
  let basis: PredictionBasis;
  const cached = opts.latestFitId === null ? undefined : basisCache.get(shop);
  if (cached && cached.fitId === opts.latestFitId) {
    basis = cached.basis;
  } else {
    const model = await latestModelFitVia(tx, shop);
    basis = await predictionBasis(tx, shop, opts.asOf, model);
    // A fit without gap statistics (an older one) has its priors read from the visits each time, as before.
    if (model?.gapStats) {
      basisCache.delete(shop);
      if (basisCache.size >= BASIS_CACHE_SHOPS) basisCache.delete(basisCache.keys().next().value ?? "");
      basisCache.set(shop, { fitId: model.id, basis });
    }
  }
  return opts.members.map((member) => predict(member, basis.model, basis.priors));
}
