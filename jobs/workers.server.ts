import type { Job } from "bullmq";
import { UnrecoverableError } from "bullmq";
import type { Database } from "../app/db/prisma.server";
import { assertNever } from "../app/lib/assert-never";
import type { JobBackend, JobWorker } from "./backend.server";
import { processHeartbeat } from "./processors/heartbeat";
import { processDrainWebhooks } from "./processors/drain-webhooks";
import { processMembershipSync } from "./processors/membership-sync";
import { processImportOrders } from "./processors/import-orders";
import { processBackfill } from "./processors/backfill";
import { processCampaignRun } from "./processors/campaign-run";
import { processPushSend } from "./processors/push-send";
import { processAnalyticsMembers } from "./processors/analytics-members";
import { processAnalyticsRecompute } from "./processors/analytics-recompute";
import { processPickupExpireHolds } from "./processors/pickup-expire-holds";
import { processWeeklyReport } from "./processors/weekly-report";
import { processDataRetention } from "./processors/data-retention";
import { reportMailer } from "../app/reports/mail.server";
import type { Runtime } from "../app/runtime.server";
import { QUEUE_NAMES, isJobKind, type JobKind } from "./queues";
import { observeJob } from "./observe.server";

export interface WorkerDeps {
  runtime: Runtime;
  db: Database;
  jobs: JobBackend;
  concurrency: number;
  /** Time between checks for stalled jobs (a dead worker's); unset: BullMQ's default, 30 s. */
  stalledIntervalMs?: number;
}

/** Routes a job to its kind's processor; a kind without a processor fails to compile. */
export async function processJob(job: Job, deps: WorkerDeps): Promise<unknown> {
  if (!isJobKind(job.name)) throw new UnrecoverableError(`unknown job kind "${job.name}"`);
  const kind: JobKind = job.name;
  switch (kind) {
    case "heartbeat":
      return processHeartbeat(job, deps.db, deps.jobs);
    case "drain-webhooks":
      return processDrainWebhooks(job, deps.runtime);
    case "membership-sync":
      return processMembershipSync(job, deps.runtime);
    case "import-orders":
      return processImportOrders(job, deps.db, deps.jobs);
    case "backfill":
      return processBackfill(job, deps.runtime);
    case "campaign-run":
      return processCampaignRun(job, deps.runtime);
    case "push-send":
      return processPushSend(job, deps.runtime);
    case "analytics-members":
      return processAnalyticsMembers(job, deps.db, deps.jobs);
    case "analytics-recompute":
      return processAnalyticsRecompute(job, deps.db, deps.jobs);
    case "pickup-expire-holds":
      return processPickupExpireHolds(job, deps.db);
    case "weekly-report":
      return processWeeklyReport(job, { db: deps.db, mailer: reportMailer(deps.runtime.config), from: deps.runtime.config.mail.from });
    case "data-retention":
      return processDataRetention(job, deps.db, deps.jobs);
    default:
      return assertNever(kind, "job kind");
  }
}

/** Starts one worker per queue, each run timed and its failure logged (./observe.server.ts). Closing them waits for in-flight jobs. */
export function startWorkers(deps: WorkerDeps): JobWorker[] {
  return QUEUE_NAMES.map((name) =>
    deps.jobs.worker(name, (job) => observeJob(name, job, () => processJob(job, deps)), {
      concurrency: deps.concurrency,
      ...(deps.stalledIntervalMs === undefined ? {} : { stalledInterval: deps.stalledIntervalMs }),
    }),
  );
}

/**
 * Stops workers: in-flight jobs get `graceMs` to finish; after that they are
 * abandoned and BullMQ's stalled-job check returns them to the queue, so none is lost.
 */
export async function stopWorkers(workers: JobWorker[], graceMs: number): Promise<"drained" | "forced"> {
  let timer: NodeJS.Timeout | undefined;
  const graceful = Promise.all(workers.map((w) => w.close())).then(() => "drained" as const);
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), graceMs);
  });
  const outcome = await Promise.race([graceful, deadline]);
  clearTimeout(timer);
  if (outcome === "drained") return outcome;
  await Promise.all(workers.map((w) => w.close(true)));
  return "forced";
}
