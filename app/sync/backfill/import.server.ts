import pg from "pg";
import { customerAssembler, orderAssembler, type Assembler, type PreparedBatch } from "./assemble";
import type { BatchTarget } from "./batch-writer.server";
import { jsonlChunks } from "./jsonl";
import type { MergeCounts } from "./merge.server";
import { BulkLineError } from "./order-lines";
import { OrderedBatchWriter } from "./ordered-writer.server";
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
}

export const DEFAULT_BATCH_SIZE = 10_000;
export const DEFAULT_CONNECTIONS = 2;

/** A resumed import found a different file than the one it started (the byte offsets disagree). */
export class ResumeMismatchError extends Error {
  constructor(expected: ImportProgress, found: number) {
    super(`cannot resume at line ${expected.linesDone}: the file has ${found} bytes before it, the run recorded ${expected.bytesDone}`);
    this.name = "ResumeMismatchError";
  }
}

export async function importBulkFile(
  source: AsyncIterable<Uint8Array>,
  target: BatchTarget & { resource: BackfillResource },
  options: ImportOptions,
): Promise<ImportTotals> {
  const resumeFrom = options.resumeFrom ?? { linesDone: 0, bytesDone: 0 };
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  // The embedded database is one session: a second connection would only queue behind the first.
  const connections = options.mode === "insert" ? 1 : (options.connections ?? DEFAULT_CONNECTIONS);
  const totals: ImportTotals = { ...resumeFrom, records: 0, batches: 0, created: 0, updated: 0, stale: 0 };
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
      totals.created += counts.created;
      totals.updated += counts.updated;
      totals.stale += counts.stale;
      options.onBatch?.({ ...totals });
    });
    try {
      const assembler = target.resource === "orders" ? orderAssembler(batchSize, options.mode, target.shop) : customerAssembler(batchSize, options.mode);
      for await (const batch of readBatches(source, assembler, resumeFrom, options.sourceStartsAtResume ?? false)) {
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

async function* readBatches(
  source: AsyncIterable<Uint8Array>,
  assembler: Assembler,
  resumeFrom: ImportProgress,
  sourceStartsAtResume: boolean,
): AsyncGenerator<PreparedBatch> {
  const position: ImportProgress = sourceStartsAtResume ? { ...resumeFrom } : { linesDone: 0, bytesDone: 0 };
  for await (const chunk of jsonlChunks(source)) {
    const ready: PreparedBatch[] = [];
    for (let i = 0; i < chunk.lines.length; i++) {
      const line = chunk.lines[i] ?? "";
      const bytes = chunk.bytes[i] ?? 0;
      if (position.linesDone < resumeFrom.linesDone) {
        position.linesDone += 1;
        position.bytesDone += bytes;
        if (position.linesDone === resumeFrom.linesDone && position.bytesDone !== resumeFrom.bytesDone) {
          throw new ResumeMismatchError(resumeFrom, position.bytesDone);
        }
        continue;
      }
      const before = { linesDone: position.linesDone, bytesDone: position.bytesDone };
      position.linesDone += 1;
      position.bytesDone += bytes;
      if (line.length === 0) continue;
      const batch = assembler.push(parseJson(line, position.linesDone), before);
      if (batch) ready.push(batch);
    }
    for (const batch of ready) yield batch;
  }
  if (position.linesDone < resumeFrom.linesDone) throw new ResumeMismatchError(resumeFrom, position.bytesDone);
  yield* assembler.finish({ ...position });
}

function parseJson(line: string, lineNumber: number): unknown {
  try {
    return JSON.parse(line);
  } catch {
    throw new BulkLineError(lineNumber, "is not JSON");
  }
}
