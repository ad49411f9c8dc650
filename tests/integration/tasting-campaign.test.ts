import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { campaignArm } from "../../app/campaigns/assignment";
import { authorCampaign, authoringOptions } from "../../app/campaigns/authoring.server";
import { createCampaign, getCampaign } from "../../app/campaigns/campaigns.server";
import { decideRecipients } from "../../app/campaigns/decide.server";
import { CampaignDefinitionError } from "../../app/campaigns/definition";
import { campaignPage } from "../../app/campaigns/page.server";
import { shopMessaging } from "../../app/campaigns/rules.server";
import { tastingAudience } from "../../app/recommend/tasting.server";
import { createSegment, createShop, insertMembers, reachableMember } from "../support/campaign-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * A tasting campaign that names its new item (issue 9) reaches exactly the
 * segment's members most likely to want to taste it — the top N of
 * tastingAudience within the segment — and the holdout is drawn among them;
 * a campaign with another offer still reaches the whole segment.
 */

const SHOP = "fig-cafe.myshopify.com";
const OTHER = "plum-cafe.myshopify.com";
const SEGMENT = "weekday-regulars";
const decideAt = new Date("2026-03-10T06:00:00Z");
const VISITS = 6;

/** Member i of the segment: pastry in (i % 7) of six visits; every fifth fades (P(alive) 0.5); two have had the fig tart. */
const inSegment = Array.from({ length: 24 }, (_, i) => ({ id: String(7_100_000_000_000 + i), pastryVisits: i % 7, pAlive: i % 5 === 0 ? 0.5 : null, tasted: i === 3 || i === 10 }));
/** Pastry lovers outside the segment: the best scores of the shop, never candidates. */
const outside = Array.from({ length: 4 }, (_, i) => ({ id: String(7_200_000_000_000 + i), pastryVisits: VISITS, pAlive: null, tasted: false }));
type Seeded = (typeof inSegment)[number];

/** The ranking worked out from the seed itself: score = pastry share × P(alive); tasted and zero scores left out. */
function expectedRanking(members: readonly Seeded[]): string[] {
  return members
    .filter((m) => !m.tasted && m.pastryVisits > 0)
    .map((m) => ({ id: m.id, score: (m.pastryVisits / VISITS) * (m.pAlive ?? 1) }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1))
    .map((m) => m.id);
}

const message = [{ id: "a", title: "A fig tart for you", body: "Taste our new fig tart at the counter this week." }];

