import { UnrecoverableError, type Job } from "bullmq";
import type { Database } from "../../app/db/prisma.server";
import { expireHolds } from "../../app/pickup/holds.server";
import { jobPayloads } from "../queues";

/** Validates the payload and frees the places of the shop's holds that ran out. */
export async function processPickupExpireHolds(job: Job, db: Database, now: () => Date = () => new Date()): Promise<{ shop: string; expired: number }> {
  const parsed = jobPayloads["pickup-expire-holds"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`pickup-expire-holds payload invalid: ${parsed.error.issues[0]?.message}`);
  const { shop } = parsed.data;
  const { expired } = await expireHolds(db, { shop, now: now() });
  return { shop, expired };
}
