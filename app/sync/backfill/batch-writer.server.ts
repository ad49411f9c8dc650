import type pg from "pg";
import type { PreparedBatch } from "./assemble";
import { mergeCustomers, mergeOrders, writeNewOrders, type MergeCounts } from "./merge.server";
import { stage } from "./staging.server";
import type { StagePayload, StageTable } from "./stage-rows";

/** The run this import belongs to was deleted (shop redacted) or finished elsewhere: stop writing. */
export class BackfillRunGoneError extends Error {
  constructor(readonly shop: string, readonly runId: string) {
    super(`backfill run ${runId} of ${shop} is no longer importing`);
    this.name = "BackfillRunGoneError";
  }
}

export interface BatchTarget {
  shop: string;
  runId: string;
}

/**
 * Writes one batch of the bulk file in one transaction together with the
 * run's progress: after a crash the database holds either the batch and the
 * progress that covers it, or neither, so a restart resumes exactly there.
 */
export interface WriteBatchOptions {
  /** Stops the write before it commits; the batch is rolled back. */
  signal?: AbortSignal;
  /** Awaited after the merge, before the progress is recorded and the batch commits (see OrderedBatchWriter). */
  beforeCommit?: () => Promise<void>;
  /** Expect none of the batch's orders to be held yet: try writeNewOrders before merging. */
  expectNew?: boolean;
}

/** What a batch did: its counts, and whether its orders went straight into the tables (writeNewOrders). */
export interface BatchOutcome extends MergeCounts {
  wroteNew: boolean;
}

export async function writeBatch(client: pg.ClientBase, target: BatchTarget, batch: PreparedBatch, options: WriteBatchOptions = {}): Promise<BatchOutcome> {
  await client.query("BEGIN");
  try {
    // Losing the last commits in a server crash is harmless here: the batch and
    // the progress that covers it are lost together and the resume redoes them.
    await client.query("SET LOCAL synchronous_commit = off");
    const counts = await merge(client, target.shop, batch, options);
    await options.beforeCommit?.();
    const progress = await client.query(
      `UPDATE "BackfillRun" SET "linesDone" = $3, "bytesDone" = $4, "updatedAt" = now()
       WHERE shop = $1 AND id = $2 AND status = 'importing'`,
      [target.shop, target.runId, batch.end.linesDone, batch.end.bytesDone],
    );
    if (progress.rowCount !== 1) throw new BackfillRunGoneError(target.shop, target.runId);
    // An abort (worker shutting down, or a test simulating a crash) lands here at the latest: the batch is rolled back.
    options.signal?.throwIfAborted();
    await client.query("COMMIT");
    return counts;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}

async function merge(client: pg.ClientBase, shop: string, batch: PreparedBatch, options: WriteBatchOptions): Promise<BatchOutcome> {
  const payload = (table: StageTable): StagePayload => {
    const found = batch.payloads.find((candidate) => candidate.table === table);
    if (!found) throw new Error(`the ${batch.resource} batch has no ${table} rows`);
    return found;
  };
  if (batch.resource === "customers") {
    await stage(client, payload("bf_customer"));
    return { ...(await mergeCustomers(client, shop, batch.records)), wroteNew: false };
  }
  const written = batch.payloads.find((candidate) => candidate.table === "bf_written");
  if (options.expectNew && written) {
    const payloads = { orders: payload("bf_order"), lineItems: payload("bf_line_item"), refunds: payload("bf_refund"), written };
    if (await writeNewOrders(client, shop, payloads)) return { created: batch.records, updated: 0, stale: 0, wroteNew: true };
  }
  await stage(client, payload("bf_order"));
  await stage(client, payload("bf_refund"));
  return { ...(await mergeOrders(client, shop, batch.records, "backfill", payload("bf_line_item"))), wroteNew: false };
}
