import type pg from "pg";
import type { PreparedBatch } from "./assemble";
import { writeBatch, type BatchOutcome, type BatchTarget } from "./batch-writer.server";

/**
 * Writes batches on one or more connections at once, committing them in file
 * order. Each batch does its heavy work (staging, merge) as soon as a
 * connection is free, then waits for the batch before it to commit before it
 * records its progress and commits. So the progress in the database is always
 * a prefix of the file that is fully written — the resume point stays exact —
 * while the database works on two batches at a time.
 *
 * Two batches in flight could wait on each other if they held the same order
 * (one on the row lock, the other here, for the commit): a batch sharing an
 * id with the batch before it is flagged by the assembler and starts only
 * after that batch has committed.
 *
 * While batches keep finding only new orders (a first backfill, or a resumed
 * one), the next batch is written as all new (writeNewOrders); once one found
 * orders already held (webhooks got there first, or the file is imported
 * again), the following batches merge until one creates every order again.
 */
export class OrderedBatchWriter {
  private readonly lanes: Promise<void>[];
  private lastCommit: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private submitted = 0;
  private lastAllNew = true;

  constructor(
    private readonly clients: readonly pg.ClientBase[],
    private readonly target: BatchTarget,
    private readonly signal: AbortSignal | undefined,
    private readonly onWritten: (outcome: BatchOutcome, batch: PreparedBatch) => void,
  ) {
    this.lanes = clients.map(() => Promise.resolve());
  }

  /** Starts writing `batch` once a connection is free; fails with the first error of any earlier batch. */
  async submit(batch: PreparedBatch): Promise<void> {
    const lane = this.submitted++ % this.clients.length;
    const client = this.clients[lane];
    if (!client) throw new Error("the writer has no connection");
    await this.lanes[lane];
    if (batch.afterPrevious) await this.lastCommit.catch(() => {});
    this.rethrow();
    const previous = this.lastCommit;
    const expectNew = this.lastAllNew && !batch.afterPrevious;
    const committed = writeBatch(client, this.target, batch, { signal: this.signal, beforeCommit: () => previous, expectNew }).then((counts) => {
      this.lastAllNew = counts.created === batch.records;
      this.onWritten(counts, batch);
    });
    this.lastCommit = committed;
    this.lanes[lane] = committed.catch((error: unknown) => {
      this.failure ??= error;
    });
  }

  /** Waits for every batch; fails with the first error. */
  async drain(): Promise<void> {
    await Promise.all(this.lanes);
    this.rethrow();
  }

  /** Waits for the batches in flight however the import ended, so the connections close after them. */
  async settle(): Promise<void> {
    await Promise.all(this.lanes);
  }

  private rethrow(): void {
    if (this.failure !== null) throw this.failure;
  }
}
