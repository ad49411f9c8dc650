import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inProgramHoldout, quarterOf } from "../../app/campaigns/assignment";
import { createCampaign, getCampaign, pauseCampaign, scheduleCampaign, type CampaignRecord } from "../../app/campaigns/campaigns.server";
import { decideRecipients } from "../../app/campaigns/decide.server";
import { decideRecipient, type RecipientDecision } from "../../app/campaigns/decision";
import { adminDiscountIssuer } from "../../app/campaigns/discounts.server";
import type { MemberFacts } from "../../app/campaigns/eligibility";
import { localDateOf } from "../../app/campaigns/local-clock";
import { pushOutbox } from "../../app/campaigns/outbox.server";
import type { PushOutbox } from "../../app/campaigns/push-port";
import { campaignResults } from "../../app/campaigns/results.server";
import { shopMessaging } from "../../app/campaigns/rules.server";
import { runCampaign, type CampaignRunDeps } from "../../app/campaigns/run.server";
import { uplift } from "../../app/campaigns/stats";
import { sendTransactionalWith } from "../../app/campaigns/transactional.server";
import { adminApi } from "../../app/shopify/admin-api.server";
import { enqueue } from "../../jobs/enqueue.server";
import { processJob } from "../../jobs/workers.server";
import { createShopifyStandin, legacyId, type ShopifyStandin } from "../../standin/index.ts";
import { waitFor } from "../support/app-process";
import { createSegment, createShop, insertMembers, insertOrder, otherCampaignPush, reachableMember, type MemberProfile } from "../support/campaign-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The campaign engine on real infrastructure: decisions match the
 * eligibility table member by member, each member is sent a campaign once
 * however often (and however interrupted) it runs, a campaign never reaches
 * another shop's members, and results count conversions from orders.
 */

const at = (iso: string) => new Date(iso);
const DUE = "due-to-return";

const invitation = (overrides: Record<string, unknown> = {}) => ({
  name: "Due to return: oat latte tasting",
  kind: "segment-entry",
  segmentId: DUE,
  variants: [
    { id: "a", title: "Your usual?", body: "Taste our new oat latte on us this morning.", url: "/products/oat-latte", weight: 1 },
    { id: "b", title: "New on the menu", body: "Oat latte tasting at the counter today.", weight: 1 },
  ],
  offer: { type: "tasting", link: "/pages/tasting" },
  ...overrides,
});

