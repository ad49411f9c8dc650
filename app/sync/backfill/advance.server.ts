import type { Runtime } from "../../runtime.server";
import { AdminApiError, offlineAdminApi, type AdminApi } from "../../shopify/admin-api.server";
import { bulkQueryFor } from "./bulk-queries";
import { bulkOperationState, currentBulkOperation, FINAL_BULK_STATUSES, sameQuery, startBulkQuery } from "./bulk-operation.server";
import { openBulkFile } from "./download.server";
import { importBulkFile, ResumeMismatchError, type ImportTotals } from "./import.server";
import { ensureBackfillJob } from "./jobs.server";
import { BulkLineError } from "./order-lines";
import { withRunLock } from "./run-lock.server";
import { failRun, findRun, findRunByOperation, listActiveRuns, transitionRun } from "./runs.server";
import { stageModeFor } from "./staging.server";
import type { BackfillRunView } from "./types";

/**
 * One step of a backfill run, called by its job (and by `regulars backfill
 * start --wait`): start the bulk operation, check on it, or import its file.
 * A step either finishes the run or says how long to wait before the next
 * one; the bulk_operations/finish webhook cuts that wait short, and polling
 * with a growing interval covers a webhook that never comes.
 */
export type AdvanceOutcome =
  | { kind: "done"; run: BackfillRunView }
  | { kind: "wait"; delayMs: number; reason: string };

export interface PollInterval {
  minMs: number;
  maxMs: number;
}

export interface AdvanceOptions {
  /** The Admin API to use; defaults to the shop's offline session. */
  api?: AdminApi;
  /** Stops an import between (or before committing) batches. */
  signal?: AbortSignal;
  /** Called after each imported batch. */
  onProgress?: (run: BackfillRunView, totals: ImportTotals) => void;
  batchSize?: number;
  connections?: number;
  poll?: PollInterval;
  now?: () => Date;
}

/** Polls start at a second and slow down to a minute: a quarter of the time the run has waited so far. */
export const DEFAULT_POLL: PollInterval = { minMs: 1_000, maxMs: 60_000 };

/** A compare-and-set on the run failed although nobody changed it: a bug, not a race. */
export class RunTransitionError extends Error {
  constructor(readonly runId: string, status: string) {
    super(`backfill run ${runId} is still "${status}" but could not be moved on`);
    this.name = "RunTransitionError";
  }
}

export class BackfillRunNotFoundError extends Error {
  constructor(readonly shop: string, readonly runId: string) {
    super(`no backfill run ${runId} for ${shop}`);
    this.name = "BackfillRunNotFoundError";
  }
}

interface Step {
  runtime: Runtime;
  options: AdvanceOptions;
  poll: PollInterval;
  now: () => Date;
}

export async function advanceBackfill(runtime: Runtime, shop: string, runId: string, options: AdvanceOptions = {}): Promise<AdvanceOutcome> {
  const step: Step = { runtime, options, poll: options.poll ?? DEFAULT_POLL, now: options.now ?? (() => new Date()) };
  const locked = await withRunLock(runtime.database.url, runId, () => advanceLocked(step, shop, runId));
  return locked.locked ? locked.value : { kind: "wait", delayMs: step.poll.minMs, reason: "another process is working on this run" };
}

async function advanceLocked(step: Step, shop: string, runId: string): Promise<AdvanceOutcome> {
  const db = step.runtime.db;
  const run = await findRun(db, shop, runId);
  if (!run) throw new BackfillRunNotFoundError(shop, runId);
  if (run.status === "completed" || run.status === "failed") return { kind: "done", run };
  let api: AdminApi;
  try {
    api = step.options.api ?? (await offlineAdminApi(step.runtime, shop));
  } catch (error) {
    if (!(error instanceof AdminApiError)) throw error;
    return finish(step, run, `cannot reach Shopify: ${error.message}`);
  }
  switch (run.status) {
    case "requested":
      return start(step, api, run);
    case "running":
      return checkOperation(step, api, run);
    case "downloading":
    case "importing":
      return importFile(step, api, run);
  }
}

async function start(step: Step, api: AdminApi, run: BackfillRunView): Promise<AdvanceOutcome> {
  const db = step.runtime.db;
  const query = bulkQueryFor(run.resource);
  const outcome = await startBulkQuery(api, query);
  if (outcome.kind === "refused") return finish(step, run, `Shopify refused the bulk query: ${outcome.message}`);
  let operationId: string;
  if (outcome.kind === "started") {
    operationId = outcome.operationId;
  } else {
    // Busy: perhaps with this very query, started by an attempt that crashed before recording it.
    const current = await currentBulkOperation(api);
    const orphan =
      current !== null &&
      !FINAL_BULK_STATUSES.includes(current.status) &&
      sameQuery(current.query, query) &&
      (await findRunByOperation(db, run.shop, current.id)) === null;
    if (!orphan) return wait(step, run, "Shopify runs one bulk operation per shop at a time; waiting for the current one");
    operationId = current.id;
  }
  if (!(await transitionRun(db, run.shop, run.id, ["requested"], "running", { bulkOperationId: operationId }))) {
    return reload(step, api, run);
  }
  return wait(step, run, "bulk operation started");
}

