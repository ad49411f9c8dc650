import { UnrecoverableError, type Job } from "bullmq";
import type { Database } from "../../app/db/prisma.server";
import { ImportRunNotFoundError } from "../../app/imports/import-orders.server";
import { UnknownShopError } from "../../app/imports/standalone-shop.server";
import { runQueuedImport } from "../../app/imports/uploads.server";
import { jobPayloads } from "../queues";

export interface ImportOrdersResult {
  runId: string;
  status: "completed" | "rejected";
  rows: number;
  errorCount: number;
}

/** Runs an uploaded import. A rejected file is a result, not a failure: retrying cannot fix its rows. */
export async function processImportOrders(job: Job, db: Database): Promise<ImportOrdersResult> {
  const parsed = jobPayloads["import-orders"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`import-orders payload invalid: ${parsed.error.issues[0]?.message}`);
  try {
    const report = await runQueuedImport(db, parsed.data);
    return { runId: report.runId, status: report.status, rows: report.rows, errorCount: report.errorCount };
  } catch (error) {
    if (error instanceof ImportRunNotFoundError || error instanceof UnknownShopError) {
      throw new UnrecoverableError(error.message);
    }
    throw error;
  }
}