describe.each(stackKinds())("campaigns on $name", (kind) => {
  let stack: TestStack;
  let standin: ShopifyStandin;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    standin = await createShopifyStandin({ apiKey: "campaign-key", apiSecret: "campaign-secret" });
  });
  afterAll(async () => {
    await stack?.stop();
    await standin?.close();
  });

  const db = () => stack.runtime.db;
  const deps = (outbox?: PushOutbox): CampaignRunDeps => ({
    db: db(),
    jobs: stack.runtime.jobs,
    outbox: outbox ?? pushOutbox(stack.runtime),
    discounts: () => Promise.reject(new Error("this campaign has no discount")),
  });
  const recipients = (shop: string, campaignId: string) =>
    db().campaignRecipient.findMany({ where: { shop, campaignId }, orderBy: { customerId: "asc" } });
  const deliveries = (shop: string, campaignId: string) => db().pushDelivery.findMany({ where: { shop, campaignId }, orderBy: { customerId: "asc" } });

  /** What eligibility should see for a profile, derived from the profile itself, not from the loader under test. */
  function factsOf(shop: string, profile: MemberProfile, now: Date, programPercent: number, otherPushes: Date[] = []): MemberFacts {
    return {
      membership: profile.member ?? "none",
      pushConsent: profile.push ?? "none",
      activeSubscriptions: profile.subscription === "active" ? 1 : 0,
      marketingPushTimes: otherPushes,
      alreadyRecipient: false,
      programHoldout: inProgramHoldout(shop, profile.id, quarterOf(localDateOf(now, "Europe/London")), programPercent),
      usualMinute: profile.usualMinute,
    };
  }

  describe("a segment-entry campaign over inserted members", () => {
    const SHOP = "north-cafe.myshopify.com";
    const OTHER = "south-cafe.myshopify.com";
    const started = at("2026-03-09T12:00:00Z");
    const decideAt = at("2026-03-10T06:00:00Z");
    const entered = { id: DUE, enteredAt: at("2026-03-09T20:00:00Z"), exitedAt: null };
    const ids = (from: number, n: number) => Array.from({ length: n }, (_, i) => String(6_800_000_000_000 + from + i));
    const capAt = at("2026-03-09T08:00:00Z");
    const profiles: MemberProfile[] = [
      ...ids(0, 60).map((id) => reachableMember(id, { segment: entered })),
      ...ids(100, 4).map((id) => reachableMember(id, { segment: entered, member: "left" })),
      ...ids(200, 3).map((id) => reachableMember(id, { segment: entered, push: "withdrawn" })),
      ...ids(300, 3).map((id) => reachableMember(id, { segment: entered, push: null })),
      ...ids(400, 4).map((id) => reachableMember(id, { segment: entered, subscription: "expired" })),
      ...ids(500, 5).map((id) => reachableMember(id, { segment: entered })), // capped by another campaign's push
      ...ids(600, 4).map((id) => reachableMember(id, { segment: entered, usualMinute: 6 * 60 + 50 })), // usual visit inside quiet hours
      ...ids(700, 3).map((id) => reachableMember(id, { segment: entered, usualMinute: 7 * 60 + 20 })), // moved to 07:00
      ...ids(800, 3).map((id) => reachableMember(id, { segment: { ...entered, enteredAt: at("2026-03-08T09:00:00Z") } })), // before the start
      ...ids(900, 2).map((id) => reachableMember(id, { segment: { ...entered, exitedAt: at("2026-03-10T05:00:00Z") } })), // already left the segment
      ...ids(950, 2).map((id) => reachableMember(id, { segment: entered, member: null })), // never joined
    ];
    const capped = new Set(ids(500, 5));
    const candidates = profiles.filter((p) => p.member !== null && p.segment && p.segment.enteredAt >= started && p.segment.exitedAt === null);
    let campaign: CampaignRecord;
    let expected: Map<string, RecipientDecision>;

    beforeAll(async () => {
      await createShop(db(), SHOP, { programHoldoutPercent: 10 });
      await createSegment(db(), SHOP, DUE);
      await insertMembers(db(), SHOP, profiles, decideAt);
      for (const id of capped) await otherCampaignPush(db(), SHOP, "earlier-broadcast", id, capAt);
      // Another shop with the same segment id and the same customer ids, all reachable and freshly entered.
      await createShop(db(), OTHER);
      await createSegment(db(), OTHER, DUE);
      await insertMembers(db(), OTHER, [...ids(0, 10), ...ids(5000, 10)].map((id) => reachableMember(id, { segment: entered })), decideAt);

      const draft = await createCampaign(db(), SHOP, invitation(), { id: "due-invite" });
      campaign = await scheduleCampaign(stack.runtime, SHOP, draft.id, started);
      const rules = await shopMessaging(db(), SHOP);
      expected = new Map(
        candidates.map((p) => [p.id, decideRecipient(campaign, { customerId: p.id, dueFrom: null, dueUntil: null }, factsOf(SHOP, p, decideAt, 10, capped.has(p.id) ? [capAt] : []), rules, decideAt)]),
      );
    });

    it("decides each member exactly as the eligibility table does", async () => {
      const report = await runCampaign(deps(), SHOP, campaign.id, decideAt);
      const rows = await recipients(SHOP, campaign.id);
      expect(rows.map((r) => r.customerId)).toEqual([...expected.keys()].sort());
      for (const row of rows) {
        const want = expected.get(row.customerId);
        expect({ id: row.customerId, arm: row.arm, status: row.status, skipReason: row.skipReason, scheduledFor: row.scheduledFor, variantId: row.variantId }).toEqual({
          id: row.customerId,
          arm: want?.arm,
          status: want?.status,
          skipReason: want?.skipReason,
          scheduledFor: want?.scheduledFor,
          variantId: want?.variantId,
        });
      }
      const tally = (reason: string | null, status?: string) => [...expected.values()].filter((d) => d.skipReason === reason && (status === undefined || d.status === status)).length;
      expect(report.decided.treatment).toBe(tally(null, "scheduled"));
      expect(report.decided.holdout).toBe(tally("holdout"));
      expect(report.decided.skipped).toEqual(
        Object.fromEntries(["consent", "no-subscription", "frequency-cap", "quiet-hours", "program-holdout"].map((r) => [r, tally(r)]).filter(([, n]) => Number(n) > 0)),
      );
      // The table exercises every outcome, and the numbers are the ones planted.
      expect(tally("consent")).toBe(4 + 3 + 3);
      expect(tally("no-subscription")).toBe(4);
      expect(tally("quiet-hours")).toBe(4);
      expect(tally("holdout")).toBeGreaterThan(0);
      expect(tally("program-holdout")).toBeGreaterThan(0);
      expect(tally("frequency-cap")).toBeGreaterThan(0);
      expect(report.decided.deferredByQuietHours).toBe([...expected.values()].filter((d) => d.deferredByQuietHours).length);
      expect(report.decided.deferredByQuietHours).toBeGreaterThan(0);
      // Nothing is due yet (the first sends are at 07:00): nothing was handed over.
      expect(report.dispatched.sent).toBe(0);
      expect(await deliveries(SHOP, campaign.id)).toEqual([]);
    });

    it("never selects another shop's members", async () => {
      const mine = new Set(candidates.map((p) => p.id));
      const rows = await recipients(SHOP, campaign.id);
      expect(rows.every((r) => mine.has(r.customerId))).toBe(true);
      expect(await db().campaignRecipient.count({ where: { shop: OTHER } })).toBe(0);
      expect(await db().pushDelivery.count({ where: { shop: OTHER } })).toBe(0);
    });

    it("sends each treatment member one push at their send time, however often it runs", async () => {
      // Runs every few minutes: each hands over what is due within the next ten.
      for (const time of ["06:52", "06:57", "07:37", "07:42", "07:47", "07:52"]) await runCampaign(deps(), SHOP, campaign.id, at(`2026-03-10T${time}:00Z`));
      const treated = [...expected.values()].filter((d) => d.status === "scheduled");
      const sent = await deliveries(SHOP, campaign.id);
      expect(sent.map((d) => d.customerId)).toEqual(treated.map((d) => d.customerId).sort());
      for (const delivery of sent) {
        const decision = expected.get(delivery.customerId ?? "");
        expect(delivery.kind).toBe("campaign");
        expect(delivery.scheduledFor).toEqual(decision?.scheduledFor);
        expect(delivery.payload).toMatchObject({ url: decision?.variantId === "a" ? "/products/oat-latte" : "/pages/tasting" });
      }
      const rows = await recipients(SHOP, campaign.id);
      expect(rows.filter((r) => r.status === "sent").map((r) => r.customerId)).toEqual(treated.map((d) => d.customerId).sort());
      expect(rows.filter((r) => r.status === "sent").every((r) => r.deliveryId !== null && sent.some((d) => d.id === r.deliveryId))).toBe(true);
    });

    it("caps across campaigns: a second campaign the next day reaches only those the first did not", async () => {
      const second = await scheduleCampaign(stack.runtime, SHOP, (await createCampaign(db(), SHOP, invitation({ name: "Second invitation" }), { id: "due-invite-2" })).id, started);
      const report = await runCampaign(deps(), SHOP, second.id, at("2026-03-11T06:00:00Z"));
      const firstSent = new Set((await deliveries(SHOP, campaign.id)).map((d) => d.customerId));
      const rows = await recipients(SHOP, second.id);
      const scheduled = rows.filter((r) => r.status === "scheduled");
      expect(scheduled.length).toBeGreaterThan(0);
      expect(scheduled.some((r) => firstSent.has(r.customerId))).toBe(false);
      expect(rows.filter((r) => firstSent.has(r.customerId)).every((r) => r.skipReason === "frequency-cap" || r.skipReason === "program-holdout")).toBe(true);
      expect(report.decided.skipped["frequency-cap"]).toBeGreaterThanOrEqual(firstSent.size - (report.decided.skipped["program-holdout"] ?? 0));
      await pauseCampaign(stack.runtime, SHOP, second.id);
      const paused = await runCampaign(deps(), SHOP, second.id, at("2026-03-11T07:50:00Z"));
      expect(paused).toMatchObject({ ran: false, status: "paused" });
      expect(await deliveries(SHOP, second.id)).toEqual([]);
    });

    it("results count orders within the window after the (would-be) send time", async () => {
      const rows = await recipients(SHOP, campaign.id);
      const treated = rows.filter((r) => r.arm === "treatment" && r.scheduledFor !== null);
      const held = rows.filter((r) => r.skipReason === "holdout");
      const [t1, t2, t3, t4] = treated;
      const [h1] = held;
      if (!t1 || !t2 || !t3 || !t4 || !h1 || !t1.scheduledFor || !t2.scheduledFor || !t3.scheduledFor || !t4.scheduledFor || !h1.scheduledFor) throw new Error("fixture too small");
      const hours = (date: Date, h: number) => new Date(date.getTime() + h * 3_600_000);
      await insertOrder(db(), SHOP, { id: "9001", customerId: t1.customerId, at: hours(t1.scheduledFor, 1), total: 6.5 });
      await insertOrder(db(), SHOP, { id: "9002", customerId: t1.customerId, at: hours(t1.scheduledFor, 30), total: 3.5, refunded: 1 });
      await insertOrder(db(), SHOP, { id: "9003", customerId: t2.customerId, at: hours(t2.scheduledFor, 71), total: 4 });
      await insertOrder(db(), SHOP, { id: "9004", customerId: t3.customerId, at: hours(t3.scheduledFor, 73), total: 9 }); // after the window
      await insertOrder(db(), SHOP, { id: "9005", customerId: t4.customerId, at: hours(t4.scheduledFor, -1), total: 9 }); // before the send
      await insertOrder(db(), SHOP, { id: "9006", customerId: t4.customerId, at: hours(t4.scheduledFor, 2), total: 9, cancelled: true });
      await insertOrder(db(), SHOP, { id: "9007", customerId: h1.customerId, at: hours(h1.scheduledFor, 5), total: 5 });
      await insertOrder(db(), OTHER, { id: "9008", customerId: t3.customerId, at: hours(t3.scheduledFor, 3), total: 50 }); // another shop
      const firstDelivery = (await deliveries(SHOP, campaign.id))[0];
      if (!firstDelivery) throw new Error("no delivery");
      await db().pushDelivery.update({ where: { shop_id: { shop: SHOP, id: firstDelivery.id } }, data: { status: "sent", sentAt: firstDelivery.scheduledFor, clickedAt: hours(firstDelivery.scheduledFor, 0.1) } });

      const results = await campaignResults(db(), SHOP, campaign.id, at("2026-03-20T12:00:00Z"));
      expect(results.arms.treatment).toMatchObject({ recipients: treated.length, conversions: 2, revenue: 13, windowsOpen: 0 });
      expect(results.arms.treatment.revenuePerRecipient).toBeCloseTo(Math.round((13 / treated.length) * 100) / 100, 2);
      expect(results.arms.holdout).toMatchObject({ recipients: held.length, conversions: 1, revenue: 5 });
      expect(results.uplift).toEqual(uplift({ recipients: treated.length, conversions: 2 }, { recipients: held.length, conversions: 1 }));
      expect(results.uplift?.interval.low).toBeLessThan(results.uplift?.difference ?? 0);
      expect(results.deliveries).toMatchObject({ recipientsSent: treated.length, recipientsClicked: 1, pushesClicked: 1, pushes: { queued: treated.length - 1, sent: 1 } });
      expect(results.decisions.skipped).toMatchObject({ consent: 10, "no-subscription": 4, "quiet-hours": 4 });
      expect(results.variants.map((v) => v.id)).toEqual(["a", "b"]);
      expect(results.variants.reduce((sum, v) => sum + v.recipients, 0)).toBe(treated.length);
      const stored = await db().campaignRecipient.findUnique({ where: { shop_campaignId_customerId: { shop: SHOP, campaignId: campaign.id, customerId: t1.customerId } } });
      expect(stored).toMatchObject({ conversionOrderId: "9001", convertedAt: hours(t1.scheduledFor, 1) });
      expect(Number(stored?.revenue)).toBe(9);
    });

    it("sends a transactional message at once, once per order, even in quiet hours and after the cap", async () => {
      const member = [...expected.values()].find((d) => d.status === "scheduled");
      if (!member) throw new Error("no treated member");
      const outbox = pushOutbox(stack.runtime);
      const request = { shop: SHOP, customerId: member.customerId, template: "order-ready", data: { orderId: "5400000000123", orderName: "#1042" } };
      const lateEvening = at("2026-03-10T22:30:00Z");
      const first = await sendTransactionalWith({ db: db(), outbox }, request, lateEvening);
      const again = await sendTransactionalWith({ db: db(), outbox }, request, lateEvening);
      expect(first).toMatchObject({ sent: true });
      expect(again).toEqual(first);
      const sent = await db().pushDelivery.findMany({ where: { shop: SHOP, kind: "transactional" } });
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({ customerId: member.customerId, campaignId: null, urgency: "high", topic: "order-ready-5400000000123", scheduledFor: lateEvening });
      expect(sent[0]?.payload).toMatchObject({ title: "Your order is ready", body: "#1042 is waiting for you at the counter.", url: "/account" });

      const withdrawn = profiles.find((p) => p.push === "withdrawn");
      const refused = await sendTransactionalWith({ db: db(), outbox }, { ...request, customerId: withdrawn?.id ?? "" }, lateEvening);
      expect(refused).toMatchObject({ sent: false, reason: "consent" });
      await expect(sendTransactionalWith({ db: db(), outbox }, { ...request, data: { orderId: "x" } }, lateEvening)).rejects.toThrow(/orderId must be the order's numeric id/);
    });
  });

  describe("after a crash", () => {
    const SHOP = "crash-cafe.myshopify.com";
    const decideAt = at("2026-03-10T07:40:00Z");
    const members = Array.from({ length: 30 }, (_, i) => reachableMember(String(6_900_000_000_000 + i), { segment: { id: DUE, enteredAt: at("2026-03-10T07:00:00Z"), exitedAt: null } }));

    beforeAll(async () => {
      await createShop(db(), SHOP, { programHoldoutPercent: 0 });
      await createSegment(db(), SHOP, DUE);
      await insertMembers(db(), SHOP, members, decideAt);
    });

    it("between deciding and sending, and between handing over and marking, still sends each member once", async () => {
      const campaign = await scheduleCampaign(stack.runtime, SHOP, (await createCampaign(db(), SHOP, invitation(), { id: "crash-invite" })).id, at("2026-03-10T06:00:00Z"));
      // Killed after the decisions were written: nothing handed over yet.
      await decideRecipients(db(), await getCampaign(db(), SHOP, campaign.id), await shopMessaging(db(), SHOP), decideAt);
      expect(await db().campaignRecipient.count({ where: { shop: SHOP, campaignId: campaign.id, status: "scheduled" } })).toBeGreaterThan(0);
      expect(await deliveries(SHOP, campaign.id)).toEqual([]);

      // Restarted, and killed again right after the push layer took the messages, before they were marked sent.
      const real = pushOutbox(stack.runtime);
      const killed: PushOutbox = {
        async send(pushes) {
          await real.send(pushes);
          throw new Error("worker killed");
        },
      };
      await expect(runCampaign(deps(killed), SHOP, campaign.id, decideAt)).rejects.toThrow("worker killed");
      const handedOver = await deliveries(SHOP, campaign.id);
      expect(handedOver.length).toBeGreaterThan(0);
      expect(await db().campaignRecipient.count({ where: { shop: SHOP, campaignId: campaign.id, status: "sent" } })).toBe(0);

      // Restarted again: the same delivery ids are duplicates; the rows are marked; nothing is sent twice.
      const report = await runCampaign(deps(), SHOP, campaign.id, decideAt);
      const rows = await recipients(SHOP, campaign.id);
      const treated = rows.filter((r) => r.arm === "treatment" && r.scheduledFor !== null);
      expect(report.dispatched.sent).toBe(treated.length);
      expect(rows.filter((r) => r.status === "sent")).toHaveLength(treated.length);
      const sent = await deliveries(SHOP, campaign.id);
      expect(sent.map((d) => d.id)).toEqual(handedOver.map((d) => d.id));
      expect(new Set(sent.map((d) => d.customerId)).size).toBe(sent.length);
      expect(sent).toHaveLength(treated.length);
    });
  });

  describe("through the worker", () => {
    const SHOP = "worker-cafe.myshopify.com";
    const members = Array.from({ length: 25 }, (_, i) => reachableMember(String(7_100_000_000_000 + i), { segment: { id: DUE, enteredAt: at("2026-01-01T00:00:00Z"), exitedAt: null } }));

    it("a broadcast run as two campaign-run jobs sends each member once", async () => {
      await createShop(db(), SHOP, { quiet: [0, 0], programHoldoutPercent: 0 });
      await createSegment(db(), SHOP, DUE);
      await insertMembers(db(), SHOP, members, new Date());
      const draft = await createCampaign(db(), SHOP, invitation({ kind: "broadcast", startsAt: new Date(Date.now() + 60_000).toISOString() }));
      const campaign = await scheduleCampaign(stack.runtime, SHOP, draft.id);
      expect(campaign.status).toBe("scheduled");
      const workerDeps = { runtime: stack.runtime, db: db(), jobs: stack.runtime.jobs, concurrency: 2 };
      // Only the campaigns queue: the push queue's sender is not under test here.
      const worker = stack.runtime.jobs.worker("campaigns", (job) => processJob(job, workerDeps), { concurrency: 2 });
      try {
        await enqueue(stack.runtime.jobs, "campaign-run", { shop: SHOP, campaignId: campaign.id });
        await enqueue(stack.runtime.jobs, "campaign-run", { shop: SHOP, campaignId: campaign.id });
        const done = await waitFor("broadcast completed", async () => ((await getCampaign(db(), SHOP, campaign.id)).status === "completed" ? true : undefined));
        expect(done).toBe(true);
      } finally {
        await worker.close();
      }
      const rows = await recipients(SHOP, campaign.id);
      expect(rows).toHaveLength(members.length);
      const treated = rows.filter((r) => r.arm === "treatment");
      const sent = await deliveries(SHOP, campaign.id);
      expect(sent.map((d) => d.customerId)).toEqual(treated.map((r) => r.customerId));
      expect(rows.filter((r) => r.status === "sent")).toHaveLength(treated.length);
    });
  });

  describe("lifecycle triggers", () => {
    const SHOP = "lifecycle-cafe.myshopify.com";
    const now = at("2026-03-10T06:00:00Z");
    const date = (iso: string) => at(`${iso}T00:00:00Z`);
    const first = (id: string, extra: Partial<MemberProfile>) => reachableMember(id, { visitCount: 1, gapMedianDays: null, firstVisitOn: date("2026-03-03"), lastVisitOn: date("2026-03-03"), ...extra });

    beforeAll(async () => {
      await createShop(db(), SHOP, { programHoldoutPercent: 0 });
      await insertMembers(
        db(),
        SHOP,
        [
          first("7200000000001", { dueFrom: date("2026-03-11"), dueUntil: date("2026-03-14") }), // window opens tomorrow
          first("7200000000002", { dueFrom: date("2026-03-01"), dueUntil: date("2026-03-08") }), // window closed
          first("7200000000003", { dueFrom: date("2026-03-20"), dueUntil: date("2026-03-25") }), // not yet
          first("7200000000004", { pattern: "weekday-morning" }), // no prediction: first visit + the cohort's median gap (7 days) = 10 March
          reachableMember("7200000000005", { visitCount: 4, dueFrom: date("2026-03-01"), dueUntil: date("2026-03-06") }), // lapsing
          reachableMember("7200000000006", { visitCount: 4, dueFrom: date("2026-01-01"), dueUntil: date("2026-01-20") }), // long gone
          reachableMember("7200000000007", { visitCount: 4, dueFrom: date("2026-03-09"), dueUntil: date("2026-03-16") }), // due now, not lapsing
          reachableMember("7200000000008", { visitCount: 6, gapMedianDays: 7, pattern: "weekday-morning" }), // a repeater for the cohort median
        ],
        now,
      );
    });

    it("second-visit: members with one visit whose predicted window opens by tomorrow, timed before their usual visit", async () => {
      const campaign = await scheduleCampaign(stack.runtime, SHOP, (await createCampaign(db(), SHOP, invitation({ kind: "second-visit", segmentId: null }))).id, at("2026-03-01T00:00:00Z"));
      await runCampaign(deps(), SHOP, campaign.id, now);
      const rows = await recipients(SHOP, campaign.id);
      expect(rows.map((r) => [r.customerId, r.scheduledFor?.toISOString() ?? r.skipReason])).toEqual([
        ["7200000000001", "2026-03-11T07:45:00.000Z"],
        ["7200000000004", "2026-03-10T07:45:00.000Z"],
      ]);
    });

    it("win-back: repeat members whose window closed in the last four weeks", async () => {
      const campaign = await scheduleCampaign(stack.runtime, SHOP, (await createCampaign(db(), SHOP, invitation({ kind: "win-back", segmentId: null }))).id, at("2026-03-01T00:00:00Z"));
      await runCampaign(deps(), SHOP, campaign.id, now);
      expect((await recipients(SHOP, campaign.id)).map((r) => r.customerId)).toEqual(["7200000000005"]);
    });
  });

  describe("discount codes", () => {
    const SHOP = "discount-cafe.myshopify.com";
    const now = at("2026-03-10T07:50:00Z");

    it("creates one code per treatment member through the Admin API, puts it in the link, and compares its cost", async () => {
      standin.store.addShop({ domain: SHOP });
      const token = standin.store.issueAccessToken(SHOP, { scope: "read_customers,write_discounts" });
      const customers = Array.from({ length: 12 }, () => String(legacyId(standin.store.addCustomer(SHOP, {}).id)));
      await createShop(db(), SHOP, { programHoldoutPercent: 0 });
      await createSegment(db(), SHOP, DUE);
      await insertMembers(db(), SHOP, customers.map((id) => reachableMember(id, { segment: { id: DUE, enteredAt: at("2026-03-10T07:00:00Z"), exitedAt: null }, usualMinute: 8 * 60 + 30 })), now);
      const definition = invitation({
        holdoutPercent: 25,
        offer: { type: "new-item", link: "/products/oat-latte", discount: { percentOff: 20 } },
        variants: [{ id: "a", title: "20 % off your oat latte", body: "Use {code} today: {percentOff} % off.", weight: 1 }],
      });
      const campaign = await scheduleCampaign(stack.runtime, SHOP, (await createCampaign(db(), SHOP, definition, { id: "latte-discount" })).id, at("2026-03-10T06:00:00Z"));
      let issued = 0;
      const discounts = async () => {
        const issuer = adminDiscountIssuer(adminApi(SHOP, token.token, standin.url));
        return { issue: async (request: Parameters<typeof issuer.issue>[0]) => ((issued += 1), issuer.issue(request)) };
      };
      await runCampaign({ ...deps(), discounts }, SHOP, campaign.id, now);
      await runCampaign({ ...deps(), discounts }, SHOP, campaign.id, now);

      const rows = await recipients(SHOP, campaign.id);
      const treated = rows.filter((r) => r.arm === "treatment");
      const held = rows.filter((r) => r.arm === "holdout");
      expect(treated.length).toBeGreaterThan(0);
      expect(held.length).toBeGreaterThan(0);
      expect(issued).toBe(treated.length);
      expect(held.every((r) => r.discountCode === null)).toBe(true);
      for (const row of treated) {
        expect(row.discountCode).toMatch(/^RG-[A-Z2-9]{10}$/);
        const created = standin.store.codeDiscount(SHOP, row.discountCode ?? "");
        expect(created).toMatchObject({ customerIds: [`gid://shopify/Customer/${row.customerId}`], percentage: 0.2, usageLimit: 1 });
        const delivery = await db().pushDelivery.findUnique({ where: { shop_id: { shop: SHOP, id: row.deliveryId ?? "" } } });
        expect(delivery?.payload).toMatchObject({
          body: `Use ${row.discountCode} today: 20 % off.`,
          url: `/discount/${row.discountCode}?redirect=${encodeURIComponent("/products/oat-latte")}`,
        });
      }
      expect(new Set(treated.map((r) => r.discountCode)).size).toBe(treated.length);

      // A code created just before a crash (the row never recorded it) is recognised, not refused.
      const [redo] = treated;
      if (!redo) throw new Error("no treated member");
      await db().campaignRecipient.update({ where: { shop_campaignId_customerId: { shop: SHOP, campaignId: campaign.id, customerId: redo.customerId } }, data: { status: "scheduled", discountCode: null } });
      const rerun = await runCampaign({ ...deps(), discounts }, SHOP, campaign.id, now);
      expect(rerun.dispatched).toMatchObject({ sent: 1, discountCodesCreated: 0 });
      expect(await db().campaignRecipient.findUnique({ where: { shop_campaignId_customerId: { shop: SHOP, campaignId: campaign.id, customerId: redo.customerId } } })).toMatchObject({ discountCode: redo.discountCode, status: "sent" });
      expect(await db().pushDelivery.count({ where: { shop: SHOP, campaignId: campaign.id } })).toBe(treated.length);

      const [buyer] = treated;
      const [other] = held;
      if (!buyer?.scheduledFor || !other?.scheduledFor) throw new Error("fixture too small");
      await insertOrder(db(), SHOP, { id: "9101", customerId: buyer.customerId, at: new Date(buyer.scheduledFor.getTime() + 3_600_000), total: 10 });
      await insertOrder(db(), SHOP, { id: "9102", customerId: other.customerId, at: new Date(other.scheduledFor.getTime() + 3_600_000), total: 30 });
      const results = await campaignResults(db(), SHOP, campaign.id, at("2026-03-20T00:00:00Z"));
      expect(results.discount).toMatchObject({ percentOff: 20, codesIssued: treated.length, convertedWithCode: 1, codesCost: 2, blanketRevenue: 40, blanketCost: 8 });
    });
  });
});
