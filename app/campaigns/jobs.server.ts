import type { JobBackend } from "../../jobs/backend.server";
import { enqueue } from "../../jobs/enqueue.server";
import { jobPayloads, jobQueues } from "../../jobs/queues";

/**
 * Each running campaign has one job scheduler on the `campaigns` queue that
 * adds a `campaign-run` job every few minutes. A run is idempotent (one
 * recipient row per member, deterministic delivery ids), so an extra or
 * repeated run changes nothing; upserting the scheduler keeps scheduling
 * idempotent too.
 */

/** How often a campaign's run looks for new members and due sends. */
export const CAMPAIGN_RUN_EVERY_MS = 5 * 60_000;

const schedulerId = (shop: string, campaignId: string) => `campaign-run:${shop}:${campaignId}`;

export async function scheduleCampaignRuns(jobs: JobBackend, shop: string, campaignId: string): Promise<void> {
  const data = jobPayloads["campaign-run"].parse({ shop, campaignId });
  await jobs
    .queue(jobQueues["campaign-run"])
    .upsertJobScheduler(schedulerId(shop, campaignId), { every: CAMPAIGN_RUN_EVERY_MS }, { name: "campaign-run", data });
}

export async function unscheduleCampaignRuns(jobs: JobBackend, shop: string, campaignId: string): Promise<void> {
  await jobs.queue(jobQueues["campaign-run"]).removeJobScheduler(schedulerId(shop, campaignId));
}

/**
 * Asks for one run of a campaign now (members just entered its segment). At
 * most one such run waits per campaign: asking again while one waits adds
 * nothing, and while one runs queues one more behind it, since the running
 * one may have looked for members before they entered.
 */
export async function requestCampaignRun(jobs: JobBackend, shop: string, campaignId: string): Promise<string> {
  return enqueue(jobs, "campaign-run", { shop, campaignId }, {
    deduplication: { id: `campaign-run-${shop}-${campaignId}`, keepLastIfActive: true },
    removeOnComplete: { age: 3600, count: 1_000 },
  });
}
