import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import type { CampaignRecord } from "./campaigns.server";
import { selectCandidates } from "./candidates.server";
import { decideRecipient, type RecipientDecision, type RecipientSkipReason } from "./decision";
import { loadMemberFacts } from "./facts.server";
import { localDateOf } from "./local-clock";
import type { ShopMessaging } from "./rules.server";
import { decisionDays, isOrderAhead, loadOrderAheadBook } from "./order-ahead.server";
import { placeDecisions } from "./order-ahead";

/**
 * The decision pass of a run: candidates in batches; for each batch, under
 * the shop's messaging lock, the facts are read and every member gets exactly
 * one recipient row (INSERT … ON CONFLICT DO NOTHING: a decision already made,
 * by an earlier run or a racing one, stands).
 *
 * The lock serialises decisions of all of a shop's campaigns, so two
 * campaigns deciding at once cannot both take a member's last place under
 * the frequency cap.
 */

export interface DecisionCounts {
  treatment: number;
  holdout: number;
  skipped: Partial<Record<RecipientSkipReason, number>>;
  deferredByQuietHours: number;
  /** Whether the trigger had nobody left to decide (a broadcast is then fully decided). */
  exhausted: boolean;
}

export const DECISION_BATCH = 500;

export function emptyDecisionCounts(): DecisionCounts {
  return { treatment: 0, holdout: 0, skipped: {}, deferredByQuietHours: 0, exhausted: false };
}

export async function decideRecipients(
  db: Database,
  campaign: CampaignRecord,
  messaging: ShopMessaging,
  now: Date,
  options: { batchSize?: number; maxBatches?: number } = {},
): Promise<DecisionCounts> {
  const counts = emptyDecisionCounts();
  const batchSize = options.batchSize ?? DECISION_BATCH;
  const maxBatches = options.maxBatches ?? Number.POSITIVE_INFINITY;
  const today = localDateOf(now, messaging.timezone);
  const since = campaign.startsAt ?? campaign.createdAt;
  for (let batch = 0; batch < maxBatches; batch++) {
    const candidates = await selectCandidates(db, campaign, { today, since, limit: batchSize });
    if (candidates.length === 0) {
      counts.exhausted = true;
      break;
    }
    // An order-ahead invitation names a pickup slot: what that needs is read before the lock is taken.
    const book = isOrderAhead(campaign)
      ? await loadOrderAheadBook(db, campaign.shop, { customerIds: candidates.map((c) => c.customerId), days: decisionDays(campaign, today, messaging.timezone), now })
      : null;
    const written = await db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`regulars:messaging:${campaign.shop}`}, 0))`;
      const facts = await loadMemberFacts(tx, { shop: campaign.shop, campaignId: campaign.id, customerIds: candidates.map((c) => c.customerId), now, messaging });
      const decisions: RecipientDecision[] = [];
      for (const candidate of candidates) {
        const fact = facts.get(candidate.customerId);
        if (fact && !fact.alreadyRecipient) decisions.push(decideRecipient(campaign, candidate, fact, messaging, now));
      }
      return insertDecisions(tx, campaign, book ? placeDecisions(book, decisions) : decisions, now);
    });
    for (const decision of written) tally(counts, decision);
    if (candidates.length < batchSize) {
      counts.exhausted = true;
      break;
    }
  }
  return counts;
}

function tally(counts: DecisionCounts, decision: RecipientDecision): void {
  if (decision.deferredByQuietHours) counts.deferredByQuietHours++;
  if (decision.status === "scheduled") counts.treatment++;
  else if (decision.skipReason === "holdout") counts.holdout++;
  else if (decision.skipReason) counts.skipped[decision.skipReason] = (counts.skipped[decision.skipReason] ?? 0) + 1;
}

type Tx = Pick<Database, "$queryRaw">;

/** Inserts the rows; returns the decisions that were actually written (not already there). */
async function insertDecisions(tx: Tx, campaign: CampaignRecord, decisions: RecipientDecision[], now: Date): Promise<RecipientDecision[]> {
  if (decisions.length === 0) return [];
  const values = decisions.map(
    (d) =>
      Prisma.sql`(${campaign.shop}, ${campaign.id}, ${d.customerId}, ${d.arm}, ${d.variantId}, ${d.status}, ${d.skipReason}, ${d.scheduledFor}::timestamp, ${now}::timestamp)`,
  );
  const inserted = await tx.$queryRaw<Array<{ customerId: string }>>`
    INSERT INTO "CampaignRecipient" (shop, "campaignId", "customerId", arm, "variantId", status, "skipReason", "scheduledFor", "decidedAt")
    VALUES ${Prisma.join(values)}
    ON CONFLICT (shop, "campaignId", "customerId") DO NOTHING
    RETURNING "customerId"`;
  const written = new Set(inserted.map((row) => row.customerId));
  return decisions.filter((d) => written.has(d.customerId));
}
