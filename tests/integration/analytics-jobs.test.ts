import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "bullmq";
import { MODEL_UNIT, recomputeShop } from "../../app/analytics/recompute.server";
import { registerInstall } from "../../app/shops/shops.server";
import { upsertOrder } from "../../app/sync/orders.server";
import type { Database } from "../../app/db/prisma.server";
import { MEMBER_UPDATES_BEFORE_RECOMPUTE, requestMemberUpdates, requestRecompute } from "../../jobs/analytics.server";
import type { JobBackend, JobWorker } from "../../jobs/backend.server";
import { enqueue } from "../../jobs/enqueue.server";
import { ANALYTICS_MEMBERS_PER_JOB } from "../../jobs/queues";
import { nightlyRecomputePattern, scheduleShopAnalytics, unscheduleShopJobs } from "../../jobs/schedules.server";
import { startWorkers, stopWorkers } from "../../jobs/workers.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";
import { order } from "../support/sync-fixtures";

const SHOP = "north-cafe.myshopify.com";
const OTHER = "south-cafe.myshopify.com";

async function waitForIdle(jobs: JobBackend): Promise<void> {
  const queue = jobs.queue("analytics");
  for (let i = 0; i < 1200; i++) {
    const counts = await queue.getJobCounts("waiting", "active", "delayed", "prioritized");
    if (Object.values(counts).every((n) => n === 0)) return;
    await sleep(50);
  }
  throw new Error("analytics queue did not empty");
}

async function settled(jobs: JobBackend, jobId: string): Promise<Job> {
  const queue = jobs.queue("analytics");
  for (let i = 0; i < 1200; i++) {
    const job = await queue.getJob(jobId);
    if (job && job.finishedOn !== undefined) return job;
    await sleep(50);
  }
  throw new Error(`job ${jobId} did not finish`);
}

/** Local wall-clock hour and minute of an instant in a zone. */
function wallClock(at: number, timeZone: string): string {
  return new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(at));
}

async function sell(db: Database, shop: string, id: string, customerId: string, at: string, cancelled = false): Promise<void> {
  const processedAt = new Date(at);
  await upsertOrder(
    db,
    shop,
    order({
      id,
      customerId,
      processedAt,
      cancelledAt: cancelled ? processedAt : null,
      shopifyUpdatedAt: new Date(Date.now() + Number(id) * 1000 + (cancelled ? 500 : 0)),
      lineItems: [],
    }),
    "webhook",
  );
}

