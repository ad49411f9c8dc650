import type { Database } from "../db/prisma.server";
import { recordConversions } from "./attribution.server";
import { getCampaign } from "./campaigns.server";
import { uplift, wilsonInterval, type Interval, type Uplift } from "./stats";

/**
 * A campaign's results: who was decided how, what was delivered and tapped,
 * and whether it changed behaviour: conversion in each arm with its
 * interval, the uplift over the holdout with a 95 % interval and p-value
 * (app/campaigns/stats.ts), revenue per recipient, each variant, and, for a
 * discount offer, what the codes cost beside what a discount for every
 * member would have cost over the same days.
 *
 * The arms are compared by intention to treat: every treatment member who
 * was eligible counts, sent or not (a member who left before the send stays
 * in), against the holdout members, who were eligible and held back.
 */

export interface ArmResult {
  recipients: number;
  conversions: number;
  rate: number | null;
  interval: Interval | null;
  revenue: number;
  revenuePerRecipient: number | null;
  /** Members whose attribution window has not closed yet (their conversion can still come). */
  windowsOpen: number;
}

export interface VariantResult {
  id: string;
  recipients: number;
  sent: number;
  conversions: number;
  rate: number | null;
  clicked: number;
}

export interface DiscountResult {
  percentOff: number;
  codesIssued: number;
  /** Treatment members who converted after receiving a code. */
  convertedWithCode: number;
  /** percentOff × the revenue of those conversions: the most the codes can have cost. */
  codesCost: number;
  /** percentOff × revenue of every member's orders over the campaign's days. */
  blanketCost: number;
  blanketRevenue: number;
  from: string;
  until: string;
}

export interface CampaignResults {
  campaign: { id: string; name: string; kind: string; status: string; segmentId: string | null; holdoutPercent: number; attributionHours: number };
  asOf: string;
  currency: string;
  decisions: { total: number; treatment: number; holdout: number; skipped: Record<string, number> };
  deliveries: { recipientsSent: number; pushes: Record<string, number>; pushesClicked: number; recipientsClicked: number };
  arms: { treatment: ArmResult; holdout: ArmResult };
  uplift: Uplift | null;
  /** Revenue per recipient, treatment − holdout. */
  revenuePerRecipientDifference: number | null;
  variants: VariantResult[];
  discount: DiscountResult | null;
}

const money = (value: unknown) => Math.round(Number(value ?? 0) * 100) / 100;

