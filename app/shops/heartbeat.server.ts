import type { Database } from "../db/prisma.server";

const KEEP_HEARTBEATS_DAYS = 7;

export interface Heartbeat {
  shop: string;
  jobId: string;
  workerPid: number;
  at: Date;
}

/**
 * Records that a heartbeat job ran for a shop. Idempotent per job: a job run
 * twice keeps one row and counts the run, so a double delivery is visible.
 */
export async function recordHeartbeat(db: Database, beat: Heartbeat): Promise<{ runs: number }> {
  const row = await db.shopHeartbeat.upsert({
    where: { shop_jobId: { shop: beat.shop, jobId: beat.jobId } },
    create: { shop: beat.shop, jobId: beat.jobId, workerPid: beat.workerPid, ranAt: beat.at },
    update: { runs: { increment: 1 }, ranAt: beat.at, workerPid: beat.workerPid },
  });
  const cutoff = new Date(beat.at.getTime() - KEEP_HEARTBEATS_DAYS * 24 * 3600 * 1000);
  await db.shopHeartbeat.deleteMany({ where: { shop: beat.shop, ranAt: { lt: cutoff } } });
  return { runs: row.runs };
}

export async function lastHeartbeat(db: Database, shop: string): Promise<Date | null> {
  const row = await db.shopHeartbeat.findFirst({ where: { shop }, orderBy: { ranAt: "desc" } });
  return row?.ranAt ?? null;
}
