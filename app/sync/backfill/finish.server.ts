import type { Runtime } from "../../runtime.server";
import { operationFailure, wakeWaitingRuns } from "./advance.server";
import { ensureBackfillJob } from "./jobs.server";
import { failRun, findRunByOperation, transitionRun } from "./runs.server";
import type { BackfillStatus } from "./types";

export interface BulkOperationFinish {
  /** gid://shopify/BulkOperation/… */
  adminGraphqlApiId: string;
  /** Shopify's status, in either spelling ("completed" in the webhook, COMPLETED in GraphQL). */
  status: string;
  errorCode: string | null;
}

export type FinishOutcome = { matched: false } | { matched: true; runId: string; status: BackfillStatus };

/**
 * The bulk_operations/finish webhook: moves the run whose operation finished
 * on to its import (or to failed, with Shopify's reason) and wakes its job
 * from the polling delay. Idempotent and order-tolerant: a repeat, or a
 * webhook arriving after polling already saw the outcome, changes nothing.
 * An operation that is not a backfill's (another feature's bulk query) is ignored.
 */
export async function onBulkOperationFinished(runtime: Runtime, shop: string, finish: BulkOperationFinish): Promise<FinishOutcome> {
  const run = await findRunByOperation(runtime.db, shop, finish.adminGraphqlApiId);
  if (!run) return { matched: false };
  const status = finish.status.toUpperCase();
  if (status === "COMPLETED") {
    await transitionRun(runtime.db, shop, run.id, ["running"], "downloading");
  } else {
    await failRun(runtime.db, shop, run.id, operationFailure(status, finish.errorCode));
  }
  const after = await findRunByOperation(runtime.db, shop, finish.adminGraphqlApiId);
  // The job fetches the file's URL itself (the webhook does not carry it) and imports it.
  await ensureBackfillJob(runtime, shop, run.id);
  await wakeWaitingRuns(runtime, run);
  return { matched: true, runId: run.id, status: after?.status ?? run.status };
}
