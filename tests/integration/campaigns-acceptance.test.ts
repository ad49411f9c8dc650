import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { rebuildVisits } from "../../app/analytics/visits.server";
import { recomputeFeatures } from "../../app/analytics/features.server";
import { fitShopModel, updatePredictions } from "../../app/analytics/model.server";
import { ensureBuiltInSegments, refreshSegments } from "../../app/analytics/segments/materialise.server";
import { inProgramHoldout, quarterOf } from "../../app/campaigns/assignment";
import { createCampaign, scheduleCampaign, type CampaignRecord } from "../../app/campaigns/campaigns.server";
import { decideRecipient, type RecipientDecision } from "../../app/campaigns/decision";
import type { MemberFacts } from "../../app/campaigns/eligibility";
import { localDateOf } from "../../app/campaigns/local-clock";
import { pushOutbox } from "../../app/campaigns/outbox.server";
import { shopMessaging } from "../../app/campaigns/rules.server";
import { runCampaign } from "../../app/campaigns/run.server";
import { joinMembership } from "../../app/membership/membership.server";
import { ensureActivePushKey } from "../../app/push/keys.server";
import { closePushSender } from "../../app/push/sender.server";
import { sendDuePushes } from "../../app/push/send.server";
import { revokeSubscription, saveSubscription } from "../../app/push/subscriptions.server";
import { registerInstall } from "../../app/shops/shops.server";
import { simulateCafe } from "../../app/simulate/simulate";
import { toSyncedCustomer } from "../../app/simulate/synced";
import { upsertCustomer } from "../../app/sync/customers.server";
import type { Database } from "../../app/db/prisma.server";
import { otherCampaignPush } from "../support/campaign-fixtures";
import { startPushReceiver, type PushReceiver, type ReceiverSubscription } from "../support/push-receiver";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Acceptance (issue 5): a simulated cafe's history goes through the real
 * analytics (visits, features, the visit model, the built-in "due to return"
 * segment); its members join and subscribe through the real membership and
 * push code, against a Web Push receiver that checks VAPID and decrypts each
 * message. A segment-entry invitation to "due to return" then sends each
 * eligible member exactly one push, at the time the eligibility table gives,
 * and skips the holdout, the capped and the quiet-hour members; the rest of
 * the simulated week then happens (the orders after the sends), and
 * `regulars campaigns results ID --json` reports the uplift with an interval.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SHOP = "acceptance-cafe.myshopify.com";
/** The campaign morning, 10 March 2026 (London is on GMT: local = UTC). History up to its midnight is known then. */
const CUT = new Date("2026-03-10T00:00:00Z");
const END = new Date("2026-03-17T00:00:00Z");
const PROMPT = "Get a nudge about tastings and new drinks. You can turn notifications off at any time.";
const HOUR = 3_600_000;

/** The CLI as a user runs it, asynchronously: this process serves the embedded database it connects to. */
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/regulars.js", ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "test", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const resultsJson = z.object({
  arms: z.object({
    treatment: z.object({ recipients: z.number(), conversions: z.number(), revenue: z.number() }),
    holdout: z.object({ recipients: z.number(), conversions: z.number(), revenue: z.number() }),
  }),
  uplift: z.object({ difference: z.number(), interval: z.object({ low: z.number(), high: z.number() }), pValue: z.number(), verdict: z.string(), summary: z.string() }),
  deliveries: z.object({ recipientsSent: z.number(), pushes: z.record(z.string(), z.number()) }),
  decisions: z.object({ treatment: z.number(), holdout: z.number(), skipped: z.record(z.string(), z.number()) }),
});

/**
 * The simulated orders as the sync writer would leave them (totals, refunds,
 * cancellations), written in bulk: the sync writer has its own tests, and a
 * cafe's worth of orders one by one would take most of this test's time.
 */
