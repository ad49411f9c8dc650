import { campaignArm, pickVariant, type Arm } from "./assignment";
import type { CampaignDefinition } from "./definition";
import { decideEligibility, type Eligibility, type MemberFacts, type MessagingRules, type SkipReason, type Timing } from "./eligibility";
import { addDays, localDateOf } from "./local-clock";
import type { OrderAheadSkipReason } from "./order-ahead";

/**
 * A member's place in a campaign, decided once (pure): eligibility first,
 * then the experiment arm. The holdout is drawn among eligible members only,
 * with the send time they would have had, so the two arms are comparable:
 * same rules, same timing, the push the only difference.
 *
 * Row written        | arm               | status    | skipReason | scheduledFor
 * eligible, treated  | treatment         | scheduled | null       | send time
 * eligible, held out | holdout           | skipped   | holdout    | would-be send time
 * not eligible       | (hash, for audit) | skipped   | the rule   | null
 */

/** Eligibility's reasons, the holdout, and an order-ahead invitation's pickup reasons (app/campaigns/order-ahead.ts). */
export type RecipientSkipReason = SkipReason | "holdout" | OrderAheadSkipReason;

/** A member a campaign's trigger selected. */
export interface Candidate {
  customerId: string;
  /** Local dates of the predicted window (second-visit). */
  dueFrom: Date | null;
  dueUntil: Date | null;
}

export interface RecipientDecision {
  customerId: string;
  arm: Arm;
  variantId: string | null;
  status: "scheduled" | "skipped";
  skipReason: RecipientSkipReason | null;
  scheduledFor: Date | null;
  deferredByQuietHours: boolean;
}

type CampaignForDecision = Pick<CampaignDefinition, "kind" | "variants" | "holdoutPercent" | "leadMinutes" | "startsAt" | "endsAt"> & { shop: string; id: string };

/** How long a broadcast stays worth sending after its time when it sets no end. */
export const BROADCAST_DEFAULT_WINDOW_MS = 24 * 3_600_000;

/** The timing a campaign asks for, for one candidate. */
export function timingFor(campaign: CampaignForDecision, candidate: Candidate, rules: MessagingRules, now: Date): Timing {
  const latestAt = campaign.endsAt;
  const today = localDateOf(now, rules.timezone);
  switch (campaign.kind) {
    case "broadcast": {
      const at = campaign.startsAt ?? now;
      return { kind: "at", at, latestAt: latestAt ?? new Date(at.getTime() + BROADCAST_DEFAULT_WINDOW_MS) };
    }
    case "second-visit":
      return { kind: "before-usual-visit", leadMinutes: campaign.leadMinutes, fromDay: candidate.dueFrom ?? today, untilDay: candidate.dueUntil, latestAt };
    case "segment-entry":
    case "win-back":
    case "transactional":
      return { kind: "before-usual-visit", leadMinutes: campaign.leadMinutes, fromDay: today, untilDay: addDays(today, 1), latestAt };
  }
}

export function decideRecipient(
  campaign: CampaignForDecision,
  candidate: Candidate,
  facts: MemberFacts,
  rules: MessagingRules,
  now: Date,
): RecipientDecision {
  const eligibility: Eligibility = decideEligibility({ purpose: "marketing", facts, rules, timing: timingFor(campaign, candidate, rules, now), now });
  const arm = campaignArm(campaign.shop, campaign.id, candidate.customerId, campaign.holdoutPercent);
  const base = { customerId: candidate.customerId, arm };
  if (!eligibility.eligible) {
    return { ...base, variantId: null, status: "skipped", skipReason: eligibility.reason, scheduledFor: null, deferredByQuietHours: false };
  }
  if (arm === "holdout") {
    return { ...base, variantId: null, status: "skipped", skipReason: "holdout", scheduledFor: eligibility.sendAt, deferredByQuietHours: eligibility.deferredByQuietHours };
  }
  const variant = pickVariant(campaign.shop, campaign.id, candidate.customerId, campaign.variants);
  return { ...base, variantId: variant.id, status: "scheduled", skipReason: null, scheduledFor: eligibility.sendAt, deferredByQuietHours: eligibility.deferredByQuietHours };
}