async function checkOperation(step: Step, api: AdminApi, run: BackfillRunView): Promise<AdvanceOutcome> {
  const state = run.bulkOperationId === null ? null : await bulkOperationState(api, run.bulkOperationId);
  if (state === null) return finish(step, run, `Shopify no longer knows bulk operation ${run.bulkOperationId ?? "(none)"}`);
  switch (state.status) {
    case "CREATED":
    case "RUNNING":
    case "CANCELING":
      return wait(step, run, `bulk operation ${state.status.toLowerCase()}`);
    case "COMPLETED":
      if (!(await transitionRun(step.runtime.db, run.shop, run.id, ["running"], "downloading", { objectCount: state.objectCount }))) {
        return reload(step, api, run);
      }
      await wakeWaitingRuns(step.runtime, run);
      return importFile(step, api, { ...run, status: "downloading", objectCount: state.objectCount });
    case "FAILED":
    case "CANCELED":
    case "EXPIRED":
      return finish(step, run, operationFailure(state.status, state.errorCode));
  }
}

/** "bulk operation FAILED (ACCESS_DENIED)": what Shopify said, for the admin and the CLI. */
export function operationFailure(status: string, errorCode: string | null): string {
  return `bulk operation ${status}${errorCode ? ` (${errorCode})` : ""}`;
}

async function importFile(step: Step, api: AdminApi, run: BackfillRunView): Promise<AdvanceOutcome> {
  const db = step.runtime.db;
  if (run.bulkOperationId === null) return finish(step, run, "the run has no bulk operation");
  // Asked again each time: Shopify's file URLs are signed and expire (a resume may come days later).
  const state = await bulkOperationState(api, run.bulkOperationId);
  if (state === null || state.status !== "COMPLETED") {
    return finish(step, run, `the bulk operation's file is no longer available (${state?.status.toLowerCase() ?? "unknown operation"})`);
  }
  if (!(await transitionRun(db, run.shop, run.id, ["downloading", "importing"], "importing", { objectCount: state.objectCount }))) {
    return reload(step, api, run);
  }
  const importing: BackfillRunView = { ...run, status: "importing", objectCount: state.objectCount };
  // No file means the query matched nothing (a shop without orders yet): done.
  if (state.url !== null) {
    try {
      await importUrl(step, importing, state.url);
    } catch (error) {
      // A malformed file stays malformed: retrying cannot help, so the run fails with the reason.
      if (error instanceof BulkLineError || error instanceof ResumeMismatchError) return finish(step, importing, error.message);
      throw error;
    }
  }
  await transitionRun(db, run.shop, run.id, ["importing"], "completed", { finishedAt: step.now(), error: null });
  return done(step, run);
}

async function importUrl(step: Step, run: BackfillRunView, url: string): Promise<void> {
  const { runtime, options } = step;
  const file = await openBulkFile(url, run.bytesDone, options.signal);
  await importBulkFile(file.body, { shop: run.shop, runId: run.id, resource: run.resource }, {
    databaseUrl: runtime.database.url,
    mode: stageModeFor(runtime.database.kind),
    resumeFrom: { linesDone: run.linesDone, bytesDone: run.bytesDone },
    sourceStartsAtResume: file.startsAtOffset,
    signal: options.signal,
    batchSize: options.batchSize,
    connections: options.connections,
    onBatch: (totals) =>
      options.onProgress?.({ ...run, linesDone: totals.linesDone, bytesDone: totals.bytesDone, updatedAt: step.now() }, totals),
  });
}

/** Another writer moved the run while this step looked at Shopify: start over from what is stored. */
async function reload(step: Step, api: AdminApi, run: BackfillRunView): Promise<AdvanceOutcome> {
  const fresh = await findRun(step.runtime.db, run.shop, run.id);
  if (!fresh) throw new BackfillRunNotFoundError(run.shop, run.id);
  if (fresh.status === run.status) throw new RunTransitionError(run.id, run.status);
  return advanceLocked({ ...step, options: { ...step.options, api } }, run.shop, run.id);
}

async function finish(step: Step, run: BackfillRunView, reason: string): Promise<AdvanceOutcome> {
  await failRun(step.runtime.db, run.shop, run.id, reason);
  await wakeWaitingRuns(step.runtime, run);
  return done(step, run);
}

async function done(step: Step, run: BackfillRunView): Promise<AdvanceOutcome> {
  const fresh = await findRun(step.runtime.db, run.shop, run.id);
  if (!fresh) throw new BackfillRunNotFoundError(run.shop, run.id);
  return { kind: "done", run: fresh };
}

function wait(step: Step, run: BackfillRunView, reason: string): AdvanceOutcome {
  const waited = step.now().getTime() - run.startedAt.getTime();
  const delayMs = Math.round(Math.min(step.poll.maxMs, Math.max(step.poll.minMs, waited / 4)));
  return { kind: "wait", delayMs, reason };
}

/** The shop's bulk-operation slot is free again: runs waiting for it need not sit out their polling delay. */
export async function wakeWaitingRuns(runtime: Runtime, except: { shop: string; id: string }): Promise<void> {
  for (const waiting of await listActiveRuns(runtime.db, except.shop)) {
    if (waiting.id !== except.id && waiting.status === "requested") await ensureBackfillJob(runtime, waiting.shop, waiting.id);
  }
}
