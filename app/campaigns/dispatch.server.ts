import type { Database } from "../db/prisma.server";
import type { CampaignRecord } from "./campaigns.server";
import { discountCodeFor, DiscountRejectedError, type DiscountIssuer } from "./discounts.server";
import { reachability } from "./eligibility";
import { loadMemberFacts } from "./facts.server";
import { renderNotification } from "./notification";
import { linkWithSlot, placementValues, type Placement, type PlacementResult } from "./order-ahead";
import { isOrderAhead, placeDueInvitations } from "./order-ahead.server";
import { campaignDeliveryId, type OutgoingPush, type PushOutbox } from "./push-port";
import type { ShopMessaging } from "./rules.server";

/**
 * The send pass of a run: treatment recipients whose send time is near are
 * handed to the push layer under their deterministic delivery id, then
 * marked sent. A crash after the hand-over and before the mark makes the
 * next run hand the same ids over again, which the push layer recognises as
 * duplicates: each member is sent the campaign once.
 *
 * Just before sending, consent and subscriptions are checked again (a member
 * may have left since the decision). Such a member stays in the treatment
 * arm with their skip reason: the comparison with the holdout is by
 * intention to treat, since the holdout's members would have dropped out
 * the same way unseen.
 */

/** Recipients due within this much of now are handed over (the push layer holds them until their time). */
export const DISPATCH_AHEAD_MS = 10 * 60_000;
/** An invitation more than this late (the worker was down) is not sent: it would arrive after the visit it invites to. */
export const STALE_AFTER_MS = 2 * 3_600_000;
/** Campaign pushes are worth delivering for this long; an invitation older than that is noise. */
export const CAMPAIGN_PUSH_TTL_SECONDS = 4 * 3600;
const DISPATCH_BATCH = 200;
const SHOPIFY_CUSTOMER_ID = /^[1-9][0-9]{0,19}$/;

export interface DispatchDeps {
  db: Database;
  outbox: PushOutbox;
  /** Created on first need (an Admin API client for the shop). */
  discounts: () => Promise<DiscountIssuer>;
}

export interface DispatchCounts {
  sent: number;
  skipped: Record<string, number>;
  discountCodesCreated: number;
}

type Recipient = Awaited<ReturnType<Database["campaignRecipient"]["findMany"]>>[number];

export async function dispatchDue(deps: DispatchDeps, campaign: CampaignRecord, messaging: ShopMessaging, now: Date): Promise<DispatchCounts> {
  const counts: DispatchCounts = { sent: 0, skipped: {}, discountCodesCreated: 0 };
  const horizon = new Date(now.getTime() + DISPATCH_AHEAD_MS);
  const context: BatchContext = { deps, campaign, messaging, now, counts, issuer: null };
  for (;;) {
    const due = await deps.db.campaignRecipient.findMany({
      where: { shop: campaign.shop, campaignId: campaign.id, arm: "treatment", status: "scheduled", scheduledFor: { lte: horizon } },
      orderBy: [{ scheduledFor: "asc" }, { customerId: "asc" }],
      take: DISPATCH_BATCH,
    });
    if (due.length === 0) break;
    await dispatchBatch(context, due);
    if (due.length < DISPATCH_BATCH) break;
  }
  return counts;
}

interface BatchContext {
  deps: DispatchDeps;
  campaign: CampaignRecord;
  messaging: ShopMessaging;
  now: Date;
  counts: DispatchCounts;
  issuer: DiscountIssuer | null;
}

