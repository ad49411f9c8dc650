import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Database } from "../db/prisma.server";
import { importOrders, ImportRunNotFoundError, type ImportReport } from "./import-orders.server";
import { uploadTooLargeMessage, UPLOAD_LIMIT_BYTES } from "./limits";
import { createRun } from "./runs.server";
import { requireImportShop } from "./standalone-shop.server";

/** An upload over UPLOAD_LIMIT_BYTES; the message tells the merchant what to do instead. */
export class UploadTooLargeError extends Error {
  constructor(readonly bytes: number | null) {
    super(uploadTooLargeMessage(bytes));
    this.name = "UploadTooLargeError";
  }
}

export interface Upload {
  fileName: string;
  content: Uint8Array;
}

/** The job that will run a queued import (the caller adds it to the queue). */
export interface ImportJob {
  shop: string;
  runId: string;
}

/**
 * An admin upload: stores the file and a queued ImportRun in one transaction,
 * then hands the job to `enqueueImport`. The import itself runs in a worker
 * (`runQueuedImport`) so a large file never holds a web request open; the page
 * polls the run for progress.
 */
export async function submitUpload(
  db: Database,
  shop: string,
  upload: Upload,
  enqueueImport: (job: ImportJob) => Promise<void>,
): Promise<{ runId: string }> {
  if (upload.content.byteLength > UPLOAD_LIMIT_BYTES) throw new UploadTooLargeError(upload.content.byteLength);
  await requireImportShop(db, shop);
  const fileSha256 = createHash("sha256").update(upload.content).digest("hex");
  const run = await db.$transaction(async (tx) => {
    const created = await createRun(tx, {
      shop,
      fileName: upload.fileName,
      fileSha256,
      bytes: upload.content.byteLength,
      origin: "admin",
      status: "queued",
    });
    await tx.importUpload.create({ data: { shop, runId: created.id, content: Buffer.from(upload.content) } });
    return created;
  });
  await enqueueImport({ shop, runId: run.id });
  return { runId: run.id };
}

/**
 * The `import-orders` job: imports a stored upload. The upload is deleted once
 * the file has a verdict (completed or rejected); after a failure it stays, so a
 * retry of the job can run it again.
 */
export async function runQueuedImport(db: Database, job: ImportJob): Promise<ImportReport> {
  const stored = await db.importUpload.findUnique({
    where: { shop_runId: { shop: job.shop, runId: job.runId } },
    include: { run: true },
  });
  if (!stored) throw new ImportRunNotFoundError(job.shop, job.runId);
  if (stored.run.status === "completed" || stored.run.status === "rejected") {
    // A repeat of a job that already reached a verdict (it stopped before deleting the upload).
    await db.importUpload.deleteMany({ where: { shop: job.shop, runId: job.runId } });
    throw new ImportRunNotFoundError(job.shop, job.runId);
  }
  const content = Buffer.from(stored.content);
  const report = await importOrders(
    db,
    job.shop,
    {
      fileName: stored.run.fileName,
      bytes: content.byteLength,
      sha256: stored.run.fileSha256,
      open: () => Readable.from(chunks(content)),
    },
    { origin: "admin", runId: job.runId },
  );
  await db.importUpload.deleteMany({ where: { shop: job.shop, runId: job.runId } });
  return report;
}

/** 64 KB at a time, so the parser holds a few records rather than the whole file's. */
function* chunks(content: Buffer, size = 64 * 1024): Generator<Buffer> {
  for (let start = 0; start < content.byteLength; start += size) yield content.subarray(start, start + size);
}
