import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "bullmq";
import { addDays, localDateOf } from "../../app/analytics/local-dates";
import { campaignsWithNewEntries } from "../../app/campaigns/entry-trigger.server";
import { instantAt, localMinuteOf } from "../../app/campaigns/local-clock";
import type { Database } from "../../app/db/prisma.server";
import { registerInstall } from "../../app/shops/shops.server";
import { requestMemberUpdates } from "../../jobs/analytics.server";
import type { JobBackend, JobWorker } from "../../jobs/backend.server";
import { enqueue } from "../../jobs/enqueue.server";
import { jobQueues, type QueueName } from "../../jobs/queues";
import { processJob } from "../../jobs/workers.server";
import { insertOrder } from "../support/campaign-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * A member entering a segment gets the decision of the shop's segment-entry
 * campaigns on it as soon as the analytics job that moved them finishes, not
 * at the campaign's next scheduled run: no campaign here has a scheduler, so
 * only the trigger can decide.
 */

const NORTH = "north-cafe.myshopify.com";
const SOUTH = "south-cafe.myshopify.com";
const ZONE = "Europe/London";

const variants = [{ id: "a", title: "Welcome back", body: "Your usual is waiting.", weight: 1 }];
const offer = { type: "tasting", link: "/pages/tasting" };

async function campaign(db: Database, shop: string, id: string, segmentId: string, status: string, startsAt: Date) {
  await db.campaign.create({ data: { shop, id, name: id, kind: "segment-entry", segmentId, status, startsAt, holdoutPercent: 0, variants, offer } });
}

/** A member who can be messaged: joined, push consent, a live subscription. */
async function reachable(db: Database, shop: string, customerId: string) {
  const at = new Date(Date.now() - 60 * 86_400_000);
  await db.member.create({ data: { shop, customerId, status: "active", joinedVia: "storefront", joinedAt: at } });
  await db.consentEvent.create({ data: { shop, id: `${customerId}-push`, customerId, kind: "push", action: "granted", via: "storefront", text: "Send me invitations.", at } });
  const endpoint = `https://push.example.net/${shop}/${customerId}`;
  await db.pushSubscription.create({
    data: {
      shop,
      id: `sub-${shop}-${customerId}`,
      endpoint,
      p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
      auth: "tBHItJI5svbpez7KI4CCXg",
      customerId,
      browserId: `browser-${customerId}-0000000000`,
      keyId: "key-1",
      status: "active",
    },
  });
}

async function finished(jobs: JobBackend, queueName: QueueName, jobId: string): Promise<Job> {
  const queue = jobs.queue(queueName);
  for (let i = 0; i < 1200; i++) {
    const job = await queue.getJob(jobId);
    if (job?.finishedOn !== undefined) {
      if (job.failedReason) throw new Error(`job ${jobId} failed: ${job.failedReason}`);
      return job;
    }
    await sleep(50);
  }
  throw new Error(`job ${jobId} did not finish`);
}

async function decisionOf(db: Database, shop: string, campaignId: string, customerId: string) {
  for (let i = 0; i < 600; i++) {
    const row = await db.campaignRecipient.findUnique({ where: { shop_campaignId_customerId: { shop, campaignId, customerId } } });
    if (row) return row;
    await sleep(50);
  }
  throw new Error(`no decision of ${campaignId} for ${customerId}`);
}

async function campaignQueueIdle(jobs: JobBackend): Promise<void> {
  const queue = jobs.queue(jobQueues["campaign-run"]);
  for (let i = 0; i < 600; i++) {
    const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized");
    if (Object.values(counts).every((n) => n === 0)) return;
    await sleep(50);
  }
  throw new Error("campaign queue did not empty");
}

