import type { JobBackend } from "../../jobs/backend.server";
import { jobPayloads, jobQueues } from "../../jobs/queues";

/**
 * Each shop has one job scheduler that expires its pickup holds every
 * minute (`pickup-expire-holds`, app/pickup/holds.server.ts). Expiry is
 * idempotent and safe to race, so an extra or late run changes nothing;
 * placing a hold also expires its own slot's overdue holds, so the last place
 * of a slot is never lost while the job waits.
 */

export const PICKUP_EXPIRY_EVERY_MS = 60_000;

export const pickupExpirySchedulerId = (shop: string) => `pickup-expire-holds:${shop}`;

export async function schedulePickupExpiry(jobs: JobBackend, shop: string): Promise<void> {
  const data = jobPayloads["pickup-expire-holds"].parse({ shop });
  await jobs
    .queue(jobQueues["pickup-expire-holds"])
    .upsertJobScheduler(pickupExpirySchedulerId(shop), { every: PICKUP_EXPIRY_EVERY_MS }, { name: "pickup-expire-holds", data });
}

export async function unschedulePickupExpiry(jobs: JobBackend, shop: string): Promise<void> {
  await jobs.queue(jobQueues["pickup-expire-holds"]).removeJobScheduler(pickupExpirySchedulerId(shop));
}
