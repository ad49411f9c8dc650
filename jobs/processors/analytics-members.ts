import { UnrecoverableError, type Job } from "bullmq";
import { AnalyticsShopNotFoundError, InvalidShopSettingsError } from "../../app/analytics/dayparts";
import { updateMembersAfterOrders, type MemberUpdateResult } from "../../app/analytics/incremental.server";
import type { Database } from "../../app/db/prisma.server";
import { jobPayloads } from "../queues";

/** Validates the payload and brings those members' analytics up to date; rerunning changes nothing. */
export async function processAnalyticsMembers(job: Job, db: Database): Promise<MemberUpdateResult & { shop: string }> {
  const parsed = jobPayloads["analytics-members"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`analytics-members payload invalid: ${parsed.error.issues[0]?.message}`);
  const { shop, customerIds } = parsed.data;
  try {
    return { shop, ...(await updateMembersAfterOrders(db, shop, customerIds)) };
  } catch (error) {
    // A shop that is gone, or settings that cannot be used, stay so on a retry; the owner fixes the settings.
    if (error instanceof AnalyticsShopNotFoundError || error instanceof InvalidShopSettingsError) throw new UnrecoverableError(error.message);
    throw error;
  }
}