describe.each(stackKinds())("segment entry triggers its campaigns' decisions on $name", (kind) => {
  let stack: TestStack;
  let db: Database;
  let jobs: JobBackend;
  let workers: JobWorker[] = [];
  const started = new Date(Date.now() - 60_000);
  // Visits at a time of day far from now, so no decision's send time is due during the test (nothing reaches the push queue).
  const visitMinute = (localMinuteOf(new Date(), ZONE) + 6 * 60) % 1440;
  const today = localDateOf(new Date(), ZONE);
  const visitAt = (daysAgo: number) => instantAt(addDays(today, -daysAgo), visitMinute, ZONE);

  beforeAll(async () => {
    stack = await startTestStack(kind);
    db = stack.runtime.db;
    jobs = stack.runtime.jobs;
    for (const shop of [NORTH, SOUTH]) {
      await registerInstall(db, { domain: shop, name: shop, timezone: ZONE, currency: "GBP" });
      // Quiet hours 6–7 hours after the members' usual visit, so the send time (45 minutes before it) is never in them, whatever the time of day the test runs.
      await db.shopSettings.create({ data: { shop, programHoldoutPercent: 0, quietStartMinute: (visitMinute + 360) % 1440, quietEndMinute: (visitMinute + 420) % 1440 } });
    }
    const deps = { runtime: stack.runtime, db, jobs, concurrency: 2 };
    workers = (["analytics", "campaigns"] as const).map((queue) => jobs.worker(queue, (job) => processJob(job, deps), { concurrency: 2 }));
  }, 180_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close()));
    await stack?.stop();
  });

  it("a first order puts a member in 'New': the member-update job has the welcome campaign decide for them", async () => {
    // The nightly recompute installs the built-in segments; here a recompute of an empty shop does.
    await finished(jobs, "analytics", await requestRecomputeJob(jobs, NORTH));
    await campaign(db, NORTH, "welcome", "new", "active", started);
    await campaign(db, NORTH, "welcome-paused", "new", "paused", started);
    await campaign(db, NORTH, "due-nudge", "due-to-return", "active", started);
    await campaign(db, SOUTH, "welcome", "new", "active", started);
    await reachable(db, NORTH, "501");
    await reachable(db, SOUTH, "501");
    await insertOrder(db, NORTH, { id: "7001", customerId: "501", at: visitAt(1), total: 4.5 });

    const request = await requestMemberUpdates(jobs, NORTH, ["501"]);
    if (request.kind !== "members") throw new Error(`expected member jobs, got ${request.kind}`);
    const job = await finished(jobs, "analytics", request.jobIds[0] ?? "");
    expect(job.returnvalue).toMatchObject({ shop: NORTH, campaignRuns: ["welcome"] });
    expect(job.returnvalue.segmentsEntered).toBeGreaterThan(0);

    const decision = await decisionOf(db, NORTH, "welcome", "501");
    expect(decision).toMatchObject({ arm: "treatment", status: "scheduled", variantId: "a" });
    expect(decision.scheduledFor?.getTime()).toBeGreaterThan(Date.now());
    await campaignQueueIdle(jobs);
    // Paused, other segment, other shop: no decision.
    expect(await db.campaignRecipient.count({ where: { NOT: { shop: NORTH, campaignId: "welcome" } } })).toBe(0);

    // The same members again: nobody entered, no run asked for.
    const again = await requestMemberUpdates(jobs, NORTH, ["501"]);
    if (again.kind !== "members") throw new Error(`expected member jobs, got ${again.kind}`);
    expect((await finished(jobs, "analytics", again.jobIds[0] ?? "")).returnvalue).toMatchObject({ segmentsEntered: 0, campaignRuns: [] });
  });

  it("the recompute moves regulars into 'Due to return' as days pass: their campaign decides when it finishes", async () => {
    // Five regulars who came every ten days until ten days before the recompute's day (the shop-local yesterday).
    const ids = ["601", "602", "603", "604", "605"];
    let order = 8000;
    for (const id of ids) {
      await reachable(db, SOUTH, id);
      for (const daysAgo of [51, 41, 31, 21, 11]) await insertOrder(db, SOUTH, { id: String(order++), customerId: id, at: visitAt(daysAgo), total: 4 });
    }
    await campaign(db, SOUTH, "due-nudge", "due-to-return", "active", started);

    const job = await finished(jobs, "analytics", await requestRecomputeJob(jobs, SOUTH));
    expect(job.returnvalue).toMatchObject({ shop: SOUTH, kind: "full", campaignRuns: ["due-nudge"] });
    for (const id of ids) expect(await decisionOf(db, SOUTH, "due-nudge", id)).toMatchObject({ arm: "treatment", status: "scheduled" });
    expect(await db.segmentMembership.count({ where: { shop: SOUTH, segmentId: "due-to-return", exitedAt: null } })).toBe(ids.length);
  });

  it("looks only at the shop's running segment-entry campaigns whose segment gained a member since the refresh began", async () => {
    expect(await campaignsWithNewEntries(db, SOUTH, started)).toEqual(["due-nudge"]);
    // Nothing entered after now.
    expect(await campaignsWithNewEntries(db, SOUTH, new Date(Date.now() + 1_000))).toEqual([]);
    expect(await campaignsWithNewEntries(db, NORTH, started)).toEqual(["welcome"]);
    await db.campaign.update({ where: { shop_id: { shop: NORTH, id: "welcome" } }, data: { status: "completed" } });
    expect(await campaignsWithNewEntries(db, NORTH, started)).toEqual([]);
  });
});

/** A full recompute of the shop (what an import or backfill asks for); returns its job id. */
function requestRecomputeJob(jobs: JobBackend, shop: string): Promise<string> {
  return enqueue(jobs, "analytics-recompute", { shop, kind: "full" });
}
