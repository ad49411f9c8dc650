import type { JobBackend } from "./backend.server";
import { enqueue } from "./enqueue.server";
import { drainJobOptions } from "./queues";

/** Asks for the shop's received webhook deliveries to be applied; cheap to call for every delivery. */
export async function requestWebhookDrain(jobs: JobBackend, shop: string): Promise<void> {
  await enqueue(jobs, "drain-webhooks", { shop }, drainJobOptions(shop));
}
