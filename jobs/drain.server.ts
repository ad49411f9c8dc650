import type { JobBackend } from "./backend.server";
import { enqueue } from "./enqueue.server";
import { drainJobOptions } from "./queues";

/**
 * Asks for the shop's received webhook deliveries to be applied. Intake calls
 * it through app/webhooks/drain-requests.ts, which coalesces the requests of
 * a busy shop; the heartbeat calls it for deliveries left unapplied.
 */
export async function requestWebhookDrain(jobs: JobBackend, shop: string): Promise<void> {
  await enqueue(jobs, "drain-webhooks", { shop }, drainJobOptions(shop));
}
