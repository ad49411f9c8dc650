import { Queue } from "bullmq";
import { describe, expect, it } from "vitest";
import { waitFor } from "../support/app-process";
import { FAULT_SHOP, checkOutcome, ordersApplied, receivedCount, settle, startIngest, withFaultStack } from "../support/fault-stack";
import { privateServicesUnavailable } from "../support/private-services";

/**
 * Issue 8, faults: the worker (ROLE=worker, a child process) is SIGKILLed
 * while it is both sending a campaign and draining webhooks that keep
 * arriving through the web process, then a new worker is started. Nothing is
 * lost or doubled: every order sent is stored once, no member gets the
 * campaign twice, and every delivery and job ends completed or failed with
 * its reason. (tests/integration/campaign-worker-kill.test.ts checks the
 * push side of a kill in detail; this one puts it beside ingest.)
 */

const unavailable = await privateServicesUnavailable();
if (unavailable) console.warn(`faults-worker-kill: skipped, private PostgreSQL/Redis cannot start: ${unavailable}`);

describe.skipIf(unavailable !== null)("killing the worker mid-job (private PostgreSQL + Redis)", () => {
  it("loses and doubles nothing when the worker dies during a campaign send and a webhook drain", async () => {
    // The killed worker's jobs come back once their lock (30 s) expires, found by a check every 2 s, not 30.
    await withFaultStack({ members: 1_200, pushRate: 40, stalledIntervalMs: 2_000 }, async (stack) => {
      const first = stack.spawnWorker("worker 1");
      await first.ready;
      const ingest = startIngest(stack, { orders: 1_000, perSecond: 40 });
      await stack.scheduleCampaign();

      // Struck while a webhook drain is running, with pushes and orders both part-way.
      const webhooks = new Queue("webhooks", { connection: { url: stack.redis.url } });
      const drainRunning = async () => (await webhooks.getJobs(["active"])).some((job) => job.name === "drain-webhooks");
      await waitFor("pushes and orders under way, a drain running", async () => ((receivedCount(stack) >= 120 && (await ordersApplied(stack)) >= 150 && (await drainRunning())) ? true : undefined), 90_000);
      const queuedAtKill = await stack.db.pushDelivery.count({ where: { shop: FAULT_SHOP, status: "queued" } });
      const ordersAtKill = await ordersApplied(stack);
      await first.app.stop("SIGKILL");
      await webhooks.close();
      stack.note(`worker 1 killed: ${receivedCount(stack)} pushes received, ${queuedAtKill} still queued, ${ordersAtKill} orders applied, ${ingest.acknowledged()} acknowledged`);
      // The kill came mid-send and mid-ingest: more of both was still to come.
      expect(queuedAtKill, "deliveries still queued at the kill").toBeGreaterThan(0);
      expect(ordersAtKill, "orders applied at the kill").toBeLessThan(1_000);

      const second = stack.spawnWorker("worker 2");
      await second.ready;
      await settle(stack, ingest);
      const outcome = await checkOutcome(stack, ingest);
      expect(outcome.deliveries.sent ?? 0, "deliveries sent after the restart too").toBeGreaterThan(120);
      const stopped = await second.app.stop("SIGINT");
      expect(stopped.code, "worker 2 stops cleanly").toBe(0);
    });
  }, 280_000);
});
