import { UnrecoverableError, type Job } from "bullmq";
import { CampaignNotFoundError, StoredCampaignError } from "../../app/campaigns/campaigns.server";
import { campaignRunDeps } from "../../app/campaigns/run-deps.server";
import { runCampaign, type CampaignRunReport } from "../../app/campaigns/run.server";
import type { Runtime } from "../../app/runtime.server";
import { AdminApiError } from "../../app/shopify/admin-api.server";
import { jobPayloads } from "../queues";

/** Validates the payload and runs the campaign once; the next scheduled run picks up anything left. */
export async function processCampaignRun(job: Job, runtime: Runtime): Promise<CampaignRunReport> {
  const parsed = jobPayloads["campaign-run"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`campaign-run payload invalid: ${parsed.error.issues[0]?.message}`);
  const { shop, campaignId } = parsed.data;
  try {
    return await runCampaign(campaignRunDeps(runtime, shop), shop, campaignId);
  } catch (error) {
    // A deleted or unreadable campaign, or a shop without an offline session (uninstalled): retrying cannot fix these.
    if (error instanceof CampaignNotFoundError || error instanceof StoredCampaignError) throw new UnrecoverableError(error.message);
    if (error instanceof AdminApiError && error.message.startsWith("No offline session")) throw new UnrecoverableError(error.message);
    throw error;
  }
}
