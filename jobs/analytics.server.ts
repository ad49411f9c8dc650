import { createHash } from "node:crypto";
import type { JobBackend } from "./backend.server";
import { enqueue } from "./enqueue.server";
import { ANALYTICS_MEMBERS_PER_JOB } from "./queues";

/** Beyond this many customers at once (a bulk load), one full recompute is cheaper than member updates. */
export const MEMBER_UPDATES_BEFORE_RECOMPUTE = 5_000;

/** What was asked for: member jobs (the ids of the jobs now waiting or running for them), one recompute, or nothing. */
export type MemberUpdateRequest = { kind: "members"; jobIds: string[] } | { kind: "recompute" } | { kind: "none" };

/**
 * Asks for the analytics of customers whose orders were stored, changed,
 * cancelled, refunded or moved to be brought up to date. Cheap to call from
 * every ingest path: the ids are de-duplicated and split into bounded jobs;
 * the same set asked for again while its job waits is dropped, and while it
 * runs is queued once more behind it (its orders may have changed since the
 * job read them). A very large set becomes one full recompute instead.
 */
export async function requestMemberUpdates(jobs: JobBackend, shop: string, customerIds: readonly (string | null | undefined)[]): Promise<MemberUpdateRequest> {
  const ids = [...new Set(customerIds.filter((id): id is string => typeof id === "string" && id !== ""))].sort();
  if (ids.length === 0) return { kind: "none" };
  if (ids.length > MEMBER_UPDATES_BEFORE_RECOMPUTE) {
    await requestRecompute(jobs, shop, "full");
    return { kind: "recompute" };
  }
  const jobIds: string[] = [];
  for (let start = 0; start < ids.length; start += ANALYTICS_MEMBERS_PER_JOB) {
    const chunk = ids.slice(start, start + ANALYTICS_MEMBERS_PER_JOB);
    const digest = createHash("sha256").update(chunk.join("\n")).digest("hex").slice(0, 32);
    const jobId = await enqueue(jobs, "analytics-members", { shop, customerIds: chunk }, {
      deduplication: { id: `analytics-members-${shop}-${digest}`, keepLastIfActive: true },
      removeOnComplete: { age: 3600, count: 1_000 },
    });
    jobIds.push(jobId);
  }
  return { kind: "members", jobIds };
}

/**
 * Asks for a full recompute of the shop's analytics (after a backfill or an
 * import, or from the admin). At most one runs per shop and one waits: a
 * request while one runs is queued once behind it, so data that arrived
 * meanwhile is included.
 */
export async function requestRecompute(jobs: JobBackend, shop: string, kind: "full" | "nightly" = "full"): Promise<void> {
  await enqueue(jobs, "analytics-recompute", { shop, kind }, { deduplication: { id: `analytics-recompute-${shop}`, keepLastIfActive: true } });
}
