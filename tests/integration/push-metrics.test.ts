import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireEncryptionKey } from "../../app/config.server";
import { metrics, renderMetrics } from "../../app/lib/metrics.server";
import { enqueuePush } from "../../app/push/enqueue.server";
import { ensureActivePushKey } from "../../app/push/keys.server";
import { closePushSender } from "../../app/push/sender.server";
import { saveSubscription } from "../../app/push/subscriptions.server";
import { registerInstall } from "../../app/shops/shops.server";
import type { JobWorker } from "../../jobs/backend.server";
import { startWorkers, stopWorkers } from "../../jobs/workers.server";
import { waitFor } from "../support/app-process";
import { startPushReceiver, type PushReceiver, type ReceiverSubscription } from "../support/push-receiver";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

const SHOP = "pushing-cafe.myshopify.com";

async function pushSends(status: string): Promise<number> {
  const { values } = await metrics().pushSends.get();
  return values.find((sample) => sample.labels.status === status)?.value ?? 0;
}

async function jobRuns(outcome: string): Promise<number> {
  const { values } = await metrics().jobDuration.get();
  return values.find((sample) => sample.metricName === "regulars_job_duration_seconds_count" && sample.labels.job === "push-send" && sample.labels.outcome === outcome)?.value ?? 0;
}

describe.each(stackKinds())("push sends in the metrics on $name", (kind) => {
  let stack: TestStack;
  let receiver: PushReceiver;
  let workers: JobWorker[] = [];
  let publicKey: string;

  beforeAll(async () => {
    stack = await startTestStack(kind, { PUSH_ALLOW_LOCAL_RECEIVERS: "1" });
    await registerInstall(stack.runtime.db, { domain: SHOP, name: "Pushing Cafe" });
    publicKey = (await ensureActivePushKey(stack.runtime.db, requireEncryptionKey(stack.runtime.config), SHOP)).publicKey;
    receiver = await startPushReceiver();
    workers = startWorkers({ runtime: stack.runtime, db: stack.runtime.db, jobs: stack.runtime.jobs, concurrency: 2 });
  });

  afterAll(async () => {
    await stopWorkers(workers, 5_000);
    if (stack) closePushSender(stack.runtime);
    await receiver?.close();
    await stack?.stop();
  });

  async function subscribed(customerId: string): Promise<{ receiverSubscription: ReceiverSubscription; subscriptionId: string }> {
    const receiverSubscription = receiver.subscribe({ applicationServerKey: publicKey });
    const saved = await saveSubscription(
      stack.runtime.db,
      { serviceHosts: stack.runtime.config.push.serviceHosts, allowLocalReceivers: true },
      {
        shop: SHOP,
        customerId,
        browserId: randomBytes(12).toString("base64url"),
        endpoint: receiverSubscription.endpoint,
        p256dh: receiverSubscription.keys.p256dh,
        auth: receiverSubscription.keys.auth,
        applicationServerKey: publicKey,
        userAgent: null,
        consentText: null,
        at: new Date(),
      },
    );
    if (!saved.ok) throw new Error(`subscription refused: ${saved.error.message}`);
    return { receiverSubscription, subscriptionId: saved.subscriptionId };
  }

  it("counts each delivery's outcome: one sent, one expired by its push service (410)", async () => {
    const before = { sent: await pushSends("sent"), expired: await pushSends("expired"), failed: await pushSends("failed"), runs: await jobRuns("completed") };
    const live = await subscribed("6800000000101");
    const gone = await subscribed("6800000000102");
    receiver.script(gone.receiverSubscription.id, { status: 410 });
    const payload = { title: "Autumn menu tasting", body: "Thursday 8–10 at the counter.", url: "/pages/tasting" };
    const deliveryIds: string[] = [];
    for (const { subscriptionId } of [live, gone]) {
      const outcome = await enqueuePush(stack.runtime, { shop: SHOP, deliveryId: `d-${randomBytes(6).toString("hex")}`, subscriptionId, kind: "test", payload, scheduledFor: new Date(), ttlSeconds: 3600 });
      expect(outcome.status).toBe("queued");
      deliveryIds.push(outcome.deliveryId);
    }
    await waitFor("both deliveries settled and counted", async () => {
      const rows = await stack.runtime.db.pushDelivery.findMany({ where: { shop: SHOP, id: { in: deliveryIds } } });
      const settled = rows.every((row) => row.status !== "queued" && row.status !== "sending");
      const counted = (await pushSends("sent")) + (await pushSends("expired")) - before.sent - before.expired === 2;
      // The job's run is recorded once its processor has returned, just after the counts.
      return settled && counted && (await jobRuns("completed")) > before.runs ? true : undefined;
    });

    expect((await pushSends("sent")) - before.sent).toBe(1);
    expect((await pushSends("expired")) - before.expired).toBe(1);
    expect((await pushSends("failed")) - before.failed).toBe(0);
    const { body } = await renderMetrics();
    expect(body).toMatch(/^regulars_push_sends_total\{status="sent"\} \d+$/m);
    expect(body).toMatch(/^regulars_push_sends_total\{status="expired"\} \d+$/m);
    // No label carries the shop or the subscription.
    expect(body).not.toContain(SHOP);
    expect(body).not.toContain(live.receiverSubscription.endpoint);
  });
});
