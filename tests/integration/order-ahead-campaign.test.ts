import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCampaign, scheduleCampaign } from "../../app/campaigns/campaigns.server";
import type { OutgoingPush, PushOutbox } from "../../app/campaigns/push-port";
import { runCampaign, type CampaignRunDeps } from "../../app/campaigns/run.server";
import type { Database } from "../../app/db/prisma.server";
import { savePickupSettings } from "../../app/pickup/settings.server";
import { createSegment, insertMembers, reachableMember, type MemberProfile } from "../support/campaign-fixtures";
import { CAFE_SETTINGS } from "../support/pickup-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The order-ahead invitation through the campaign engine: members whose
 * visits cluster in the location's peak are invited to a slot with room near
 * their usual time (quiet slots first), never to a full one; with nothing
 * near their time they are not invited and the reason is recorded. The slot
 * is chosen again at send time with the capacity left then.
 */

const LOCATION = "1001";
const SEGMENT = "peak-regulars";
const at = (iso: string) => new Date(iso);
// Tuesday 10 March 2026, London on GMT: local time = UTC.
const started = at("2026-03-09T12:00:00Z");
const decideAt = at("2026-03-10T06:00:00Z");
const entered = { id: SEGMENT, enteredAt: at("2026-03-09T20:00:00Z"), exitedAt: null };

const invitation = {
  name: "Skip the morning queue",
  kind: "segment-entry",
  segmentId: SEGMENT,
  holdoutPercent: 0,
  variants: [{ id: "a", title: "Your {slotTime} flat white, ready", body: "Order ahead for {slotTime} at {locationName} and walk past the queue.", weight: 1 }],
  offer: { type: "order-ahead", link: "/apps/regulars/pickup" },
};

/** A cafe whose busiest hour is 08:00 (six of eight daily orders in the four weeks before). */
async function peakCafe(db: Database, shop: string) {
  await db.shop.create({ data: { domain: shop, timezone: "Europe/London", currency: "GBP" } });
  await db.shopSettings.create({ data: { shop, programHoldoutPercent: 0 } });
  const saved = await savePickupSettings(db, shop, LOCATION, CAFE_SETTINGS, { locationName: "High Street" });
  if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
  await createSegment(db, shop, SEGMENT);
  const rows = [];
  for (let day = 1; day <= 20; day++) {
    const date = new Date(decideAt.getTime() - day * 86_400_000).toISOString().slice(0, 10);
    for (const [index, time] of ["08:02", "08:11", "08:24", "08:33", "08:41", "08:55", "12:30", "14:10"].entries()) {
      const processedAt = at(`${date}T${time}:00Z`);
      rows.push({ shop, id: `${day}${index}`, channel: "pos", locationId: LOCATION, currency: "GBP", totalPrice: 3.5, processedAt, shopifyUpdatedAt: processedAt, source: "webhook" });
    }
  }
  await db.order.createMany({ data: rows });
}

/** Visits at the location at these local minutes, one a day going back. */
async function visitsAt(db: Database, shop: string, customerId: string, minutes: readonly number[], locationKey = LOCATION) {
  await db.visit.createMany({
    data: minutes.map((minute, index) => {
      const localDate = new Date(Date.UTC(2026, 2, 9 - index));
      const firstOrderAt = new Date(localDate.getTime() + minute * 60_000);
      return { shop, customerId, localDate, locationKey, firstOrderAt, lastOrderAt: firstOrderAt, orders: 1, spend: 3.5, weekday: localDate.getUTCDay(), localMinute: minute, label: "weekday-morning", pos: true };
    }),
  });
}

async function fill(db: Database, shop: string, slots: Record<string, number>) {
  for (const [time, orders] of Object.entries(slots)) {
    const slotStart = at(`2026-03-10T${time}:00Z`);
    await db.pickupSlot.upsert({ where: { shop_locationId_slotStart: { shop, locationId: LOCATION, slotStart } }, create: { shop, locationId: LOCATION, slotStart, orders }, update: { orders } });
  }
}