export async function campaignResults(db: Database, shop: string, campaignId: string, now: Date = new Date()): Promise<CampaignResults> {
  const campaign = await getCampaign(db, shop, campaignId);
  await recordConversions(db, shop, campaignId, now);
  const [decisionRows, armRows, variantRows, pushRows, clicked, shopRow] = await Promise.all([
    db.$queryRaw<Array<{ arm: string; status: string; skipReason: string | null; eligible: boolean; n: number }>>`
      SELECT arm, status, "skipReason", "scheduledFor" IS NOT NULL AS eligible, count(*)::int AS n
      FROM "CampaignRecipient" WHERE shop = ${shop} AND "campaignId" = ${campaignId}
      GROUP BY arm, status, "skipReason", "scheduledFor" IS NOT NULL`,
    db.$queryRaw<Array<{ arm: string; n: number; conversions: number; revenue: string | null; open: number }>>`
      SELECT r.arm, count(*)::int AS n, count(r."convertedAt")::int AS conversions, sum(r.revenue)::text AS revenue,
        count(*) FILTER (WHERE r."scheduledFor" + make_interval(hours => ${campaign.attributionHours}) > ${now}::timestamp)::int AS open
      FROM "CampaignRecipient" r
      WHERE r.shop = ${shop} AND r."campaignId" = ${campaignId} AND r."scheduledFor" IS NOT NULL AND r."scheduledFor" <= ${now}::timestamp
        AND (r.arm = 'treatment' OR r."skipReason" = 'holdout')
      GROUP BY r.arm`,
    db.$queryRaw<Array<{ variantId: string; n: number; sent: number; conversions: number }>>`
      SELECT "variantId", count(*)::int AS n, count(*) FILTER (WHERE status = 'sent')::int AS sent, count("convertedAt")::int AS conversions
      FROM "CampaignRecipient"
      WHERE shop = ${shop} AND "campaignId" = ${campaignId} AND arm = 'treatment' AND "variantId" IS NOT NULL
        AND "scheduledFor" IS NOT NULL AND "scheduledFor" <= ${now}::timestamp
      GROUP BY "variantId"`,
    db.$queryRaw<Array<{ status: string; n: number; clicked: number }>>`
      SELECT status, count(*)::int AS n, count("clickedAt")::int AS clicked FROM "PushDelivery"
      WHERE shop = ${shop} AND "campaignId" = ${campaignId} GROUP BY status`,
    db.$queryRaw<Array<{ variantId: string | null; total: boolean; members: number }>>`
      SELECT r."variantId", GROUPING(r."variantId") = 1 AS total, count(DISTINCT d."customerId")::int AS members
      FROM "PushDelivery" d JOIN "CampaignRecipient" r ON r.shop = d.shop AND r."campaignId" = d."campaignId" AND r."customerId" = d."customerId"
      WHERE d.shop = ${shop} AND d."campaignId" = ${campaignId} AND d."clickedAt" IS NOT NULL
      GROUP BY ROLLUP (r."variantId")`,
    db.shop.findUnique({ where: { domain: shop }, select: { currency: true } }),
  ]);

  const skipped: Record<string, number> = {};
  let treatment = 0;
  let holdout = 0;
  let total = 0;
  for (const row of decisionRows) {
    total += row.n;
    if (row.arm === "treatment" && row.eligible) treatment += row.n;
    else if (row.skipReason === "holdout") holdout += row.n;
    if (row.skipReason && row.skipReason !== "holdout") skipped[row.skipReason] = (skipped[row.skipReason] ?? 0) + row.n;
  }

  const arm = (name: "treatment" | "holdout"): ArmResult => {
    const row = armRows.find((r) => r.arm === name);
    const recipients = row?.n ?? 0;
    const conversions = row?.conversions ?? 0;
    const revenue = money(row?.revenue);
    return {
      recipients,
      conversions,
      rate: recipients > 0 ? conversions / recipients : null,
      interval: recipients > 0 ? wilsonInterval(conversions, recipients) : null,
      revenue,
      revenuePerRecipient: recipients > 0 ? money(revenue / recipients) : null,
      windowsOpen: row?.open ?? 0,
    };
  };
  const treated = arm("treatment");
  const held = arm("holdout");

  const pushes: Record<string, number> = {};
  let pushesClicked = 0;
  for (const row of pushRows) {
    pushes[row.status] = row.n;
    pushesClicked += row.clicked;
  }
  const clickedBy = (variantId: string) => clicked.find((r) => !r.total && r.variantId === variantId)?.members ?? 0;
  // ROLLUP's grand-total row counts each member once across variants.
  const recipientsClicked = clicked.find((r) => r.total)?.members ?? 0;

  const variants = campaign.variants.map((variant): VariantResult => {
    const row = variantRows.find((r) => r.variantId === variant.id);
    const recipients = row?.n ?? 0;
    return {
      id: variant.id,
      recipients,
      sent: row?.sent ?? 0,
      conversions: row?.conversions ?? 0,
      rate: recipients > 0 ? (row?.conversions ?? 0) / recipients : null,
      clicked: clickedBy(variant.id),
    };
  });

  return {
    campaign: {
      id: campaign.id,
      name: campaign.name,
      kind: campaign.kind,
      status: campaign.status,
      segmentId: campaign.segmentId,
      holdoutPercent: campaign.holdoutPercent,
      attributionHours: campaign.attributionHours,
    },
    asOf: now.toISOString(),
    currency: shopRow?.currency ?? "USD",
    decisions: { total, treatment, holdout, skipped },
    deliveries: { recipientsSent: variants.reduce((sum, v) => sum + v.sent, 0), pushes, pushesClicked, recipientsClicked },
    arms: { treatment: treated, holdout: held },
    uplift: uplift({ recipients: treated.recipients, conversions: treated.conversions }, { recipients: held.recipients, conversions: held.conversions }),
    revenuePerRecipientDifference:
      treated.revenuePerRecipient !== null && held.revenuePerRecipient !== null ? money(treated.revenuePerRecipient - held.revenuePerRecipient) : null,
    variants,
    discount: campaign.offer?.discount ? await discountResult(db, shop, campaignId, campaign.offer.discount.percentOff, campaign.attributionHours, now) : null,
  };
}

async function discountResult(db: Database, shop: string, campaignId: string, percentOff: number, attributionHours: number, now: Date): Promise<DiscountResult | null> {
  const [codes] = await db.$queryRaw<Array<{ issued: number; converted: number; revenue: string | null; first: Date | null; last: Date | null }>>`
    SELECT count("discountCode")::int AS issued,
      count(*) FILTER (WHERE "discountCode" IS NOT NULL AND "convertedAt" IS NOT NULL)::int AS converted,
      sum(revenue) FILTER (WHERE "discountCode" IS NOT NULL)::text AS revenue,
      min("scheduledFor") AS first, max("scheduledFor") AS last
    FROM "CampaignRecipient"
    WHERE shop = ${shop} AND "campaignId" = ${campaignId} AND "scheduledFor" IS NOT NULL AND "scheduledFor" <= ${now}::timestamp`;
  if (!codes?.first || !codes.last) return null;
  const from = codes.first;
  const until = new Date(Math.min(now.getTime(), codes.last.getTime() + attributionHours * 3_600_000));
  const [blanket] = await db.$queryRaw<Array<{ revenue: string | null }>>`
    SELECT sum(o."totalPrice" - o."refundedAmount")::text AS revenue FROM "Order" o
    WHERE o.shop = ${shop} AND o."processedAt" >= ${from}::timestamp AND o."processedAt" < ${until}::timestamp AND o."cancelledAt" IS NULL
      AND EXISTS (SELECT 1 FROM "Member" m WHERE m.shop = ${shop} AND m."customerId" = o."customerId")`;
  const share = percentOff / 100;
  const blanketRevenue = money(blanket?.revenue);
  return {
    percentOff,
    codesIssued: codes.issued,
    convertedWithCode: codes.converted,
    codesCost: money(share * Number(codes.revenue ?? 0)),
    blanketCost: money(share * blanketRevenue),
    blanketRevenue,
    from: from.toISOString(),
    until: until.toISOString(),
  };
}
