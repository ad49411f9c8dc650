import type { Job } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { placeHold } from "../../app/pickup/holds.server";
import { pickupExpirySchedulerId } from "../../app/pickup/jobs.server";
import type { JobWorker } from "../../jobs/backend.server";
import { enqueue } from "../../jobs/enqueue.server";
import { scheduleShopJobs, unscheduleShopJobs } from "../../jobs/schedules.server";
import { startWorkers, stopWorkers } from "../../jobs/workers.server";
import { LATTE, createPickupShop, pickupRowCounts } from "../support/pickup-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/** The expiry job: scheduled every minute per shop with its other jobs, and, run by the real worker, frees the places of holds that ran out. */

const kind = stackKinds()[0];
const SHOP = "expiry-cafe.myshopify.com";

describe.runIf(kind)("the pickup hold expiry job", () => {
  let stack: TestStack;
  let workers: JobWorker[] = [];

  beforeAll(async () => {
    if (!kind) return;
    stack = await startTestStack(kind);
    const always = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: "00:00", closes: "24:00" }));
    await createPickupShop(stack.runtime.db, SHOP, { timezone: "UTC", settings: { hours: always, leadMinutes: 0, cutoffMinutes: 0, holdMinutes: 5 } });
    workers = startWorkers({ runtime: stack.runtime, db: stack.runtime.db, jobs: stack.runtime.jobs, concurrency: 2 });
  }, 180_000);
  afterAll(async () => {
    await stopWorkers(workers, 5_000);
    await stack?.stop();
  });

  it("is scheduled every minute with the shop's jobs and removed with them", async () => {
    const queue = stack.runtime.jobs.queue("maintenance");
    await scheduleShopJobs(stack.runtime.jobs, SHOP, 60);
    await scheduleShopJobs(stack.runtime.jobs, SHOP, 60);
    const mine = (await queue.getJobSchedulers()).filter((s) => s.key === pickupExpirySchedulerId(SHOP));
    expect(mine).toHaveLength(1);
    expect(mine[0]?.every).toBe(60_000);
    await unscheduleShopJobs(stack.runtime.jobs, SHOP);
    expect((await queue.getJobSchedulers()).filter((s) => s.key === pickupExpirySchedulerId(SHOP))).toHaveLength(0);
  });

  it("frees the places of holds that ran out, and only those", async () => {
    const now = Date.now();
    const tenMinutes = 600_000;
    const slotStart = new Date(Math.ceil((now + 2 * 3_600_000) / tenMinutes) * tenMinutes);
    // One hold placed six minutes ago (ran out a minute ago), one placed now in the next slot
    // (in the same slot, placing it would have expired the stale one already).
    const stale = await placeHold(stack.runtime.db, { shop: SHOP, locationId: "1001", slotStart, customerId: null, items: [{ variantId: LATTE, quantity: 1 }], now: new Date(now - 6 * 60_000) });
    const fresh = await placeHold(stack.runtime.db, { shop: SHOP, locationId: "1001", slotStart: new Date(slotStart.getTime() + tenMinutes), customerId: null, items: [{ variantId: LATTE, quantity: 1 }] });
    expect(stale.ok && fresh.ok).toBe(true);

    const jobId = await enqueue(stack.runtime.jobs, "pickup-expire-holds", { shop: SHOP });
    const job = await settled(jobId);
    expect(job.failedReason).toBeUndefined();
    expect(job.returnvalue).toEqual({ shop: SHOP, expired: 1 });
    expect(await pickupRowCounts(stack.runtime.db, SHOP)).toEqual({ holds: 2, slots: 2, taken: 1 });
    expect(await stack.runtime.db.pickupHold.count({ where: { shop: SHOP, status: "held" } })).toBe(1);

    const again = await settled(await enqueue(stack.runtime.jobs, "pickup-expire-holds", { shop: SHOP }));
    expect(again.returnvalue).toEqual({ shop: SHOP, expired: 0 });
  });

  it("refuses a payload that names no shop without retrying", async () => {
    const job = await stack.runtime.jobs.queue("maintenance").add("pickup-expire-holds", { shop: "not a shop" }, { attempts: 3 });
    if (!job.id) throw new Error("no job id");
    const done = await settled(job.id);
    expect(done.failedReason).toMatch(/pickup-expire-holds payload invalid: must be a \*\.myshopify\.com domain/);
    expect(done.attemptsMade).toBe(1);
  });

  async function settled(jobId: string): Promise<Job> {
    const queue = stack.runtime.jobs.queue("maintenance");
    for (let i = 0; i < 600; i++) {
      const job = await queue.getJob(jobId);
      if (job && job.finishedOn !== undefined) return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${jobId} did not finish`);
  }
});
