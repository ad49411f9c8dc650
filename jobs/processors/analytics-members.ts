import { UnrecoverableError, type Job } from "bullmq";
import { AnalyticsShopNotFoundError, InvalidShopSettingsError } from "../../app/analytics/dayparts";
import { updateMembersAfterOrders, type MemberUpdateResult } from "../../app/analytics/incremental.server";
import { requestEntryCampaignRuns } from "../../app/campaigns/entry-trigger.server";
import type { Database } from "../../app/db/prisma.server";
import type { JobBackend } from "../backend.server";
import { jobPayloads } from "../queues";

/**
 * Validates the payload and brings those members' analytics up to date;
 * rerunning changes nothing. Members who entered a segment get their
 * segment-entry campaigns' decisions now (a campaign run per campaign).
 */
export async function processAnalyticsMembers(job: Job, db: Database, jobs: JobBackend): Promise<MemberUpdateResult & { shop: string; campaignRuns: string[] }> {
  const parsed = jobPayloads["analytics-members"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`analytics-members payload invalid: ${parsed.error.issues[0]?.message}`);
  const { shop, customerIds } = parsed.data;
  const since = refreshStartedBy(job);
  try {
    const result = await updateMembersAfterOrders(db, shop, customerIds);
    // A retry finds the entries its first attempt made already there: look for them anyway.
    const campaignRuns = result.segmentsEntered > 0 || job.attemptsMade > 0 ? await requestEntryCampaignRuns({ db, jobs }, shop, since) : [];
    return { shop, ...result, campaignRuns };
  } catch (error) {
    // A shop that is gone, or settings that cannot be used, stay so on a retry; the owner fixes the settings.
    if (error instanceof AnalyticsShopNotFoundError || error instanceof InvalidShopSettingsError) throw new UnrecoverableError(error.message);
    throw error;
  }
}

/**
 * Entries this job made are no older than the job (its first attempt included);
 * this worker's clock is taken too, in case the enqueuing process's runs ahead.
 */
export function refreshStartedBy(job: Pick<Job, "timestamp">, now: Date = new Date()): Date {
  return new Date(Math.min(job.timestamp, now.getTime()));
}
