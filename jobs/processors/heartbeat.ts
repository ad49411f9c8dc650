import { UnrecoverableError, type Job } from "bullmq";
import type { Database } from "../../app/db/prisma.server";
import { recordHeartbeat } from "../../app/shops/heartbeat.server";
import { findInstalledShop } from "../../app/shops/shops.server";
import { jobPayloads } from "../queues";
import type { JobBackend } from "../backend.server";
import { requestWebhookDrain } from "../drain.server";
import { hasStaleDeliveries } from "../../app/webhooks/intake.server";
import { hasOverduePushes, requestPushDrain } from "../../app/push/enqueue.server";

export interface HeartbeatResult {
  shop: string;
  runs: number;
}

/** A delivery unapplied this long has lost its drain job. */
const STALE_DELIVERY_MS = 60_000;

/** Validates the payload, records the shop's heartbeat, and restarts a lost webhook or push drain. */
export async function processHeartbeat(job: Job, db: Database, jobs: JobBackend): Promise<HeartbeatResult> {
  const parsed = jobPayloads.heartbeat.safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`heartbeat payload invalid: ${parsed.error.issues[0]?.message}`);
  const { shop } = parsed.data;
  if (!(await findInstalledShop(db, shop))) {
    // Retrying cannot install the shop again; the scheduler is removed on uninstall.
    throw new UnrecoverableError(`shop ${shop} is not installed`);
  }
  if (job.id === undefined) throw new UnrecoverableError("heartbeat job has no id");
  const { runs } = await recordHeartbeat(db, { shop, jobId: job.id, workerPid: process.pid, at: new Date() });
  if (await hasStaleDeliveries(db, shop, STALE_DELIVERY_MS)) await requestWebhookDrain(jobs, shop);
  if (await hasOverduePushes(db, shop, STALE_DELIVERY_MS)) await requestPushDrain(jobs, shop);
  return { shop, runs };
}
