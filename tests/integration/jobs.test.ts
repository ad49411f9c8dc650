import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "bullmq";
import { enqueue } from "../../jobs/enqueue.server";
import { scheduleShopJobs, unscheduleShopJobs } from "../../jobs/schedules.server";
import { startWorkers, stopWorkers } from "../../jobs/workers.server";
import type { JobWorker } from "../../jobs/backend.server";
import { registerInstall } from "../../app/shops/shops.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

describe.each(stackKinds())("jobs on $name", (kind) => {
  let stack: TestStack;
  let workers: JobWorker[];

  beforeAll(async () => {
    stack = await startTestStack(kind);
    await registerInstall(stack.runtime.db, { domain: "north-cafe.myshopify.com", name: "North Cafe" });
    workers = startWorkers({ runtime: stack.runtime, db: stack.runtime.db, jobs: stack.runtime.jobs, concurrency: 4 });
  });

  afterAll(async () => {
    await stopWorkers(workers ?? [], 5_000);
    await stack?.stop();
  });

  async function settled(jobId: string): Promise<Job> {
    const queue = stack.runtime.jobs.queue("maintenance");
    for (let i = 0; i < 300; i++) {
      const job = await queue.getJob(jobId);
      if (job && (job.finishedOn !== undefined)) return job;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`job ${jobId} did not finish`);
  }

  it("runs a heartbeat end to end and records it once", async () => {
    const jobId = await enqueue(stack.runtime.jobs, "heartbeat", { shop: "north-cafe.myshopify.com" });
    const job = await settled(jobId);
    expect(job.failedReason).toBeUndefined();
    expect(job.returnvalue).toEqual({ shop: "north-cafe.myshopify.com", runs: 1 });
    const rows = await stack.runtime.db.shopHeartbeat.findMany({ where: { shop: "north-cafe.myshopify.com", jobId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]?.runs).toBe(1);
  });

  it("fails a heartbeat for a shop that is not installed without retrying", async () => {
    const jobId = await enqueue(stack.runtime.jobs, "heartbeat", { shop: "south-cafe.myshopify.com" });
    const job = await settled(jobId);
    expect(job.failedReason).toMatch(/south-cafe\.myshopify\.com is not installed/);
    expect(job.attemptsMade).toBe(1);
    expect(await stack.runtime.db.shopHeartbeat.count({ where: { shop: "south-cafe.myshopify.com" } })).toBe(0);
  });

  it("refuses to enqueue an invalid payload", async () => {
    await expect(enqueue(stack.runtime.jobs, "heartbeat", { shop: "not a shop" })).rejects.toThrow(/myshopify\.com/);
  });

  it("fails a job of an unknown kind with a reason", async () => {
    const job = await stack.runtime.jobs.queue("maintenance").add("brew-coffee", {}, { attempts: 3 });
    if (!job.id) throw new Error("no job id");
    const done = await settled(job.id);
    expect(done.failedReason).toMatch(/unknown job kind "brew-coffee"/);
    expect(done.attemptsMade).toBe(1);
  });

  it("keeps one scheduler per shop however often it is registered", async () => {
    const queue = stack.runtime.jobs.queue("maintenance");
    await scheduleShopJobs(stack.runtime.jobs, "north-cafe.myshopify.com", 60);
    await scheduleShopJobs(stack.runtime.jobs, "north-cafe.myshopify.com", 120);
    const schedulers = await queue.getJobSchedulers();
    const mine = schedulers.filter((s) => s.key === "heartbeat:north-cafe.myshopify.com");
    expect(mine).toHaveLength(1);
    expect(mine[0]?.every).toBe(120_000);
    await unscheduleShopJobs(stack.runtime.jobs, "north-cafe.myshopify.com");
    expect((await queue.getJobSchedulers()).filter((s) => s.key === "heartbeat:north-cafe.myshopify.com")).toHaveLength(0);
  });
});
