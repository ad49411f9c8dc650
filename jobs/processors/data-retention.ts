import { UnrecoverableError, type Job } from "bullmq";
import type { Database } from "../../app/db/prisma.server";
import { applyRetention, retentionChangedAnalytics, type RetentionOutcome } from "../../app/settings/retention.server";
import { requestRecompute } from "../analytics.server";
import type { JobBackend } from "../backend.server";
import { jobPayloads } from "../queues";

/** Validates the payload, deletes what the shop's retention period has run out on, and asks for a recompute when analytics inputs went. */
export async function processDataRetention(job: Job, db: Database, jobs: JobBackend, now: () => Date = () => new Date()): Promise<RetentionOutcome> {
  const parsed = jobPayloads["data-retention"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`data-retention payload invalid: ${parsed.error.issues[0]?.message}`);
  const outcome = await applyRetention(db, parsed.data.shop, now());
  if (retentionChangedAnalytics(outcome)) await requestRecompute(jobs, parsed.data.shop, "full");
  return outcome;
}