async function insertOrders(db: Database, orders: ReturnType<typeof simulateCafe>["orders"], sim: ReturnType<typeof simulateCafe>): Promise<void> {
  const rows = orders.map((order) => {
    const customer = order.customerIndex === null ? undefined : sim.customers[order.customerIndex];
    const location = order.locationIndex === null ? undefined : sim.locations[order.locationIndex];
    const refunded = (order.refund?.amountCents ?? 0) + (order.cancellation?.refund?.amountCents ?? 0);
    return {
      shop: SHOP,
      id: order.id,
      name: `#${order.number}`,
      customerId: customer?.id ?? null,
      locationId: location?.id ?? null,
      channel: order.channel,
      currency: "GBP",
      totalPrice: order.totalCents / 100,
      refundedAmount: refunded / 100,
      processedAt: new Date(order.at),
      cancelledAt: order.cancellation ? new Date(order.cancellation.at) : null,
      noteAttributes: order.pickupAt ? [{ name: "pickup_at", value: order.pickupAt }] : [],
      shopifyUpdatedAt: new Date(order.at),
      source: "backfill",
    };
  });
  for (let i = 0; i < rows.length; i += 1_000) await db.order.createMany({ data: rows.slice(i, i + 1_000) });
}

describe.each(stackKinds())("campaign acceptance on $name", (kind) => {
  let stack: TestStack;
  let receiver: PushReceiver;
  let campaign: CampaignRecord;
  const sim = simulateCafe({ seed: "campaign-acceptance", shop: SHOP, days: 60, until: END, members: 1_000 });
  const later = sim.orders.filter((order) => order.at >= CUT.getTime());
  /** Each member's planted situation, as the test set it up (independent of the loader under test). */
  const planted = new Map<string, { joined: boolean; consent: "granted" | "withdrawn" | "none"; subscribed: boolean; capped: Date | null; browser: ReceiverSubscription | null }>();
  const expected = new Map<string, RecipientDecision>();

  beforeAll(async () => {
    stack = await startTestStack(kind, { PUSH_ALLOW_LOCAL_RECEIVERS: "1" });
    receiver = await startPushReceiver();
    const db = stack.runtime.db;
    await registerInstall(db, { domain: SHOP, timezone: "Europe/London", currency: "GBP" });
    // Quiet until 08:00: early regulars' invitations would come after their visit.
    await db.shopSettings.create({ data: { shop: SHOP, quietStartMinute: 21 * 60, quietEndMinute: 8 * 60 } });
    for (const customer of sim.customers) await upsertCustomer(db, SHOP, toSyncedCustomer(customer, CUT.getTime()), "backfill");
    await insertOrders(db, sim.orders.filter((order) => order.at < CUT.getTime()), sim);

    // The analytics as of the campaign morning.
    const asOf = localDateOf(CUT, "Europe/London");
    await rebuildVisits(db, SHOP);
    await recomputeFeatures(db, SHOP);
    await fitShopModel(db, SHOP, { until: new Date(asOf.getTime() - 86_400_000), unit: "day" });
    await updatePredictions(db, SHOP, { asOf });
    await ensureBuiltInSegments(db, SHOP);
    const draft = await createCampaign(
      db,
      SHOP,
      {
        name: "Due to return: oat latte tasting",
        kind: "segment-entry",
        segmentId: "due-to-return",
        variants: [
          { id: "a", title: "Your usual, and something new", body: "Taste our oat latte on us this morning.", weight: 1 },
          { id: "b", title: "Oat latte tasting", body: "At the counter today: try it on us.", weight: 1 },
        ],
        offer: { type: "tasting", link: "/pages/tasting" },
      },
      { id: "due-oat-latte" },
    );
    campaign = await scheduleCampaign(stack.runtime, SHOP, draft.id, new Date(Date.now() - 60_000));
    await refreshSegments(db, SHOP, { asOf });

    // The members: most customers joined; most of those allowed notifications on their phone; a few turned them off again.
    const applicationKey = stack.runtime.config.encryptionKey ?? Buffer.alloc(0);
    const key = await ensureActivePushKey(db, applicationKey, SHOP);
    const policy = { serviceHosts: [], allowLocalReceivers: true };
    const joinedAt = new Date(CUT.getTime() - 40 * 24 * HOUR);
    for (const [index, customer] of sim.customers.entries()) {
      const joined = index % 10 !== 0;
      const subscribed = joined && index % 10 !== 1;
      const withdrawn = subscribed && index % 17 === 3;
      // The push service dropped this browser (a 410 earlier): consent stands, the subscription does not.
      const dropped = subscribed && !withdrawn && index % 13 === 5;
      const capped = subscribed && index % 9 === 4 ? new Date(CUT.getTime() - 20 * HOUR) : null;
      let browser: ReceiverSubscription | null = null;
      if (joined) await joinMembership(db, { shop: SHOP, customerId: customer.id, via: "storefront", consentText: "Join Acceptance Cafe Regulars.", at: joinedAt });
      if (subscribed) {
        browser = receiver.subscribe({ applicationServerKey: key.publicKey });
        const saved = await saveSubscription(db, policy, {
          shop: SHOP,
          customerId: customer.id,
          browserId: `browser-${customer.id}`,
          endpoint: browser.endpoint,
          p256dh: browser.keys.p256dh,
          auth: browser.keys.auth,
          applicationServerKey: key.publicKey,
          userAgent: "Mozilla/5.0 (test phone)",
          consentText: PROMPT,
          at: new Date(joinedAt.getTime() + HOUR),
        });
        expect(saved).toMatchObject({ ok: true, consentRecorded: true });
      }
      if (withdrawn && browser) await revokeSubscription(db, { shop: SHOP, endpoint: browser.endpoint, customerId: customer.id, at: new Date(CUT.getTime() - 48 * HOUR) });
      if (dropped && browser) await db.pushSubscription.updateMany({ where: { shop: SHOP, endpoint: browser.endpoint }, data: { status: "expired", expiredAt: new Date(CUT.getTime() - 30 * HOUR) } });
      if (capped) await otherCampaignPush(db, SHOP, "last-week-broadcast", customer.id, capped);
      planted.set(customer.id, { joined, consent: subscribed ? (withdrawn ? "withdrawn" : "granted") : "none", subscribed: subscribed && !withdrawn && !dropped, capped, browser });
    }

    // The eligibility table for everyone the segment took in: facts from what was planted, timing from their features.
    const rules = await shopMessaging(db, SHOP);
    const decideAt = new Date(CUT.getTime() + 4 * HOUR);
    const entered = await db.segmentMembership.findMany({ where: { shop: SHOP, segmentId: "due-to-return", exitedAt: null } });
    const features = new Map((await db.memberFeature.findMany({ where: { shop: SHOP } })).map((f) => [f.customerId, f]));
    for (const stay of entered) {
      const plant = planted.get(stay.customerId);
      if (!plant?.joined) continue;
      const facts: MemberFacts = {
        membership: "active",
        pushConsent: plant.consent,
        activeSubscriptions: plant.subscribed ? 1 : 0,
        marketingPushTimes: plant.capped ? [plant.capped] : [],
        alreadyRecipient: false,
        programHoldout: inProgramHoldout(SHOP, stay.customerId, quarterOf(localDateOf(decideAt, rules.timezone)), rules.programHoldoutPercent),
        usualMinute: features.get(stay.customerId)?.usualMinute ?? null,
      };
      expected.set(stay.customerId, decideRecipient(campaign, { customerId: stay.customerId, dueFrom: null, dueUntil: null }, facts, rules, decideAt));
    }
  }, 300_000);

  afterAll(async () => {
    if (stack) closePushSender(stack.runtime);
    await receiver?.close();
    await stack?.stop();
  });

  const count = (reason: string | null, status?: string) => [...expected.values()].filter((d) => d.skipReason === reason && (status === undefined || d.status === status)).length;

  it("the simulated cafe fills the segment with members of every kind", () => {
    expect(expected.size).toBeGreaterThan(40);
    expect(count(null, "scheduled")).toBeGreaterThan(10);
    for (const reason of ["holdout", "frequency-cap", "quiet-hours", "consent", "no-subscription"]) expect(count(reason), reason).toBeGreaterThan(0);
  });

  it("sends each eligible member exactly one push at their computed time, and none to the others", async () => {
    const db = stack.runtime.db;
    const decideAt = new Date(CUT.getTime() + 4 * HOUR);
    const first = await runCampaign({ db, jobs: stack.runtime.jobs, outbox: pushOutbox(stack.runtime), discounts: () => Promise.reject(new Error("no discount")) }, SHOP, campaign.id, decideAt);
    expect(first.decided.treatment).toBe(count(null, "scheduled"));
    expect(first.decided.holdout).toBe(count("holdout"));
    for (const reason of ["frequency-cap", "quiet-hours", "consent", "no-subscription", "program-holdout"]) expect(first.decided.skipped[reason as "consent"] ?? 0, reason).toBe(count(reason));

    // The day goes by: a run shortly before each send time, then the push queue's drain at it.
    const sendTimes = [...new Set([...expected.values()].flatMap((d) => (d.status === "scheduled" && d.scheduledFor ? [d.scheduledFor.getTime()] : [])))].sort((a, b) => a - b);
    const deps = { db, jobs: stack.runtime.jobs, outbox: pushOutbox(stack.runtime), discounts: () => Promise.reject(new Error("no discount")) };
    for (const time of sendTimes) {
      await runCampaign(deps, SHOP, campaign.id, new Date(time - 5 * 60_000));
      await sendDuePushes(stack.runtime, SHOP, { now: () => new Date(time) });
    }
    // Running again later sends nothing more.
    await runCampaign(deps, SHOP, campaign.id, new Date(CUT.getTime() + 40 * HOUR));
    await sendDuePushes(stack.runtime, SHOP, { now: () => new Date(CUT.getTime() + 40 * HOUR) });

    const treated = [...expected.values()].filter((d) => d.status === "scheduled");
    const bySubscription = new Map([...planted].flatMap(([customerId, plant]) => (plant.browser ? [[plant.browser.id, customerId] as const] : [])));
    const pushedTo = receiver.received.map((push) => bySubscription.get(push.subscriptionId));
    expect(pushedTo.sort()).toEqual(treated.map((d) => d.customerId).sort());
    expect(receiver.rejected).toEqual([]);
    const deliveries = await db.pushDelivery.findMany({ where: { shop: SHOP, campaignId: campaign.id } });
    for (const delivery of deliveries) {
      const decision = expected.get(delivery.customerId ?? "");
      expect(delivery.status).toBe("sent");
      expect(delivery.scheduledFor).toEqual(decision?.scheduledFor);
      expect(delivery.sentAt).toEqual(decision?.scheduledFor);
    }
    for (const push of receiver.received) {
      const message = JSON.parse(push.text) as { title: string; body: string; click: string };
      expect(["Your usual, and something new", "Oat latte tasting"]).toContain(message.title);
      expect(message.click).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    }
  });

  it("reports the uplift over the holdout with an interval (regulars campaigns results --json)", async () => {
    const db = stack.runtime.db;
    await insertOrders(db, later, sim);
    // What the results must say, from the simulated orders themselves.
    const byCustomer = new Map<string, Array<{ at: number; cents: number }>>();
    for (const order of later) {
      const customer = order.customerIndex === null ? undefined : sim.customers[order.customerIndex];
      if (!customer || order.cancellation) continue;
      byCustomer.set(customer.id, [...(byCustomer.get(customer.id) ?? []), { at: order.at, cents: order.totalCents - (order.refund?.amountCents ?? 0) }]);
    }
    const converted = (d: RecipientDecision) => {
      const from = d.scheduledFor?.getTime() ?? Number.POSITIVE_INFINITY;
      return (byCustomer.get(d.customerId) ?? []).some((o) => o.at >= from && o.at < from + 72 * HOUR);
    };
    const treated = [...expected.values()].filter((d) => d.status === "scheduled");
    const held = [...expected.values()].filter((d) => d.skipReason === "holdout");

    const env = { DATABASE_URL: stack.runtime.database.url, ...(kind.queue === "redis" && process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}) };
    const run = await runCli(["campaigns", "results", campaign.id, "--shop", SHOP, "--json"], env);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const results = resultsJson.parse(JSON.parse(run.stdout));
    expect(results.decisions).toMatchObject({ treatment: treated.length, holdout: held.length });
    expect(results.deliveries).toMatchObject({ recipientsSent: treated.length, pushes: { sent: treated.length } });
    expect(results.arms.treatment).toMatchObject({ recipients: treated.length, conversions: treated.filter(converted).length });
    expect(results.arms.holdout).toMatchObject({ recipients: held.length, conversions: held.filter(converted).length });
    expect(results.arms.treatment.conversions).toBeGreaterThan(0);
    const { interval, difference, pValue } = results.uplift;
    expect(interval.low).toBeLessThanOrEqual(difference);
    expect(interval.high).toBeGreaterThanOrEqual(difference);
    expect(pValue).toBeGreaterThan(0);
    expect(pValue).toBeLessThanOrEqual(1);
    // A push changes nothing in a simulation: whatever it says, it must not claim a winner the interval does not support.
    expect(results.uplift.verdict === "inconclusive").toBe(interval.low <= 0 && interval.high >= 0);
    if (results.uplift.verdict === "inconclusive") expect(results.uplift.summary).toMatch(/^Inconclusive.*recipients per arm|^Inconclusive: no difference/);
  });
});
