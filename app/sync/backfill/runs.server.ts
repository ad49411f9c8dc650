import { randomUUID } from "node:crypto";
import type { BackfillRun } from "../../db/generated/client";
import type { Database } from "../../db/prisma.server";
import {
  ACTIVE_STATUSES,
  isBackfillResource,
  isBackfillStatus,
  type BackfillResource,
  type BackfillRunView,
  type BackfillStatus,
} from "./types";

/**
 * BackfillRun rows. Every status change is a compare-and-set (`from` → `to`),
 * because the job, the bulk_operations/finish webhook and the CLI may all
 * touch a run, and none of them may move it backwards.
 */

/** The columns hold only what this module writes; a foreign value means a bug or a hand edit, not input to coerce. */
export class UnknownRunStateError extends Error {
  constructor(row: BackfillRun) {
    super(`backfill run ${row.id} of ${row.shop} has resource "${row.resource}" and status "${row.status}"`);
    this.name = "UnknownRunStateError";
  }
}

/** A client or a transaction: whatever can reach the BackfillRun table. */
export type RunStore = Pick<Database, "backfillRun">;

export function toView(row: BackfillRun): BackfillRunView {
  if (!isBackfillResource(row.resource) || !isBackfillStatus(row.status)) throw new UnknownRunStateError(row);
  return {
    shop: row.shop,
    id: row.id,
    resource: row.resource,
    status: row.status,
    bulkOperationId: row.bulkOperationId,
    objectCount: row.objectCount,
    linesDone: row.linesDone,
    bytesDone: Number(row.bytesDone),
    error: row.error,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    updatedAt: row.updatedAt,
  };
}

export async function createRun(db: RunStore, shop: string, resource: BackfillResource): Promise<BackfillRunView> {
  const row = await db.backfillRun.create({ data: { shop, id: randomUUID(), resource, status: "requested" } });
  return toView(row);
}

export async function findRun(db: RunStore, shop: string, runId: string): Promise<BackfillRunView | null> {
  const row = await db.backfillRun.findUnique({ where: { shop_id: { shop, id: runId } } });
  return row ? toView(row) : null;
}

export async function findActiveRun(db: RunStore, shop: string, resource: BackfillResource): Promise<BackfillRunView | null> {
  const row = await db.backfillRun.findFirst({
    where: { shop, resource, status: { in: [...ACTIVE_STATUSES] } },
    orderBy: { startedAt: "desc" },
  });
  return row ? toView(row) : null;
}

export async function hasCompletedRun(db: RunStore, shop: string, resource: BackfillResource): Promise<boolean> {
  return (await db.backfillRun.count({ where: { shop, resource, status: "completed" } })) > 0;
}

export async function listActiveRuns(db: RunStore, shop: string): Promise<BackfillRunView[]> {
  const rows = await db.backfillRun.findMany({ where: { shop, status: { in: [...ACTIVE_STATUSES] } }, orderBy: { startedAt: "asc" } });
  return rows.map(toView);
}

/** The shop's runs, newest first. */
export async function listRuns(db: RunStore, shop: string, limit = 20): Promise<BackfillRunView[]> {
  const rows = await db.backfillRun.findMany({ where: { shop }, orderBy: [{ startedAt: "desc" }, { resource: "asc" }], take: limit });
  return rows.map(toView);
}

export async function findRunByOperation(db: RunStore, shop: string, bulkOperationId: string): Promise<BackfillRunView | null> {
  const row = await db.backfillRun.findFirst({ where: { shop, bulkOperationId } });
  return row ? toView(row) : null;
}

export interface RunChange {
  bulkOperationId?: string;
  objectCount?: number | null;
  error?: string | null;
  finishedAt?: Date;
}

/** Moves a run from one of `from` to `to`; false when it was not in one of `from` (someone else moved it). */
export async function transitionRun(
  db: RunStore,
  shop: string,
  runId: string,
  from: readonly BackfillStatus[],
  to: BackfillStatus,
  change: RunChange = {},
): Promise<boolean> {
  const { count } = await db.backfillRun.updateMany({
    where: { shop, id: runId, status: { in: [...from] } },
    data: { status: to, ...change },
  });
  return count === 1;
}

/** Marks an unfinished run failed with the reason a merchant or operator can act on. */
export async function failRun(db: RunStore, shop: string, runId: string, reason: string): Promise<boolean> {
  return transitionRun(db, shop, runId, ACTIVE_STATUSES, "failed", { error: reason.slice(0, 2_000), finishedAt: new Date() });
}
