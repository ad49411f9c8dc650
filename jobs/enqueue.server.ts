import type { JobsOptions } from "bullmq";
import type { JobBackend } from "./backend.server";
import { jobPayloads, jobQueues, type JobKind, type JobPayload } from "./queues";

/** Validates a payload against its kind's schema and adds the job to the kind's queue. */
export async function enqueue<K extends JobKind>(
  jobs: JobBackend,
  kind: K,
  payload: JobPayload<K>,
  options: JobsOptions = {},
): Promise<string> {
  const data = jobPayloads[kind].parse(payload);
  const job = await jobs.queue(jobQueues[kind]).add(kind, data, options);
  if (job.id === undefined) throw new Error(`queue did not assign an id to the ${kind} job`);
  return job.id;
}
