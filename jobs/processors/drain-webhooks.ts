import { UnrecoverableError, type Job } from "bullmq";
import type { Runtime } from "../../app/runtime.server";
import { drainWebhooks, type DrainResult } from "../../app/webhooks/drain.server";
import { jobPayloads } from "../queues";

/** Validates the job and drains the shop's received webhook deliveries. */
export async function processDrainWebhooks(job: Job, runtime: Runtime): Promise<DrainResult> {
  const parsed = jobPayloads["drain-webhooks"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`drain-webhooks job invalid: ${parsed.error.issues[0]?.message}`);
  return drainWebhooks(runtime, parsed.data.shop);
}
