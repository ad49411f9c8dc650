import { UnrecoverableError, type Job } from "bullmq";
import { AnalyticsShopNotFoundError, InvalidShopSettingsError } from "../../app/analytics/dayparts";
import { recomputeShop, type RecomputeResult } from "../../app/analytics/recompute.server";
import { requestEntryCampaignRuns } from "../../app/campaigns/entry-trigger.server";
import type { Database } from "../../app/db/prisma.server";
import type { JobBackend } from "../backend.server";
import { jobPayloads } from "../queues";
import { refreshStartedBy } from "./analytics-members";

export interface AnalyticsRecomputeResult {
  shop: string;
  kind: RecomputeResult["kind"];
  runId: string;
  until: string;
  visits: number;
  members: number;
  model: RecomputeResult["model"];
  /** Segment-entry campaigns asked to run because their segment gained members. */
  campaignRuns: string[];
}

/**
 * Validates the payload and recomputes the shop's analytics up to its local
 * yesterday, reporting each step as the job's progress. The run's own row
 * (AnalyticsRun) records failures for the admin; retries redo only work that
 * changed, since every step is idempotent. Members who entered a segment
 * (the nightly run moves "due to return" as days pass) get their
 * segment-entry campaigns' decisions now.
 */
export async function processAnalyticsRecompute(job: Job, db: Database, jobs: JobBackend): Promise<AnalyticsRecomputeResult> {
  const parsed = jobPayloads["analytics-recompute"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`analytics-recompute payload invalid: ${parsed.error.issues[0]?.message}`);
  const { shop, kind } = parsed.data;
  const since = refreshStartedBy(job);
  let result: RecomputeResult;
  // Progress is written in order, and all of it before the job completes; a lost write only costs the display.
  let progressWrites = Promise.resolve();
  try {
    result = await recomputeShop(db, shop, {
      kind,
      onProgress: (progress) => {
        progressWrites = progressWrites.then(() => job.updateProgress({ ...progress })).catch(() => {});
      },
    });
    await progressWrites;
  } catch (error) {
    if (error instanceof AnalyticsShopNotFoundError || error instanceof InvalidShopSettingsError) throw new UnrecoverableError(error.message);
    throw error;
  }
  const campaignRuns = result.segments.entered > 0 || job.attemptsMade > 0 ? await requestEntryCampaignRuns({ db, jobs }, shop, since) : [];
  return {
    shop,
    kind: result.kind,
    runId: result.runId,
    until: result.until.toISOString().slice(0, 10),
    visits: result.visits,
    members: result.members,
    model: result.model,
    campaignRuns,
  };
}
