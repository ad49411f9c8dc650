import type { Database } from "../db/prisma.server";
import type { JobBackend } from "../../jobs/backend.server";
import { recordConversions } from "./attribution.server";
import { activateIfDue, completeCampaign, getCampaign, type CampaignStatus } from "./campaigns.server";
import { decideRecipients, emptyDecisionCounts, type DecisionCounts } from "./decide.server";
import { DISPATCH_AHEAD_MS, dispatchDue, type DispatchCounts } from "./dispatch.server";
import type { DiscountIssuer } from "./discounts.server";
import type { PushOutbox } from "./push-port";
import { shopMessaging } from "./rules.server";

/**
 * One run of a campaign (the `campaign-run` job): decide the members its
 * trigger selects, send what is due, record conversions, and complete the
 * campaign once nothing is left to do. Safe to repeat at any point: every
 * step reads what the previous ones wrote.
 */

export interface CampaignRunDeps {
  db: Database;
  jobs: JobBackend;
  outbox: PushOutbox;
  discounts: () => Promise<DiscountIssuer>;
}

export interface CampaignRunReport {
  shop: string;
  campaignId: string;
  /** What the run found the campaign to be; only a running campaign decides and sends. */
  status: CampaignStatus;
  ran: boolean;
  decided: DecisionCounts;
  dispatched: DispatchCounts;
  conversionsRecorded: number;
  completed: boolean;
}

export async function runCampaign(deps: CampaignRunDeps, shop: string, campaignId: string, now: Date = new Date()): Promise<CampaignRunReport> {
  const campaign = await getCampaign(deps.db, shop, campaignId);
  const report: CampaignRunReport = {
    shop,
    campaignId,
    status: campaign.status,
    ran: false,
    decided: emptyDecisionCounts(),
    dispatched: { sent: 0, skipped: {}, discountCodesCreated: 0 },
    conversionsRecorded: 0,
    completed: false,
  };
  if (campaign.kind === "transactional") return report;
  if (campaign.status === "completed") {
    report.conversionsRecorded = await recordConversions(deps.db, shop, campaignId, now);
    return report;
  }
  if (!(await activateIfDue(deps.db, campaign, now))) {
    // A broadcast is decided a little ahead of its time so its pushes go out on time.
    const broadcastSoon = campaign.kind === "broadcast" && campaign.status === "scheduled" && campaign.startsAt !== null && campaign.startsAt.getTime() - DISPATCH_AHEAD_MS <= now.getTime();
    if (!broadcastSoon) return report;
  }
  report.ran = true;
  const messaging = await shopMessaging(deps.db, shop);
  const ended = campaign.endsAt !== null && campaign.endsAt <= now;
  if (!ended) report.decided = await decideRecipients(deps.db, campaign, messaging, now);
  report.dispatched = await dispatchDue(deps, campaign, messaging, now);
  report.conversionsRecorded = await recordConversions(deps.db, shop, campaignId, now);

  const waiting = await deps.db.campaignRecipient.count({ where: { shop, campaignId, status: "scheduled" } });
  const broadcastDone = campaign.kind === "broadcast" && report.decided.exhausted;
  if (waiting === 0 && (ended || broadcastDone)) {
    await completeCampaign(deps, shop, campaignId);
    report.completed = true;
  }
  return report;
}