async function dispatchBatch(context: BatchContext, due: Recipient[]): Promise<void> {
  const { deps, campaign, messaging, now, counts } = context;
  const facts = await loadMemberFacts(deps.db, { shop: campaign.shop, campaignId: null, customerIds: due.map((r) => r.customerId), now, messaging });
  // An order-ahead invitation names a slot chosen with the capacity left now (app/campaigns/order-ahead.ts).
  const placements: Map<string, PlacementResult> | null = isOrderAhead(campaign) ? await placeDueInvitations(deps.db, campaign.shop, due, now) : null;
  const outgoing: OutgoingPush[] = [];
  for (const recipient of due) {
    const sendAt = recipient.scheduledFor ?? now;
    const placed: PlacementResult | null = placements ? (placements.get(recipient.customerId) ?? { ok: false, reason: "no-pickup-capacity" }) : null;
    const fact = facts.get(recipient.customerId);
    const unreachable = fact ? reachability(fact, "marketing") : "consent";
    if (sendAt.getTime() < now.getTime() - STALE_AFTER_MS) await skip(context, recipient.customerId, "missed-send-time");
    else if (unreachable) await skip(context, recipient.customerId, unreachable);
    else if (!SHOPIFY_CUSTOMER_ID.test(recipient.customerId)) await skip(context, recipient.customerId, "no-subscription");
    else if (placed && !placed.ok) await skip(context, recipient.customerId, placed.reason);
    else {
      const push = await prepare(context, recipient, sendAt, placed);
      if (push) outgoing.push(push);
    }
  }
  if (outgoing.length === 0) return;
  const outcomes = await deps.outbox.send(outgoing);
  const handed: OutgoingPush[] = [];
  for (const [index, push] of outgoing.entries()) {
    if ((outcomes[index]?.queued ?? 0) > 0) handed.push(push);
    else await skip(context, push.customerId, "no-subscription");
  }
  if (handed.length === 0) return;
  const marked = await deps.db.$executeRaw`
    UPDATE "CampaignRecipient" r SET status = 'sent', "deliveryId" = h.delivery_id
    FROM unnest(${handed.map((p) => p.customerId)}::text[], ${handed.map((p) => p.deliveryId)}::text[]) AS h(customer_id, delivery_id)
    WHERE r.shop = ${campaign.shop} AND r."campaignId" = ${campaign.id} AND r."customerId" = h.customer_id AND r.status = 'scheduled'`;
  counts.sent += marked;
}

/** The message for one recipient, with their discount code created first when the offer has one; null when skipped. */
async function prepare(context: BatchContext, recipient: Recipient, sendAt: Date, placement: Placement | null): Promise<OutgoingPush | null> {
  const { deps, campaign, now } = context;
  const variant = campaign.variants.find((v) => v.id === recipient.variantId) ?? campaign.variants[0];
  if (!variant) throw new Error(`campaign ${campaign.id} has no variants`);
  const discount = campaign.offer?.discount ?? null;
  let code = recipient.discountCode;
  if (discount && code === null) {
    context.issuer ??= await deps.discounts();
    const wanted = discountCodeFor(campaign.shop, campaign.id, recipient.customerId);
    try {
      const issued = await context.issuer.issue({
        code: wanted,
        customerId: recipient.customerId,
        percentOff: discount.percentOff,
        title: `${campaign.name} (${wanted})`,
        startsAt: new Date(Math.min(sendAt.getTime(), now.getTime())),
        endsAt: new Date(sendAt.getTime() + discount.validHours * 3_600_000),
      });
      if (issued.created) context.counts.discountCodesCreated++;
      code = issued.code;
    } catch (error) {
      if (!(error instanceof DiscountRejectedError)) throw error;
      await skip(context, recipient.customerId, "discount-refused");
      return null;
    }
    // Recorded before the push goes, so the code in the message is always the one on the row.
    await deps.db.campaignRecipient.updateMany({
      where: { shop: campaign.shop, campaignId: campaign.id, customerId: recipient.customerId },
      data: { discountCode: code },
    });
  }
  const values: Record<string, string> = { ...(discount && code ? { code, percentOff: String(discount.percentOff) } : {}), ...(placement ? placementValues(placement) : {}) };
  return {
    shop: campaign.shop,
    deliveryId: campaignDeliveryId(campaign.shop, campaign.id, recipient.customerId),
    customerId: recipient.customerId,
    campaignId: campaign.id,
    kind: "campaign",
    notification: renderNotification(placement ? { ...variant, url: linkWithSlot(variant.url, placement) } : variant, { values, discountCode: code }),
    sendAt: sendAt < now ? now : sendAt,
    ttlSeconds: CAMPAIGN_PUSH_TTL_SECONDS,
    urgency: "normal",
    topic: null,
  };
}

async function skip(context: BatchContext, customerId: string, reason: string): Promise<void> {
  const { deps, campaign, counts } = context;
  await deps.db.campaignRecipient.updateMany({
    where: { shop: campaign.shop, campaignId: campaign.id, customerId, status: "scheduled" },
    data: { status: "skipped", skipReason: reason },
  });
  counts.skipped[reason] = (counts.skipped[reason] ?? 0) + 1;
}
