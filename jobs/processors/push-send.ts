import { UnrecoverableError, type Job } from "bullmq";
import { requestPushDrain } from "../../app/push/enqueue.server";
import { sendDuePushes, type DrainResult } from "../../app/push/send.server";
import type { Runtime } from "../../app/runtime.server";
import { findInstalledShop } from "../../app/shops/shops.server";
import { jobPayloads } from "../queues";
import { countPushSends } from "../../app/lib/metrics.server";
import { jobLog } from "../../app/lib/log.server";

export type PushSendResult = DrainResult | { shop: string; woke: true };

/**
 * "send": drains the shop's due pushes (app/push/send.server.ts). "wake": a
 * scheduled moment arrived; it only asks for the shop's one drain, so the
 * per-shop rate is never doubled by a wake-up running beside a drain.
 */
export async function processPushSend(job: Job, runtime: Runtime): Promise<PushSendResult> {
  const parsed = jobPayloads["push-send"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`push-send payload invalid: ${parsed.error.issues[0]?.message}`);
  const { shop, purpose } = parsed.data;
  // Uninstalled: nothing may be sent for the shop, and retrying cannot change that.
  if (!(await findInstalledShop(runtime.db, shop))) throw new UnrecoverableError(`shop ${shop} is not installed`);
  if (purpose === "wake") {
    await requestPushDrain(runtime.jobs, shop);
    return { shop, woke: true };
  }
  const result = await sendDuePushes(runtime, shop);
  countPushSends({ sent: result.sent, retrying: result.retrying, failed: result.failed, expired: result.expired, interrupted: result.interrupted });
  // Each delivery's reason is on its row (PushDelivery.error); the log says how many, for the shop.
  if (result.failed + result.interrupted > 0) {
    jobLog(job).warn({ sent: result.sent, failed: result.failed, expired: result.expired, interrupted: result.interrupted }, "push deliveries failed");
  }
  return result;
}
