import { UnrecoverableError, type Job } from "bullmq";
import { requestPushDrain } from "../../app/push/enqueue.server";
import { sendDuePushes, type DrainResult } from "../../app/push/send.server";
import type { Runtime } from "../../app/runtime.server";
import { findInstalledShop } from "../../app/shops/shops.server";
import { jobPayloads } from "../queues";

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
  return sendDuePushes(runtime, shop);
}
