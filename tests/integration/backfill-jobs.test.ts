import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { onBulkOperationFinished } from "../../app/sync/backfill/finish.server";
import { backfillJobId } from "../../app/sync/backfill/jobs.server";
import { requestBackfill } from "../../app/sync/backfill/request.server";
import { findRun, transitionRun } from "../../app/sync/backfill/runs.server";
import type { BackfillRunView } from "../../app/sync/backfill/types";
import type { JobWorker } from "../../jobs/backend.server";
import { jobQueues } from "../../jobs/queues";
import { startWorkers, stopWorkers } from "../../jobs/workers.server";
import { stackKinds } from "../support/stacks";
import { expectedCustomers, expectedOrders, seedShop, startBackfillWorld, storedCustomers, storedOrders, type BackfillWorld } from "./backfill-support";

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.each(stackKinds())("backfill jobs on $name", (kind) => {
  let world: BackfillWorld;
  let workers: JobWorker[] = [];
  beforeAll(async () => {
    world = await startBackfillWorld(kind);
  });
  afterEach(async () => {
    await stopWorkers(workers, 5_000);
    workers = [];
  });
  afterAll(async () => world?.stop());

  const start = () => {
    workers = startWorkers({ runtime: world.runtime, db: world.runtime.db, jobs: world.runtime.jobs, concurrency: 2 });
  };
  const status = async (shop: string, run: BackfillRunView) => (await findRun(world.runtime.db, shop, run.id))?.status;

  it("runs the whole backfill through the worker, polling Shopify when no webhook comes", async () => {
    const shop = "worker-cafe.myshopify.com";
    await seedShop(world, shop, { customers: 30, days: 20, seed: "backfill-worker" });
    start();
    const requested = await requestBackfill(world.runtime, shop);
    await until("both runs to finish", async () => {
      const states = await Promise.all(requested.map(({ run }) => status(shop, run)));
      return states.every((state) => state === "completed" || state === "failed");
    });
    for (const { run } of requested) expect(await status(shop, run)).toBe("completed");
    expect(await storedOrders(world.runtime.db, shop)).toEqual(expectedOrders(world.standin.store, shop));
    expect(await storedCustomers(world.runtime.db, shop)).toEqual(expectedCustomers(world.standin.store, shop));
    // The run is marked completed inside the job, just before the job itself completes: wait for the job.
    const jobId = backfillJobId(requested[1]?.run.id ?? "");
    const getJob = () => world.runtime.jobs.queue(jobQueues.backfill).getJob(jobId);
    await until("the job to complete", async () => (await getJob())?.finishedOn !== undefined);
    const job = await getJob();
    expect(await job?.getState()).toBe("completed");
    expect(job?.returnvalue).toEqual({ shop, runId: requested[1]?.run.id, status: "completed" });
  });

  it("the bulk_operations/finish webhook wakes a job that would otherwise wait a minute", async () => {
    const shop = "webhook-cafe.myshopify.com";
    await seedShop(world, shop, { customers: 10, days: 10, seed: "backfill-webhook" });
    start();
    const [requested] = await requestBackfill(world.runtime, shop, ["orders"]);
    if (!requested) throw new Error("no run");
    const jobs = world.runtime.jobs.queue(jobQueues.backfill);
    await until("the job to wait for Shopify", async () => {
      const job = await jobs.getJob(backfillJobId(requested.run.id));
      return (await status(shop, requested.run)) === "running" && (await job?.getState()) === "delayed";
    });
    // As if polling had backed off to its longest interval.
    await (await jobs.getJob(backfillJobId(requested.run.id)))?.changeDelay(60_000);
    const operation = world.standin.store.shop(shop).bulkOperations.at(-1);
    if (!operation) throw new Error("no bulk operation");
    await until("Shopify to finish the operation", async () => operation.status === "COMPLETED");

    const woken = Date.now();
    expect(await onBulkOperationFinished(world.runtime, shop, { adminGraphqlApiId: operation.id, status: "completed", errorCode: null })).toEqual({
      matched: true,
      runId: requested.run.id,
      status: "downloading",
    });
    await until("the run to complete", async () => (await status(shop, requested.run)) === "completed", 20_000);
    expect(Date.now() - woken).toBeLessThan(20_000);
    expect(await storedOrders(world.runtime.db, shop)).toEqual(expectedOrders(world.standin.store, shop));
    // A repeat of the webhook changes nothing.
    expect(await onBulkOperationFinished(world.runtime, shop, { adminGraphqlApiId: operation.id, status: "completed", errorCode: null })).toEqual({
      matched: true,
      runId: requested.run.id,
      status: "completed",
    });
  });

  it("the webhook fails the run with Shopify's reason, and ignores operations that are not a backfill's", async () => {
    const shop = "failing-cafe.myshopify.com";
    await seedShop(world, shop, { customers: 5, days: 5, seed: "backfill-fail" });
    const [requested] = await requestBackfill(world.runtime, shop, ["customers"]);
    if (!requested) throw new Error("no run");
    const operationId = "gid://shopify/BulkOperation/777";
    expect(await transitionRun(world.runtime.db, shop, requested.run.id, ["requested"], "running", { bulkOperationId: operationId })).toBe(true);
    expect(
      await onBulkOperationFinished(world.runtime, shop, { adminGraphqlApiId: "gid://shopify/BulkOperation/1", status: "completed", errorCode: null }),
    ).toEqual({ matched: false });
    expect(
      await onBulkOperationFinished(world.runtime, shop, { adminGraphqlApiId: operationId, status: "failed", errorCode: "INTERNAL_SERVER_ERROR" }),
    ).toEqual({ matched: true, runId: requested.run.id, status: "failed" });
    const failed = await findRun(world.runtime.db, shop, requested.run.id);
    expect(failed?.error).toBe("bulk operation FAILED (INTERNAL_SERVER_ERROR)");
    // A late "completed" for the same operation cannot revive it.
    await onBulkOperationFinished(world.runtime, shop, { adminGraphqlApiId: operationId, status: "completed", errorCode: null });
    expect((await findRun(world.runtime.db, shop, requested.run.id))?.status).toBe("failed");
  });
});
