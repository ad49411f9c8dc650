import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { assertNever } from "../lib/assert-never";
import type { CampaignRecord } from "./campaigns.server";
import type { Candidate } from "./decision";
import { addDays } from "./local-clock";
import { rankTastingAudience } from "./tasting.server";

/**
 * Who a run considers: members (customers with a Member row, whatever its
 * status; eligibility then checks consent) the campaign's trigger selects and
 * that have no decision for this campaign yet. The recipient table is the
 * trigger's watermark: a member decided once is never selected again, and a
 * run that stopped half-way resumes where it stopped.
 *
 * - segment-entry: stays in the segment that began at or after the campaign
 *   started and are still open (a member who already left it is not invited);
 * - broadcast: the segment's current members;
 * - a tasting offer that names its item (segment-entry or broadcast): of
 *   those, the ones most likely to want to taste it (rankTastingAudience),
 *   best first, at most `audienceSize` over the campaign's life (every member
 *   decided so far counts, held out or skipped alike) — a broadcast's
 *   audience is exactly the segment's top N, a segment-entry campaign's the
 *   best of those who have entered by each run. The others are not candidates
 *   at all; the holdout is drawn among the chosen, as for any campaign;
 * - second-visit: one visit so far, whose predicted window (MemberFeature
 *   dueFrom–dueUntil, else first visit + the cohort's median gap, once to
 *   twice that) opens by tomorrow and has not closed;
 * - win-back: two visits or more, whose window closed without a visit in the
 *   last WIN_BACK_LOOKBACK_DAYS days (lapsing, not long gone).
 */

export const WIN_BACK_LOOKBACK_DAYS = 28;

interface CandidateRow {
  customerId: string;
  dueFrom: Date | null;
  dueUntil: Date | null;
}

export async function selectCandidates(
  db: Database,
  campaign: CampaignRecord,
  options: { today: Date; since: Date; limit: number },
): Promise<Candidate[]> {
  const { shop, id } = campaign;
  const fresh = (column: Prisma.Sql) => Prisma.sql`
    EXISTS (SELECT 1 FROM "Member" m WHERE m.shop = ${shop} AND m."customerId" = ${column})
    AND NOT EXISTS (SELECT 1 FROM "CampaignRecipient" r WHERE r.shop = ${shop} AND r."campaignId" = ${id} AND r."customerId" = ${column})`;
  const limit = options.limit;
  switch (campaign.kind) {
    case "segment-entry":
    case "broadcast": {
      const segmentId = campaign.segmentId ?? "";
      const entered = campaign.kind === "segment-entry" ? Prisma.sql`AND s."enteredAt" >= ${options.since}::timestamp` : Prisma.empty;
      const tasting = campaign.offer?.tasting;
      if (tasting) {
        const decided = await db.campaignRecipient.count({ where: { shop, campaignId: id } });
        const room = Math.min(limit, tasting.audienceSize === null ? limit : tasting.audienceSize - decided);
        if (room <= 0) return [];
        const inSegment = await db.$queryRaw<Array<{ customerId: string }>>`
          SELECT DISTINCT s."customerId" FROM "SegmentMembership" s
          WHERE s.shop = ${shop} AND s."segmentId" = ${segmentId} AND s."exitedAt" IS NULL ${entered}
            AND ${fresh(Prisma.sql`s."customerId"`)}`;
        const open = new Set(inSegment.map((row) => row.customerId));
        if (open.size === 0) return [];
        const ranked = await rankTastingAudience(db, shop, id, tasting);
        return ranked
          .filter((member) => open.has(member.customerId))
          .slice(0, room)
          .map((member) => ({ customerId: member.customerId, dueFrom: null, dueUntil: null }));
      }
      return db.$queryRaw<CandidateRow[]>`
        SELECT DISTINCT s."customerId", NULL::date AS "dueFrom", NULL::date AS "dueUntil"
        FROM "SegmentMembership" s
        WHERE s.shop = ${shop} AND s."segmentId" = ${segmentId} AND s."exitedAt" IS NULL ${entered}
          AND ${fresh(Prisma.sql`s."customerId"`)}
        ORDER BY s."customerId" LIMIT ${limit}`;
    }
    case "second-visit": {
      const tomorrow = addDays(options.today, 1);
      return db.$queryRaw<CandidateRow[]>`
        WITH cohort AS (
          SELECT pattern, percentile_cont(0.5) WITHIN GROUP (ORDER BY "gapMedianDays") AS gap
          FROM "MemberFeature" WHERE shop = ${shop} AND "gapCount" > 0 AND "gapMedianDays" IS NOT NULL
          GROUP BY pattern
        ),
        overall AS (
          SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY "gapMedianDays") AS gap
          FROM "MemberFeature" WHERE shop = ${shop} AND "gapCount" > 0 AND "gapMedianDays" IS NOT NULL
        ),
        windows AS (
          SELECT f."customerId",
            COALESCE(f."dueFrom", f."firstVisitOn" + GREATEST(1, round(COALESCE(c.gap, o.gap)))::int) AS "dueFrom",
            COALESCE(f."dueUntil", f."firstVisitOn" + GREATEST(2, round(2 * COALESCE(c.gap, o.gap)))::int) AS "dueUntil"
          FROM "MemberFeature" f LEFT JOIN cohort c ON c.pattern = f.pattern CROSS JOIN overall o
          WHERE f.shop = ${shop} AND f."visitCount" = 1
        )
        SELECT w."customerId", w."dueFrom", w."dueUntil" FROM windows w
        WHERE w."dueFrom" <= ${tomorrow}::date AND w."dueUntil" >= ${options.today}::date
          AND ${fresh(Prisma.sql`w."customerId"`)}
        ORDER BY w."customerId" LIMIT ${limit}`;
    }
    case "win-back": {
      const earliest = addDays(options.today, -WIN_BACK_LOOKBACK_DAYS);
      return db.$queryRaw<CandidateRow[]>`
        SELECT f."customerId", f."dueFrom", f."dueUntil" FROM "MemberFeature" f
        WHERE f.shop = ${shop} AND f."visitCount" >= 2
          AND f."dueUntil" < ${options.today}::date AND f."dueUntil" >= ${earliest}::date
          AND ${fresh(Prisma.sql`f."customerId"`)}
        ORDER BY f."customerId" LIMIT ${limit}`;
    }
    case "transactional":
      // Sent on request (sendTransactional), never selected by a run.
      return [];
    default:
      return assertNever(campaign.kind, "campaign kind");
  }
}