describe.each(stackKinds())("analytics jobs on $name", (kind) => {
  let stack: TestStack;
  let db: Database;
  let jobs: JobBackend;
  let workers: JobWorker[] = [];

  beforeAll(async () => {
    stack = await startTestStack(kind);
    db = stack.runtime.db;
    jobs = stack.runtime.jobs;
    await registerInstall(db, { domain: SHOP, name: "North Cafe", timezone: "Europe/London" });
    await registerInstall(db, { domain: OTHER, name: "South Cafe", timezone: "America/New_York" });
    for (let day = 1; day <= 20; day++) {
      const date = `2026-03-${String(day).padStart(2, "0")}`;
      await sell(db, SHOP, String(day), day % 2 === 0 ? "501" : "502", `${date}T08:30:00Z`);
    }
  }, 180_000);

  afterAll(async () => {
    await stopWorkers(workers, 5_000);
    await stack?.stop();
  });

  it("registers one nightly recompute per shop at 03:mm in the shop's zone, and moves it when the zone changes", async () => {
    const queue = jobs.queue("analytics");
    await scheduleShopAnalytics(db, jobs, SHOP);
    await scheduleShopAnalytics(db, jobs, SHOP);
    await scheduleShopAnalytics(db, jobs, OTHER);
    let schedulers = await queue.getJobSchedulers();
    const north = schedulers.filter((s) => s.key === `analytics-nightly:${SHOP}`);
    expect(north).toHaveLength(1);
    expect(north[0]).toMatchObject({ pattern: nightlyRecomputePattern(SHOP), tz: "Europe/London", name: "analytics-recompute" });
    expect(nightlyRecomputePattern(SHOP)).toMatch(/^([0-9]|[1-5][0-9]) 3 \* \* \*$/);
    const minute = nightlyRecomputePattern(SHOP).split(" ")[0]?.padStart(2, "0");
    expect(wallClock(Number(north[0]?.next), "Europe/London")).toBe(`03:${minute}`);
    const south = schedulers.find((s) => s.key === `analytics-nightly:${OTHER}`);
    expect(south?.tz).toBe("America/New_York");
    expect(wallClock(Number(south?.next), "America/New_York")).toBe(`03:${nightlyRecomputePattern(OTHER).split(" ")[0]?.padStart(2, "0")}`);
    const nightlyJob = await queue.getJob(`repeat:analytics-nightly:${SHOP}:${north[0]?.next}`);
    expect(nightlyJob?.data).toEqual({ shop: SHOP, kind: "nightly" });

    // The owner sets another zone: the same scheduler moves to it.
    await db.shopSettings.create({ data: { shop: SHOP, timezoneOverride: "Asia/Tokyo" } });
    await scheduleShopAnalytics(db, jobs, SHOP);
    schedulers = await queue.getJobSchedulers();
    const moved = schedulers.filter((s) => s.key === `analytics-nightly:${SHOP}`);
    expect(moved).toHaveLength(1);
    expect(moved[0]?.tz).toBe("Asia/Tokyo");
    await db.shopSettings.delete({ where: { shop: SHOP } });

    // Uninstall removes it with the shop's other recurring jobs.
    await unscheduleShopJobs(jobs, OTHER);
    expect((await queue.getJobSchedulers()).filter((s) => s.key === `analytics-nightly:${OTHER}`)).toHaveLength(0);
    await unscheduleShopJobs(jobs, SHOP);
    expect((await queue.getJobSchedulers()).filter((s) => s.key.startsWith("analytics-nightly:"))).toHaveLength(0);
    // Its pending occurrence goes too, so nothing below is disturbed by it.
    await queue.getJob(`repeat:analytics-nightly:${SHOP}:${north[0]?.next}`).then((job) => job?.remove());
  });

  it("splits member updates into bounded jobs and drops a request already waiting", async () => {
    const queue = jobs.queue("analytics");
    const ids = Array.from({ length: ANALYTICS_MEMBERS_PER_JOB * 2 + 50 }, (_, i) => String(9000 + i));
    const first = await requestMemberUpdates(jobs, OTHER, [...ids, null, "", ids[0]]);
    if (first.kind !== "members") throw new Error(`expected member jobs, got ${first.kind}`);
    expect(first.jobIds).toHaveLength(3);
    // The same customers in another order, while those jobs wait: the waiting jobs stand for them.
    expect(await requestMemberUpdates(jobs, OTHER, [...ids].reverse())).toEqual({ kind: "members", jobIds: first.jobIds });
    expect(await queue.getJobCounts("waiting")).toMatchObject({ waiting: 3 });
    const sizes = await Promise.all(first.jobIds.map(async (id) => (await queue.getJob(id))?.data.customerIds.length));
    expect(sizes.sort((a, b) => Number(a) - Number(b))).toEqual([50, ANALYTICS_MEMBERS_PER_JOB, ANALYTICS_MEMBERS_PER_JOB]);
    expect(await requestMemberUpdates(jobs, OTHER, [null, undefined])).toEqual({ kind: "none" });
    // A bulk load's worth of customers is one recompute, not dozens of jobs; asking again while it waits adds nothing.
    const many = Array.from({ length: MEMBER_UPDATES_BEFORE_RECOMPUTE + 1 }, (_, i) => String(20_000 + i));
    expect(await requestMemberUpdates(jobs, OTHER, many)).toEqual({ kind: "recompute" });
    await requestRecompute(jobs, OTHER);
    expect(await queue.getJobCounts("waiting")).toMatchObject({ waiting: 4 });

    workers = startWorkers({ runtime: stack.runtime, db, jobs, concurrency: 2 });
    for (const id of first.jobIds) {
      const done = await settled(jobs, id);
      expect(done.failedReason).toBeUndefined();
      expect(done.returnvalue).toMatchObject({ shop: OTHER, visits: 0, visitsWritten: 0 });
    }
    await waitForIdle(jobs);
    const runs = await db.analyticsRun.findMany({ where: { shop: OTHER } });
    expect(runs.map((run) => [run.kind, run.status])).toEqual([["full", "completed"]]);
  });

  it("updates a member's visits, features, predictions and segments after new orders, idempotently", async () => {
    const full = await settled(jobs, await enqueue(jobs, "analytics-recompute", { shop: SHOP, kind: "full" }));
    expect(full.failedReason).toBeUndefined();
    expect(full.returnvalue).toMatchObject({ shop: SHOP, kind: "full", visits: 20, members: 2 });
    expect(full.progress).toEqual({ step: "recommendations", done: 7, total: 7 });
    const run = await db.analyticsRun.findFirstOrThrow({ where: { shop: SHOP, id: full.returnvalue.runId } });
    expect([run.status, run.kind, run.stepsDone, run.stepsTotal, run.error]).toEqual(["completed", "full", 7, 7, null]);
    expect(await db.cohortSnapshot.count({ where: { shop: SHOP } })).toBe(3);
    expect(await db.segment.count({ where: { shop: SHOP, builtIn: true } })).toBeGreaterThanOrEqual(5);

    // Two more visits for 501 and 502's first order cancelled.
    await sell(db, SHOP, "21", "501", "2026-03-21T08:30:00Z");
    await sell(db, SHOP, "22", "501", "2026-03-22T12:30:00Z");
    await sell(db, SHOP, "1", "502", "2026-03-01T08:30:00Z", true);
    const request = await requestMemberUpdates(jobs, SHOP, ["501", "502"]);
    if (request.kind !== "members" || request.jobIds.length !== 1) throw new Error(`expected one member job, got ${JSON.stringify(request)}`);
    const updated = await settled(jobs, request.jobIds[0] ?? "");
    expect(updated.failedReason).toBeUndefined();
    expect(updated.returnvalue).toMatchObject({ shop: SHOP, members: 2, visits: 21, visitsWritten: 2, visitsRemoved: 1, featuresWritten: 2 });
    const features = await db.memberFeature.findMany({ where: { shop: SHOP }, orderBy: { customerId: "asc" } });
    expect(features.map((f) => [f.customerId, f.visitCount, f.firstVisitOn.toISOString().slice(0, 10), f.lastVisitOn.toISOString().slice(0, 10)])).toEqual([
      ["501", 12, "2026-03-02", "2026-03-22"],
      ["502", 9, "2026-03-03", "2026-03-19"],
    ]);
    // The due window and usual gap come from the members' own gaps, fit or no fit.
    expect(features.every((f) => f.usualGapDays !== null)).toBe(true);

    // The same update again changes nothing.
    const again = await settled(jobs, await enqueue(jobs, "analytics-members", { shop: SHOP, customerIds: ["501", "502"] }));
    expect(again.returnvalue).toMatchObject({ visitsWritten: 0, visitsRemoved: 0, featuresWritten: 0, featuresRemoved: 0, predictions: 0 });

    // A nightly recompute afterwards agrees with the incremental state.
    const before = await db.visit.findMany({ where: { shop: SHOP }, orderBy: [{ customerId: "asc" }, { localDate: "asc" }] });
    const nightly = await settled(jobs, await enqueue(jobs, "analytics-recompute", { shop: SHOP, kind: "nightly" }));
    expect(nightly.returnvalue).toMatchObject({ kind: "nightly", visits: 21, members: 2 });
    expect(await db.visit.findMany({ where: { shop: SHOP }, orderBy: [{ customerId: "asc" }, { localDate: "asc" }] })).toEqual(before);
  });

  it("recomputes with progress, and a second recompute leaves the derived tables as they were", async () => {
    const derived = async () => ({
      visits: await db.visit.findMany({ where: { shop: SHOP }, orderBy: [{ customerId: "asc" }, { localDate: "asc" }] }),
      features: await db.memberFeature.findMany({ where: { shop: SHOP }, orderBy: { customerId: "asc" } }),
      cohorts: (await db.cohortSnapshot.findMany({ where: { shop: SHOP }, orderBy: { by: "asc" } })).map(({ by, until, data }) => ({ by, until, data })),
      segments: (await db.segment.findMany({ where: { shop: SHOP }, orderBy: { id: "asc" } })).map(({ id, memberCount, definition }) => ({ id, memberCount, definition })),
      stays: await db.segmentMembership.findMany({ where: { shop: SHOP }, orderBy: [{ segmentId: "asc" }, { customerId: "asc" }, { enteredAt: "asc" }] }),
    });
    const until = new Date("2026-03-31T00:00:00Z");
    const progress: string[] = [];
    const first = await recomputeShop(db, SHOP, { until, onProgress: ({ step, done, total }) => progress.push(`${step} ${done}/${total}`) });
    expect(progress).toEqual([
      "visits 0/7", "visits 1/7", "features 1/7", "features 2/7", "cohorts 2/7", "cohorts 3/7",
      "model 3/7", "model 4/7", "predictions 4/7", "predictions 5/7", "segments 5/7", "segments 6/7",
      "recommendations 6/7", "recommendations 7/7",
    ]);
    expect(first).toMatchObject({ shop: SHOP, kind: "full", visits: 21, members: 2 });
    expect(first.until.toISOString()).toBe("2026-03-31T00:00:00.000Z");
    const fit = await db.modelFit.findFirstOrThrow({ where: { shop: SHOP, id: first.model.id } });
    expect([fit.unit, fit.until.toISOString().slice(0, 10)]).toEqual([MODEL_UNIT, "2026-03-31"]);
    const tables = await derived();
    expect(tables.cohorts.map((c) => c.until.toISOString().slice(0, 10))).toEqual(["2026-03-22", "2026-03-22", "2026-03-22"]);

    const second = await recomputeShop(db, SHOP, { until });
    expect(second.runId).not.toBe(first.runId);
    expect(await derived()).toEqual(tables);
    const run = await db.analyticsRun.findFirstOrThrow({ where: { shop: SHOP, id: second.runId } });
    expect(run.stats).toMatchObject({ until: "2026-03-31", visits: { written: 0, removed: 0 }, features: { written: 0, removed: 0 }, predictions: { updated: 0 } });

    await expect(recomputeShop(db, SHOP, { until: new Date("2026-03-31T09:00:00Z") })).rejects.toThrow(/until must be a local date/);
  });

  it("fails a malformed job or one for an unknown shop without retrying", async () => {
    const queue = jobs.queue("analytics");
    const empty = await queue.add("analytics-members", { shop: SHOP, customerIds: [] }, { attempts: 3 });
    const tooMany = await queue.add("analytics-members", { shop: SHOP, customerIds: Array.from({ length: ANALYTICS_MEMBERS_PER_JOB + 1 }, (_, i) => String(i + 1)) }, { attempts: 3 });
    const badKind = await queue.add("analytics-recompute", { shop: SHOP, kind: "weekly" }, { attempts: 3 });
    const unknown = await queue.add("analytics-recompute", { shop: "west-cafe.myshopify.com", kind: "full" }, { attempts: 3 });
    const results = await Promise.all([empty, tooMany, badKind, unknown].map((job) => settled(jobs, job.id ?? "")));
    expect(results.map((job) => job.attemptsMade)).toEqual([1, 1, 1, 1]);
    expect(results[0]?.failedReason).toMatch(/analytics-members payload invalid: must name at least one customer/);
    expect(results[1]?.failedReason).toMatch(new RegExp(`must name at most ${ANALYTICS_MEMBERS_PER_JOB} customers`));
    expect(results[2]?.failedReason).toMatch(/analytics-recompute payload invalid/);
    expect(results[3]?.failedReason).toMatch(/shop west-cafe\.myshopify\.com is not recorded/);
    await expect(enqueue(jobs, "analytics-members", { shop: "not a shop", customerIds: ["1"] })).rejects.toThrow(/myshopify\.com/);
  });
});
