import type { Runtime } from "../../runtime.server";
import { enqueue } from "../../../jobs/enqueue.server";
import { jobQueues } from "../../../jobs/queues";

/**
 * Each run has exactly one `backfill` job, with an id derived from the run:
 * re-requesting a run finds its job instead of adding a second, and the
 * bulk_operations/finish webhook can wake the job from its polling delay.
 */
export function backfillJobId(runId: string): string {
  return `backfill-${runId}`;
}

export type JobNudge = "added" | "woken" | "restarted" | "queued";

/**
 * Makes sure the run's job exists and runs soon: adds it if missing, wakes it
 * if it is waiting out a polling delay, restarts it if it ended while the run
 * is still unfinished (a crash between the last attempt and recording the failure).
 */
export async function ensureBackfillJob(runtime: Runtime, shop: string, runId: string): Promise<JobNudge> {
  const id = backfillJobId(runId);
  const job = await runtime.jobs.queue(jobQueues.backfill).getJob(id);
  if (!job) {
    await enqueue(runtime.jobs, "backfill", { shop, runId }, { jobId: id });
    return "added";
  }
  const state = await job.getState();
  if (state === "delayed") {
    // It may have left the delayed set since getState; then it is about to run anyway.
    await job.promote().catch(() => {});
    return "woken";
  }
  if (state === "completed" || state === "failed") {
    await job.retry(state);
    return "restarted";
  }
  return "queued";
}
