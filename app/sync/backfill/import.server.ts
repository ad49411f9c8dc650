import pg from "pg";
import type { BatchTarget } from "./batch-writer.server";
import type { MergeCounts } from "./merge.server";
import { OrderedBatchWriter } from "./ordered-writer.server";
import { readBatches, ResumeMismatchError, type ReadOptions } from "./read-batches";
import type { StageMode } from "./staging.server";
import type { BackfillResource, ImportProgress } from "./types";

/**
 * Streams a bulk-operation JSONL file into the database: lines → records →
 * batches → one transaction per batch (staging tables + set-based merge +
 * progress). While the database writes batches, the next one is parsed; no
 * more than `connections + 1` batches are ever in memory.
 */
export interface ImportOptions {
  databaseUrl: string;
  mode: StageMode;
  /** Orders (with their line items) or customers per transaction. */
  batchSize?: number;
  /** Connections writing batches at once (COPY mode only; see OrderedBatchWriter). */
  connections?: number;
  /** What earlier attempts already wrote: those lines are skipped. */
  resumeFrom?: ImportProgress;
  /** The source begins at `resumeFrom.bytesDone` (the server honoured a Range request), not at the file's start. */
  sourceStartsAtResume?: boolean;
  /** Stops the import; the batch in flight is rolled back. */
  signal?: AbortSignal;
  /** Called after each batch commits, with the totals so far. */
  onBatch?: (totals: ImportTotals) => void;
}

export interface ImportTotals extends ImportProgress, MergeCounts {
  records: number;
  batches: number;
  /** Batches whose orders were all new and went straight into the tables (see writeNewOrders). */
  batchesWrittenNew: number;
}

export const DEFAULT_BATCH_SIZE = 10_000;
export const DEFAULT_CONNECTIONS = 2;

export { ResumeMismatchError };

export async function importBulkFile(
  source: AsyncIterable<Uint8Array>,
  target: BatchTarget & { resource: BackfillResource },
  options: ImportOptions,
): Promise<ImportTotals> {
  const resumeFrom = options.resumeFrom ?? { linesDone: 0, bytesDone: 0 };
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  // The embedded database is one session: a second connection would only queue behind the first.
  const connections = options.mode === "insert" ? 1 : (options.connections ?? DEFAULT_CONNECTIONS);
  const totals: ImportTotals = { ...resumeFrom, records: 0, batches: 0, batchesWrittenNew: 0, created: 0, updated: 0, stale: 0 };
  const clients: pg.Client[] = [];
  try {
    for (let i = 0; i < connections; i++) {
      const client = new pg.Client({ connectionString: options.databaseUrl });
      // A dropped connection also fails the next query; without a listener it would crash the process.
      client.on("error", () => {});
      clients.push(client);
      await client.connect();
    }
    const writer = new OrderedBatchWriter(clients, target, options.signal, (counts, batch) => {
      totals.linesDone = batch.end.linesDone;
      totals.bytesDone = batch.end.bytesDone;
      totals.records += batch.records;
      totals.batches += 1;
      if (counts.wroteNew) totals.batchesWrittenNew += 1;
      totals.created += counts.created;
      totals.updated += counts.updated;
      totals.stale += counts.stale;
      options.onBatch?.({ ...totals });
    });
    try {
      const read: ReadOptions = {
        resource: target.resource,
        shop: target.shop,
        mode: options.mode,
        batchSize,
        resumeFrom,
        sourceStartsAtResume: options.sourceStartsAtResume ?? false,
      };
      for await (const batch of readBatches(source, read)) {
        options.signal?.throwIfAborted();
        await writer.submit(batch);
      }
      await writer.drain();
      return totals;
    } finally {
      await writer.settle();
    }
  } finally {
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
  }
}
