import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import type { Runtime } from "../../app/runtime.server";
import { advanceBackfill, BackfillRunNotFoundError } from "../../app/sync/backfill/advance.server";
import { failRun } from "../../app/sync/backfill/runs.server";
import type { BackfillStatus } from "../../app/sync/backfill/types";
import { jobPayloads } from "../queues";
import { requestRecompute } from "../analytics.server";

export interface BackfillJobResult {
  shop: string;
  runId: string;
  status: BackfillStatus;
}

/**
 * Moves a backfill run forward one step. While Shopify runs the bulk
 * operation the job does not hold a worker: it moves itself back to the
 * delayed set (BullMQ's `moveToDelayed` + DelayedError, same job, same id) for
 * the interval the step asked for. The bulk_operations/finish webhook promotes
 * it early; if that webhook is lost, the next poll finds the outcome.
 * Chosen over adding a fresh delayed job per poll: one job per run keeps the
 * run's history in one place and lets the webhook find it by id.
 */
export async function processBackfill(job: Job, runtime: Runtime): Promise<BackfillJobResult> {
  const parsed = jobPayloads.backfill.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`backfill job invalid: ${parsed.error.issues[0]?.message}`);
  const { shop, runId } = parsed.data;
  let outcome;
  try {
    outcome = await advanceBackfill(runtime, shop, runId);
  } catch (error) {
    if (error instanceof BackfillRunNotFoundError) throw new UnrecoverableError(error.message);
    // The run records why it stopped once retrying is over, so the admin and the CLI can say it.
    if (job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      await failRun(runtime.db, shop, runId, error instanceof Error ? error.message : String(error));
    }
    throw error;
  }
  if (outcome.kind === "done") {
    // The whole history is in: cohorts, the model and segments are recomputed from it.
    if (outcome.run.status === "completed") await requestRecompute(runtime.jobs, shop);
    return { shop, runId, status: outcome.run.status };
  }
  if (job.token === undefined) throw new UnrecoverableError("backfill job has no lock token");
  await job.moveToDelayed(Date.now() + outcome.delayMs, job.token);
  throw new DelayedError(outcome.reason);
}
