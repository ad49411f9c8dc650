import { UnrecoverableError, type Job } from "bullmq";
import type { Database } from "../../app/db/prisma.server";
import { ImportRunNotFoundError } from "../../app/imports/import-orders.server";
import { UnknownShopError } from "../../app/imports/standalone-shop.server";
import { runQueuedImport } from "../../app/imports/uploads.server";
import { jobPayloads } from "../queues";
import type { JobBackend } from "../backend.server";
import { requestRecompute } from "../analytics.server";

export interface ImportOrdersResult {
  runId: string;
  status: "completed" | "rejected";
  rows: number;
  errorCount: number;
}

/** Runs an uploaded import. A rejected file is a result, not a failure: retrying cannot fix its rows. */
export async function processImportOrders(job: Job, db: Database, jobs: JobBackend): Promise<ImportOrdersResult> {
  const parsed = jobPayloads["import-orders"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`import-orders payload invalid: ${parsed.error.issues[0]?.message}`);
  try {
    const report = await runQueuedImport(db, parsed.data);
    // Imported history changes cohorts, the model and segments: recompute them from it.
    if (report.status === "completed" && report.ordersNew + report.ordersUpdated > 0) await requestRecompute(jobs, parsed.data.shop);
    return { runId: report.runId, status: report.status, rows: report.rows, errorCount: report.errorCount };
  } catch (error) {
    if (error instanceof ImportRunNotFoundError || error instanceof UnknownShopError) {
      throw new UnrecoverableError(error.message);
    }
    throw error;
  }
}
