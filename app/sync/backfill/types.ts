/**
 * A backfill copies a shop's history out of Shopify with one GraphQL bulk
 * operation per resource. Each resource's progress is a `BackfillRun` row;
 * these are its vocabulary, shared by the job, the webhook, the admin and the CLI.
 */
export const BACKFILL_RESOURCES = ["orders", "customers"] as const;
export type BackfillResource = (typeof BACKFILL_RESOURCES)[number];

/**
 * requested   — run recorded, job queued; the bulk operation is not started yet
 *               (Shopify runs one per shop at a time, so it may be waiting for another).
 * running     — the bulk operation runs on Shopify.
 * downloading — the operation completed; its file is about to be read.
 * importing   — the file is being streamed into the database (resumes from `linesDone`).
 * completed / failed — final.
 */
export const BACKFILL_STATUSES = ["requested", "running", "downloading", "importing", "completed", "failed"] as const;
export type BackfillStatus = (typeof BACKFILL_STATUSES)[number];

export const ACTIVE_STATUSES: readonly BackfillStatus[] = ["requested", "running", "downloading", "importing"];

export function isBackfillResource(value: string): value is BackfillResource {
  return (BACKFILL_RESOURCES as readonly string[]).includes(value);
}

export function isBackfillStatus(value: string): value is BackfillStatus {
  return (BACKFILL_STATUSES as readonly string[]).includes(value);
}

/** What the admin and the CLI show of one run. */
export interface BackfillRunView {
  shop: string;
  id: string;
  resource: BackfillResource;
  status: BackfillStatus;
  bulkOperationId: string | null;
  /** Objects in the bulk file (orders and line items count separately), once Shopify reports it. */
  objectCount: number | null;
  linesDone: number;
  bytesDone: number;
  error: string | null;
  startedAt: Date;
  finishedAt: Date | null;
  updatedAt: Date;
}

/** Where an import stands after a batch; written in the batch's own transaction. */
export interface ImportProgress {
  linesDone: number;
  bytesDone: number;
}