describe.each(stackKinds())("tasting campaigns on $name", (kind) => {
  let stack: TestStack;
  const db = () => stack.runtime.db;

  async function seedShop(shop: string) {
    await createShop(db(), shop);
    await createSegment(db(), shop, SEGMENT, "Weekday regulars");
    const entered = { id: SEGMENT, enteredAt: new Date("2026-03-01T08:00:00Z"), exitedAt: null };
    await insertMembers(db(), shop, [...inSegment.map((m) => reachableMember(m.id, { segment: entered })), ...outside.map((m) => reachableMember(m.id))], decideAt);
    await db().recommendItem.createMany({
      data: [
        { shop, key: "FIG-TART", title: "Fig tart", variantId: "4401", category: "pastry", visits: 2 },
        { shop, key: "CROISSANT", title: "Croissant", variantId: "4402", category: "pastry", visits: 100 },
        { shop, key: "LATTE", title: "Latte", variantId: "4403", category: "drink", visits: 150 },
      ],
    });
    await db().pickupMenuItem.create({ data: { shop, variantId: "4409", productId: "909", title: "Plum galette", price: 3.5 } });
    for (const member of [...inSegment, ...outside]) {
      if (member.pAlive !== null) await db().memberFeature.update({ where: { shop_customerId: { shop, customerId: member.id } }, data: { pAlive: member.pAlive } });
      for (let visit = 0; visit < VISITS; visit++) {
        const orderId = `${member.id}${visit}`;
        const at = new Date(Date.UTC(2026, 1, 1 + visit * 3, 8, 0));
        await db().order.create({
          data: { shop, id: orderId, customerId: member.id, channel: "pos", currency: "GBP", totalPrice: 6, refundedAmount: 0, processedAt: at, shopifyUpdatedAt: at, source: "webhook", locationId: "loc-1" },
        });
        const lines = [{ sku: "LATTE", variantId: "4403", title: "Latte" }];
        if (visit < member.pastryVisits) lines.push({ sku: "CROISSANT", variantId: "4402", title: "Croissant" });
        if (member.tasted && visit === 0) lines.push({ sku: "FIG-TART", variantId: "4401", title: "Fig tart" });
        await db().lineItem.createMany({ data: lines.map((line, index) => ({ shop, orderId, id: `${orderId}-${index}`, ...line, quantity: 1, price: 3 })) });
      }
    }
  }

  beforeAll(async () => {
    stack = await startTestStack(kind);
    await seedShop(SHOP);
    // Same customer ids and segment id in another shop: its orders must not move this shop's ranking.
    await seedShop(OTHER);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const recipientIds = async (campaignId: string) =>
    (await db().campaignRecipient.findMany({ where: { shop: SHOP, campaignId }, orderBy: { customerId: "asc" } })).map((row) => row.customerId);

  it("the ranking the campaign uses is the one the seed implies", async () => {
    const ranked = await tastingAudience(db(), SHOP, { item: "FIG-TART", limit: 1000 });
    if (!ranked.ok) throw new Error(ranked.message);
    const segmentIds = new Set(inSegment.map((m) => m.id));
    expect(ranked.members.map((m) => m.customerId).filter((id) => segmentIds.has(id))).toEqual(expectedRanking(inSegment));
  });

  it("a broadcast tasting reaches exactly the segment's top N, holdout drawn among them", async () => {
    const draft = await createCampaign(
      db(),
      SHOP,
      { name: "Fig tart tasting", kind: "broadcast", segmentId: SEGMENT, startsAt: decideAt.toISOString(), variants: message, holdoutPercent: 30, offer: { type: "tasting", link: "/products/fig-tart", item: "4401", audienceSize: 9 } },
      { id: "fig-tasting" },
    );
    expect(draft.offer?.tasting).toEqual({ item: "4401", category: null, similarTo: [], audienceSize: 9, minScore: null });
    const campaign = await getCampaign(db(), SHOP, draft.id);
    const counts = await decideRecipients(db(), campaign, await shopMessaging(db(), SHOP), decideAt, { batchSize: 4 });
    const top = expectedRanking(inSegment).slice(0, 9);
    expect(await recipientIds(campaign.id)).toEqual([...top].sort());
    expect(counts.exhausted).toBe(true);
    // Skipped members (the shop's program holdout, …) count too: they were chosen, then not messaged.
    const decided = (c: typeof counts) => c.treatment + c.holdout + Object.values(c.skipped).reduce((sum, n) => sum + (n ?? 0), 0);
    expect(decided(counts)).toBe(9);
    const rows = await db().campaignRecipient.findMany({ where: { shop: SHOP, campaignId: campaign.id } });
    for (const row of rows) expect(row.arm).toBe(campaignArm(SHOP, campaign.id, row.customerId, 30));
    // A second run finds the audience full.
    const again = await decideRecipients(db(), campaign, await shopMessaging(db(), SHOP), new Date(decideAt.getTime() + 60_000));
    expect(decided(again)).toBe(0);
    expect(await recipientIds(campaign.id)).toHaveLength(9);

    const page = await campaignPage(db(), SHOP, campaign.id);
    expect(page.setup.audience).toContain("the 9 members of Weekday regulars most likely to want to taste Fig tart");
  });

  it("a segment-entry tasting with a threshold takes every entrant scoring at least it", async () => {
    await createCampaign(
      db(),
      SHOP,
      { name: "Fig tart for pastry fans", kind: "segment-entry", segmentId: SEGMENT, startsAt: "2026-02-28T00:00:00Z", variants: message, offer: { type: "tasting", link: "/products/fig-tart", item: "FIG-TART", minScore: 0.5 } },
      { id: "fig-fans" },
    );
    const campaign = await getCampaign(db(), SHOP, "fig-fans");
    await decideRecipients(db(), campaign, await shopMessaging(db(), SHOP), decideAt);
    const above = inSegment.filter((m) => !m.tasted && (m.pastryVisits / VISITS) * (m.pAlive ?? 1) >= 0.5).map((m) => m.id);
    expect(above.length).toBeGreaterThan(0);
    expect(await recipientIds(campaign.id)).toEqual(above.sort());
  });

  it("a campaign with another offer still reaches the whole segment", async () => {
    await createCampaign(
      db(),
      SHOP,
      { name: "New fig tart", kind: "broadcast", segmentId: SEGMENT, startsAt: decideAt.toISOString(), variants: message, offer: { type: "new-item", link: "/products/fig-tart" } },
      { id: "fig-news" },
    );
    const stored = await db().campaign.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: "fig-news" } } });
    expect(stored.offer).toEqual({ type: "new-item", link: "/products/fig-tart", discount: null });
    const campaign = await getCampaign(db(), SHOP, "fig-news");
    await decideRecipients(db(), campaign, await shopMessaging(db(), SHOP), decideAt);
    expect(await recipientIds(campaign.id)).toEqual(inSegment.map((m) => m.id).sort());
  });

  it("refuses an item the shop does not know, and one it cannot rank without a category", async () => {
    const tasting = (offer: Record<string, unknown>) =>
      createCampaign(db(), SHOP, { name: "Tasting", kind: "broadcast", segmentId: SEGMENT, startsAt: decideAt.toISOString(), variants: message, offer: { type: "tasting", link: "/products/x", ...offer } });
    const issuesOf = async (offer: Record<string, unknown>) => {
      try {
        await tasting(offer);
      } catch (error) {
        if (error instanceof CampaignDefinitionError) return error.issues;
        throw error;
      }
      return [];
    };
    expect(await issuesOf({ item: "NO-SUCH-TART" })).toEqual([{ path: "offer.item", message: expect.stringContaining('there is no item "NO-SUCH-TART" in this shop') }]);
    // On the pickup menu but never sold: no product type known yet.
    expect(await issuesOf({ item: "4409" })).toEqual([{ path: "offer.category", message: expect.stringContaining("no category is known for Plum galette") }]);
    const galette = await tasting({ item: "4409", category: "pastry", audienceSize: 5 });
    expect(galette.offer?.tasting?.category).toBe("pastry");
    expect(await db().campaign.count({ where: { shop: SHOP, name: "Tasting" } })).toBe(1);
  });

  it("the admin form offers the shop's items and names an unknown one beside its field", async () => {
    const options = await authoringOptions(db(), SHOP);
    expect(options.tastingItems).toContainEqual({ value: "4409", label: "Plum galette · pickup menu · not sold yet" });
    expect(options.tastingItems).toContainEqual({ value: "FIG-TART", label: "Fig tart (FIG-TART) · in 2 visits" });
    const form = {
      name: "Fig tart from the form",
      kind: "broadcast",
      segmentId: SEGMENT,
      startsAt: "2026-03-12T08:00",
      "variants[0].title": "A fig tart for you",
      "variants[0].body": "Taste our new fig tart this week.",
      "offer.type": "tasting",
      "offer.link": "/products/fig-tart",
      "offer.item": "NOPE",
      "offer.audienceSize": "5",
    };
    const refused = await authorCampaign(db(), SHOP, form, { id: "fig-form" });
    expect(refused).toEqual({ ok: false, issues: [{ path: "offer.item", message: expect.stringContaining('there is no item "NOPE"') }] });
    expect(await db().campaign.count({ where: { shop: SHOP, id: "fig-form" } })).toBe(0);
    // A segment id the definition refuses is named, not looked up (PostgreSQL cannot hold NUL).
    const nul = await authorCampaign(db(), SHOP, { ...form, segmentId: "a\u0000b", "offer.item": "FIG-TART" }, { id: "fig-form" });
    expect(nul.ok ? [] : nul.issues.map((issue) => issue.path)).toEqual(["segmentId"]);
    const made = await authorCampaign(db(), SHOP, { ...form, "offer.item": "FIG-TART" }, { id: "fig-form" });
    expect(made.ok && made.campaign.offer?.tasting).toEqual({ item: "FIG-TART", category: null, similarTo: [], audienceSize: 5, minScore: null });
  });
});
