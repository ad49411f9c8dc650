import type { Readable } from "node:stream";
import type { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { commitStaged } from "./commit.server";
import { MalformedCsvError, readCsvRecords, type ReadProgress } from "./csv-reader.server";
import { ImportFileValidator } from "./file-validator";
import {
  beginQueuedRun,
  createRun,
  markCompleted,
  markFailed,
  markImporting,
  markRejected,
  previousCompletedImport,
  recordProgress,
  type ImportCounts,
  type ImportOrigin,
} from "./runs.server";
import { requireImportShop } from "./standalone-shop.server";
import { clearStaging, stageRows } from "./staging.server";
import type { RowError, StagedRow } from "./types";

/** The file to import: opened once to read it (its hash is known beforehand). */
export interface ImportSource {
  fileName: string;
  bytes: number;
  sha256: string;
  open(): Readable;
}

export interface ImportProgress {
  phase: "validating" | "importing";
  bytesDone: number;
  bytesTotal: number;
  rows: number;
}

export interface ImportOptions {
  origin: ImportOrigin;
  /** Continue a queued run (an admin upload) instead of recording a new one. */
  runId?: string;
  now?: Date;
  onProgress?: (progress: ImportProgress) => void;
  /**
   * Runs inside the write transaction just before it commits, with that
   * transaction (tests prove a failure there leaves nothing). It must not use
   * another connection: on the embedded database that would wait for this one.
   */
  beforeCommit?: (tx: Prisma.TransactionClient) => Promise<void>;
}

export type ImportReport = ImportCounts & {
  runId: string;
  shop: string;
  fileName: string;
  status: "completed" | "rejected";
  errors: RowError[];
  errorCount: number;
  /** When this same file was last imported into this shop, if it was. */
  previouslyImportedAt: Date | null;
};

/** The run named by a queued import does not exist (or has already finished). */
export class ImportRunNotFoundError extends Error {
  constructor(readonly shop: string, readonly runId: string) {
    super(`Import run ${runId} of ${shop} does not exist or has already finished`);
    this.name = "ImportRunNotFoundError";
  }
}

const STAGE_BATCH = 2_000;
const PROGRESS_EVERY_MS = 500;
/** The write transaction is a few set-based statements; minutes is a generous ceiling for a very large file. */
const WRITE_TIMEOUT_MS = 15 * 60_000;

/**
 * Imports order history from a CSV file into one shop, all or nothing
 * (docs/decisions/0006-csv-import-all-or-nothing.md): every row is validated
 * and staged first; only a file without a single error is then written, in
 * one transaction. Returns the report; throws UnknownShopError for a shop
 * Regulars does not know, and any infrastructure error (after marking the run failed).
 */
export async function importOrders(db: Database, shopDomain: string, source: ImportSource, options: ImportOptions): Promise<ImportReport> {
  const shop = await requireImportShop(db, shopDomain);
  const run = options.runId
    ? await beginQueuedRun(db, shop.domain, options.runId)
    : await createRun(db, {
        shop: shop.domain,
        fileName: source.fileName,
        fileSha256: source.sha256,
        bytes: source.bytes,
        origin: options.origin,
        status: "validating",
      });
  if (!run) throw new ImportRunNotFoundError(shop.domain, options.runId ?? "");
  try {
    await clearStaging(db, shop.domain, run.id);
    const validator = new ImportFileValidator({ timezone: shop.timezone, currency: shop.currency, now: options.now ?? new Date() });
    const progress = await validateAndStage(db, shop.domain, run.id, source, validator, options.onProgress);
    const report = {
      runId: run.id,
      shop: shop.domain,
      fileName: source.fileName,
      errors: validator.errors,
      errorCount: validator.errorCount,
      previouslyImportedAt: await previousCompletedImport(db, shop.domain, source.sha256, run.id),
    };
    if (!validator.valid) {
      await clearStaging(db, shop.domain, run.id);
      await markRejected(db, shop.domain, run.id, { rows: validator.rows, bytesDone: progress.bytesRead, errors: validator.errors, errorCount: validator.errorCount });
      const counts = { rows: validator.rows, ordersNew: 0, ordersUpdated: 0, ordersUnchanged: 0, customersNew: 0 };
      return { ...report, ...counts, status: "rejected" };
    }
    await markImporting(db, shop.domain, run.id, { bytesDone: source.bytes, rows: validator.rows });
    options.onProgress?.({ phase: "importing", bytesDone: source.bytes, bytesTotal: source.bytes, rows: validator.rows });
    const counts = await db.$transaction(
      async (tx) => {
        const written = await commitStaged(tx, shop.domain, run.id, run.startedAt);
        await markCompleted(tx, shop.domain, run.id, written);
        await options.beforeCommit?.(tx);
        return written;
      },
      { timeout: WRITE_TIMEOUT_MS, maxWait: 60_000 },
    );
    return { ...report, ...counts, status: "completed" };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await markFailed(db, shop.domain, run.id, message).catch(() => {});
    await clearStaging(db, shop.domain, run.id).catch(() => {});
    throw error;
  }
}

/** Reads the file once: validates every row, staging valid ones while the file is still error-free. */
async function validateAndStage(
  db: Database,
  shop: string,
  runId: string,
  source: ImportSource,
  validator: ImportFileValidator,
  onProgress: ImportOptions["onProgress"],
): Promise<ReadProgress> {
  const progress: ReadProgress = { bytesRead: 0 };
  let batch: StagedRow[] = [];
  let lastReport = 0;
  // One batch is written while the next is parsed: the database and the parser work side by side.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const rows = batch;
    batch = [];
    await writing;
    // Once the file has an error nothing will be written, so staging stops; validation goes on to find every error.
    if (validator.valid && rows.length > 0) {
      writing = stageRows(db, shop, runId, rows);
      writing.catch(() => {}); // awaited by the next flush; marked handled until then
    }
  };
  try {
    for await (const record of readCsvRecords(source.open(), progress)) {
      const accepted = validator.accept(record);
      if (!validator.readable) break;
      if (accepted.kind === "row" && validator.valid) batch.push(accepted.row);
      if (batch.length >= STAGE_BATCH) await flush();
      if (Date.now() - lastReport >= PROGRESS_EVERY_MS) {
        lastReport = Date.now();
        const bytesDone = Math.min(progress.bytesRead, source.bytes);
        onProgress?.({ phase: "validating", bytesDone, bytesTotal: source.bytes, rows: validator.rows });
        await recordProgress(db, shop, runId, { bytesDone, rows: validator.rows });
      }
    }
  } catch (error) {
    if (!(error instanceof MalformedCsvError)) {
      await writing.catch(() => {});
      throw error;
    }
    validator.reportUnreadable({ line: error.line, column: null, message: error.message });
  }
  validator.finish();
  await flush();
  await writing;
  return progress;
}
