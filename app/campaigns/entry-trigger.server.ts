import type { Database } from "../db/prisma.server";
import type { JobBackend } from "../../jobs/backend.server";
import { requestCampaignRun } from "./jobs.server";

/**
 * "A member enters the segment → the campaign decides for them" without
 * waiting for the campaign's next scheduled run: after a segment refresh, the
 * shop's running segment-entry campaigns whose segment gained a member (still
 * in it) get a run now. A run is idempotent, so asking for one that finds
 * nothing new costs one query; the scheduled runs stay as the safety net.
 */

/**
 * The shop's segment-entry campaigns that are running (active, or scheduled
 * with their start reached) and whose segment has a stay that began at or
 * after `since` (and after the campaign's start) and is still open.
 */
export async function campaignsWithNewEntries(db: Database, shop: string, since: Date, now: Date = new Date()): Promise<string[]> {
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    SELECT c.id FROM "Campaign" c
    WHERE c.shop = ${shop} AND c.kind = 'segment-entry' AND c."segmentId" IS NOT NULL
      AND (c.status = 'active' OR (c.status = 'scheduled' AND c."startsAt" <= ${now}::timestamp))
      AND (c."endsAt" IS NULL OR c."endsAt" > ${now}::timestamp)
      AND EXISTS (
        SELECT 1 FROM "SegmentMembership" s
        WHERE s.shop = c.shop AND s."segmentId" = c."segmentId" AND s."exitedAt" IS NULL
          AND s."enteredAt" >= GREATEST(${since}::timestamp, COALESCE(c."startsAt", c."createdAt"))
      )
    ORDER BY c.id`;
  return rows.map((row) => row.id);
}

/** Asks for a run of each campaign that `campaignsWithNewEntries` finds; returns their ids. */
export async function requestEntryCampaignRuns(deps: { db: Database; jobs: JobBackend }, shop: string, since: Date): Promise<string[]> {
  const campaignIds = await campaignsWithNewEntries(deps.db, shop, since);
  for (const campaignId of campaignIds) await requestCampaignRun(deps.jobs, shop, campaignId);
  return campaignIds;
}