describe.each(stackKinds())("order-ahead invitations on $name", (kind) => {
  let stack: TestStack;
  const db = () => stack.runtime.db;
  const sent: OutgoingPush[] = [];
  const outbox: PushOutbox = {
    async send(pushes) {
      sent.push(...pushes);
      return pushes.map(() => ({ queued: 1 }));
    },
  };
  const deps = (): CampaignRunDeps => ({ db: db(), jobs: stack.runtime.jobs, outbox, discounts: () => Promise.reject(new Error("no discount here")) });

  beforeAll(async () => {
    stack = await startTestStack(kind);
  });
  afterAll(async () => {
    await stack?.stop();
  });

  async function campaignFor(shop: string, members: ReadonlyArray<{ profile: MemberProfile; visits: number[] }>) {
    await insertMembers(db(), shop, members.map((m) => m.profile), decideAt);
    for (const member of members) await visitsAt(db(), shop, member.profile.id, member.visits);
    const draft = await createCampaign(db(), shop, invitation, { id: "order-ahead" });
    await scheduleCampaign(stack.runtime, shop, draft.id, started);
    return draft.id;
  }
  const recipientsOf = async (shop: string) =>
    new Map((await db().campaignRecipient.findMany({ where: { shop, campaignId: "order-ahead" } })).map((r) => [r.customerId, { status: r.status, skipReason: r.skipReason, scheduledFor: r.scheduledFor?.toISOString() ?? null }]));
  const pushTo = (customerId: string) => sent.find((push) => push.customerId === customerId);

  it("invites peak regulars to slots with room near their time, quiet ones first, and never to a full slot", async () => {
    const shop = "peak-cafe.myshopify.com";
    await peakCafe(db(), shop);
    const member = (id: string, usualMinute: number, overrides: Partial<MemberProfile> = {}) => reachableMember(id, { usualMinute, segment: entered, ...overrides });
    const campaignId = await campaignFor(shop, [
      { profile: member("7001", 8 * 60), visits: [480, 485, 478, 490] }, // slot 08:00 has room
      { profile: member("7002", 8 * 60 + 40), visits: [520, 515, 525] }, // 08:40 full, 08:30 busy → 08:50 (quiet)
      { profile: member("7004", 14 * 60), visits: [840, 845, 850, 855] }, // visits at 14:00: not the peak
      { profile: member("7005", 8 * 60, { push: null }), visits: [480, 482, 484] }, // no consent: eligibility's reason stands
      { profile: member("7006", 8 * 60), visits: [480, 482, 484, 845, 850, 855, 860] }, // three of seven in the peak: not clustering
    ]);
    await fill(db(), shop, { "08:40": 5, "08:30": 3 });
    const run = await runCampaign(deps(), shop, campaignId, decideAt);
    expect(run.decided.skipped).toMatchObject({ "not-peak-visitor": 2, consent: 1 });
    const rows = await recipientsOf(shop);
    expect(rows.get("7001")).toMatchObject({ status: "scheduled", skipReason: null, scheduledFor: "2026-03-10T07:15:00.000Z" });
    expect(rows.get("7002")?.status).toBe("scheduled");
    expect(rows.get("7004")).toMatchObject({ status: "skipped", skipReason: "not-peak-visitor" });
    expect(rows.get("7005")).toMatchObject({ status: "skipped", skipReason: "consent" });
    expect(rows.get("7006")).toMatchObject({ status: "skipped", skipReason: "not-peak-visitor" });

    // Send time comes for 7001 (07:15), then 7002 (07:55); the slot is named in the link and the text.
    await runCampaign(deps(), shop, campaignId, at("2026-03-10T07:15:00Z"));
    expect(pushTo("7002")).toBeUndefined();
    expect(pushTo("7001")?.notification).toEqual({
      title: "Your 08:00 flat white, ready",
      body: "Order ahead for 08:00 at High Street and walk past the queue.",
      url: `/apps/regulars/pickup?location=${LOCATION}&slot=${encodeURIComponent("2026-03-10T08:00:00.000Z")}`,
    });
    await runCampaign(deps(), shop, campaignId, at("2026-03-10T07:55:00Z"));
    expect(pushTo("7002")?.notification.url).toContain(encodeURIComponent("2026-03-10T08:50:00.000Z"));
    expect(pushTo("7002")?.notification.title).toBe("Your 08:50 flat white, ready");
  });

  it("skips a member with every slot near their time full, and records why", async () => {
    const shop = "full-cafe.myshopify.com";
    await peakCafe(db(), shop);
    await fill(db(), shop, { "07:50": 5, "08:00": 5, "08:10": 5, "08:20": 5, "08:30": 5, "08:40": 5, "08:50": 5 });
    const campaignId = await campaignFor(shop, [{ profile: reachableMember("7003", { usualMinute: 8 * 60 + 20, segment: entered }), visits: [500, 505, 498] }]);
    const run = await runCampaign(deps(), shop, campaignId, decideAt);
    expect(run.decided).toMatchObject({ treatment: 0, skipped: { "no-pickup-capacity": 1 } });
    expect((await recipientsOf(shop)).get("7003")).toMatchObject({ status: "skipped", skipReason: "no-pickup-capacity", scheduledFor: null });
    // 09:00, 40 minutes from 08:20, is outside the window and not offered instead.
    expect(await db().pushDelivery.count({ where: { shop } })).toBe(0);
  });

  it("chooses again at send time: a slot that filled since is replaced, and with none left the invitation is not sent", async () => {
    const shop = "busy-cafe.myshopify.com";
    await peakCafe(db(), shop);
    const campaignId = await campaignFor(shop, [
      { profile: reachableMember("7101", { usualMinute: 8 * 60 + 30, segment: entered }), visits: [510, 512, 515] },
      { profile: reachableMember("7102", { usualMinute: 8 * 60 + 30, segment: entered }), visits: [510, 512, 515] },
    ]);
    await runCampaign(deps(), shop, campaignId, decideAt);
    expect([...(await recipientsOf(shop)).values()].map((r) => r.status)).toEqual(["scheduled", "scheduled"]);
    // Before the 07:45 send, 08:30 fills up; the rest of the window stays open for one member but 7102 also needs a place.
    await fill(db(), shop, { "08:30": 5, "08:20": 5, "08:40": 5, "08:10": 5, "08:50": 5, "08:00": 5 });
    await runCampaign(deps(), shop, campaignId, at("2026-03-10T07:45:00Z"));
    // 09:00 is exactly 30 minutes from 08:30: the one slot left, offered to both (an invitation holds no place).
    expect(pushTo("7101")?.notification.url).toContain(encodeURIComponent("2026-03-10T09:00:00.000Z"));
    expect(pushTo("7102")?.notification.url).toContain(encodeURIComponent("2026-03-10T09:00:00.000Z"));

    const later = "later-cafe.myshopify.com";
    await peakCafe(db(), later);
    const laterCampaign = await campaignFor(later, [{ profile: reachableMember("7201", { usualMinute: 8 * 60 + 30, segment: entered }), visits: [510, 512, 515] }]);
    await runCampaign(deps(), later, laterCampaign, decideAt);
    await fill(db(), later, { "08:00": 5, "08:10": 5, "08:20": 5, "08:30": 5, "08:40": 5, "08:50": 5, "09:00": 5 });
    const run = await runCampaign(deps(), later, laterCampaign, at("2026-03-10T07:45:00Z"));
    expect(run.dispatched).toMatchObject({ sent: 0, skipped: { "no-pickup-capacity": 1 } });
    expect((await recipientsOf(later)).get("7201")).toMatchObject({ status: "skipped", skipReason: "no-pickup-capacity" });
    expect(pushTo("7201")).toBeUndefined();
  });

  it("never places one shop's members with another shop's capacity or visits", async () => {
    // Same customer and location ids as the first shop, but this shop has no orders: no peak, nobody clusters.
    const shop = "quiet-cafe.myshopify.com";
    await db().shop.create({ data: { domain: shop, timezone: "Europe/London", currency: "GBP" } });
    await db().shopSettings.create({ data: { shop, programHoldoutPercent: 0 } });
    const saved = await savePickupSettings(db(), shop, LOCATION, CAFE_SETTINGS, { locationName: "Quiet Corner" });
    expect(saved.ok).toBe(true);
    await createSegment(db(), shop, SEGMENT);
    const campaignId = await campaignFor(shop, [{ profile: reachableMember("7001", { usualMinute: 8 * 60, segment: entered }), visits: [480, 485, 478, 490] }]);
    await runCampaign(deps(), shop, campaignId, decideAt);
    expect((await recipientsOf(shop)).get("7001")).toMatchObject({ status: "skipped", skipReason: "not-peak-visitor" });
  });
});
