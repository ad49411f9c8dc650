import { DelayedError, UnrecoverableError, type Job } from "bullmq";
import { jobLog } from "../app/lib/log.server";
import { metrics } from "../app/lib/metrics.server";
import { isJobKind, type QueueName } from "./queues";

/**
 * Wraps every job run of the workers (jobs/workers.server.ts): its wait and
 * processing time go to the metrics, its failure to the log with the queue,
 * job kind, job id, attempt and shop — never the job's data otherwise.
 *
 * Outcomes: "completed"; "delayed" (the job moved itself back to the delayed
 * set, e.g. a backfill polling its bulk operation — not a failure); "failed"
 * (this attempt threw; logged as a warning while retries remain, as an error
 * once none do or the error is unrecoverable).
 */
export async function observeJob<T>(queue: QueueName, job: Job, run: () => Promise<T>, clock: () => number = Date.now): Promise<T> {
  const { jobDuration, jobWait } = metrics();
  const kind = isJobKind(job.name) ? job.name : "unknown";
  // Later starts (retries after backoff, a job that delayed itself) measure their own history, not queueing.
  if (job.attemptsStarted <= 1) {
    const dueAt = job.timestamp + (job.opts.delay ?? 0);
    jobWait.observe({ queue, job: kind }, Math.max(0, (job.processedOn ?? clock()) - dueAt) / 1000);
  }
  const started = performance.now();
  const seconds = () => (performance.now() - started) / 1000;
  try {
    const result = await run();
    const duration = seconds();
    jobDuration.observe({ queue, job: kind, outcome: "completed" }, duration);
    jobLog(job).debug({ durationMs: Math.round(duration * 1000) }, "job completed");
    return result;
  } catch (error) {
    const duration = seconds();
    const durationMs = Math.round(duration * 1000);
    if (error instanceof DelayedError) {
      jobDuration.observe({ queue, job: kind, outcome: "delayed" }, duration);
      jobLog(job).debug({ durationMs }, "job moved back to the delayed set");
      throw error;
    }
    jobDuration.observe({ queue, job: kind, outcome: "failed" }, duration);
    const final = error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (final) jobLog(job).error({ err: error, durationMs }, "job failed");
    else jobLog(job).warn({ err: error, durationMs }, "job attempt failed; it will be retried");
    throw error;
  }
}
