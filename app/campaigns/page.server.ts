import { shopAnalyticsSettings } from "../analytics/dayparts";
import type { Database } from "../db/prisma.server";
import { shopLocalText } from "./authoring.server";
import { allowedChanges, getCampaign, type CampaignChange } from "./campaigns.server";
import type { Offer, Variant } from "./definition";
import { campaignResults, type CampaignResults } from "./results.server";
import { describeTastingAudience, findTastingItem } from "./tasting.server";

/** A campaign's page in the admin: its setup in shop time, what can be done to it now, and its results. */
export interface CampaignPage {
  setup: {
    id: string;
    name: string;
    kind: string;
    status: string;
    segment: { id: string; name: string; memberCount: number } | null;
    variants: Variant[];
    offer: Offer | null;
    /** Who a tasting that names its item goes to, in words; null for every other campaign. */
    audience: string | null;
    /** Shop-local "2026-03-12 08:00", or null. */
    startsAt: string | null;
    endsAt: string | null;
    leadMinutes: number;
    timezone: string;
  };
  changes: CampaignChange[];
  results: CampaignResults;
}

export async function campaignPage(db: Database, shop: string, campaignId: string): Promise<CampaignPage> {
  const campaign = await getCampaign(db, shop, campaignId);
  const [{ timezone }, segment, results] = await Promise.all([
    shopAnalyticsSettings(db, shop),
    campaign.segmentId ? db.segment.findUnique({ where: { shop_id: { shop, id: campaign.segmentId } }, select: { id: true, name: true, memberCount: true } }) : null,
    campaignResults(db, shop, campaignId),
  ]);
  const tasting = campaign.offer?.tasting ?? null;
  const item = tasting ? await findTastingItem(db, shop, tasting.item) : null;
  const audience = tasting ? describeTastingAudience(tasting, item ? item.title : tasting.item, segment?.name ?? null) : null;
  const local = (instant: Date | null) => (instant ? shopLocalText(instant, timezone).replace("T", " ") : null);
  return {
    setup: {
      id: campaign.id,
      name: campaign.name,
      kind: campaign.kind,
      status: campaign.status,
      segment,
      variants: campaign.variants,
      offer: campaign.offer,
      audience,
      startsAt: local(campaign.startsAt),
      endsAt: local(campaign.endsAt),
      leadMinutes: campaign.leadMinutes,
      timezone,
    },
    changes: allowedChanges(campaign.status),
    results,
  };
}
