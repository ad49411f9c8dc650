import type { JobBackend } from "./backend.server";
import { jobPayloads, jobQueues } from "./queues";

const heartbeatSchedulerId = (shop: string) => `heartbeat:${shop}`;

/** Registers a shop's recurring jobs; upserting keeps it idempotent across restarts and re-installs. */
export async function scheduleShopJobs(jobs: JobBackend, shop: string, heartbeatEverySeconds: number): Promise<void> {
  const data = jobPayloads.heartbeat.parse({ shop });
  await jobs
    .queue(jobQueues.heartbeat)
    .upsertJobScheduler(heartbeatSchedulerId(shop), { every: heartbeatEverySeconds * 1000 }, { name: "heartbeat", data });
}

/** Removes a shop's recurring jobs (on uninstall). */
export async function unscheduleShopJobs(jobs: JobBackend, shop: string): Promise<void> {
  await jobs.queue(jobQueues.heartbeat).removeJobScheduler(heartbeatSchedulerId(shop));
}
