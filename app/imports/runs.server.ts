import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Prisma } from "../db/generated/client";
import type { ImportRun } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import type { ImportStatus, RowError } from "./types";

/** The ImportRun rows: one per import attempt, the record the CLI prints and the admin polls. */

export type ImportOrigin = "cli" | "admin";

export interface ImportRunSummary {
  id: string;
  fileName: string;
  fileSha256: string;
  status: ImportStatus;
  origin: ImportOrigin;
  bytes: number;
  bytesDone: number;
  rows: number;
  ordersNew: number;
  ordersUpdated: number;
  ordersUnchanged: number;
  customersNew: number;
  errors: RowError[];
  errorCount: number;
  failure: string | null;
  startedAt: Date;
  finishedAt: Date | null;
}

export interface ImportCounts {
  rows: number;
  ordersNew: number;
  ordersUpdated: number;
  ordersUnchanged: number;
  customersNew: number;
}

const statusSchema = z.enum(["queued", "validating", "importing", "completed", "rejected", "failed"]);
const originSchema = z.enum(["cli", "admin"]);
const errorsSchema = z.array(z.object({ line: z.number(), column: z.string().nullable(), message: z.string() }));

export async function createRun(
  db: Database | Prisma.TransactionClient,
  run: { shop: string; fileName: string; fileSha256: string; bytes: number; origin: ImportOrigin; status: ImportStatus },
): Promise<ImportRun> {
  return db.importRun.create({ data: { id: randomUUID(), ...run, bytes: BigInt(run.bytes) } });
}

/** A queued run (an admin upload) begins: the worker claims it. Null when there is no such run. */
export async function beginQueuedRun(db: Database, shop: string, id: string): Promise<ImportRun | null> {
  const { count } = await db.importRun.updateMany({
    where: { shop, id, status: { in: ["queued", "validating", "importing", "failed"] } },
    data: { status: "validating", bytesDone: 0n, rows: 0, failure: null },
  });
  return count === 0 ? null : db.importRun.findUnique({ where: { shop_id: { shop, id } } });
}

export async function recordProgress(db: Database, shop: string, id: string, progress: { bytesDone: number; rows: number }): Promise<void> {
  await db.importRun.update({ where: { shop_id: { shop, id } }, data: { bytesDone: BigInt(progress.bytesDone), rows: progress.rows } });
}

export async function markImporting(db: Database, shop: string, id: string, progress: { bytesDone: number; rows: number }): Promise<void> {
  await db.importRun.update({
    where: { shop_id: { shop, id } },
    data: { status: "importing", bytesDone: BigInt(progress.bytesDone), rows: progress.rows },
  });
}

export async function markRejected(
  db: Database,
  shop: string,
  id: string,
  outcome: { rows: number; bytesDone: number; errors: RowError[]; errorCount: number },
): Promise<void> {
  await db.importRun.update({
    where: { shop_id: { shop, id } },
    data: {
      status: "rejected",
      rows: outcome.rows,
      bytesDone: BigInt(outcome.bytesDone),
      errors: outcome.errors.map((error) => ({ ...error })),
      errorCount: outcome.errorCount,
      finishedAt: new Date(),
    },
  });
}

/** Written in the import's own transaction, so the status and the orders commit together. */
export async function markCompleted(tx: Prisma.TransactionClient, shop: string, id: string, counts: ImportCounts): Promise<void> {
  await tx.importRun.update({
    where: { shop_id: { shop, id } },
    data: { status: "completed", ...counts, errors: [], errorCount: 0, finishedAt: new Date() },
  });
}

export async function markFailed(db: Database, shop: string, id: string, failure: string): Promise<void> {
  await db.importRun.update({ where: { shop_id: { shop, id } }, data: { status: "failed", failure, finishedAt: new Date() } });
}

export async function findRun(db: Database, shop: string, id: string): Promise<ImportRunSummary | null> {
  const run = await db.importRun.findUnique({ where: { shop_id: { shop, id } } });
  return run ? summarise(run) : null;
}

export async function listRuns(db: Database, shop: string, limit: number): Promise<ImportRunSummary[]> {
  const runs = await db.importRun.findMany({ where: { shop }, orderBy: { startedAt: "desc" }, take: limit });
  return runs.map(summarise);
}

/** When this exact file last finished importing into the shop, if it has. */
export async function previousCompletedImport(db: Database, shop: string, fileSha256: string, exceptId: string): Promise<Date | null> {
  const run = await db.importRun.findFirst({
    where: { shop, fileSha256, status: "completed", id: { not: exceptId } },
    orderBy: { finishedAt: "desc" },
  });
  return run?.finishedAt ?? null;
}

function summarise(run: ImportRun): ImportRunSummary {
  const errors = errorsSchema.safeParse(run.errors);
  return {
    id: run.id,
    fileName: run.fileName,
    fileSha256: run.fileSha256,
    status: statusSchema.catch("failed").parse(run.status),
    origin: originSchema.catch("cli").parse(run.origin),
    bytes: Number(run.bytes),
    bytesDone: Number(run.bytesDone),
    rows: run.rows,
    ordersNew: run.ordersNew,
    ordersUpdated: run.ordersUpdated,
    ordersUnchanged: run.ordersUnchanged,
    customersNew: run.customersNew,
    errors: errors.success ? errors.data : [],
    errorCount: run.errorCount,
    failure: run.failure,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

/** Row errors the admin page lists; the rest are counted. */
const ERRORS_SHOWN = 200;

export interface ImportOverview {
  /** The run asked for, else the latest one. */
  run: ImportRunSummary | null;
  recent: Array<Omit<ImportRunSummary, "errors">>;
}

/** What the admin import page shows: one run in detail and the latest few. */
export async function importOverview(db: Database, shop: string, runId: string | null): Promise<ImportOverview> {
  const recent = await listRuns(db, shop, 5);
  const run = runId ? await findRun(db, shop, runId) : (recent[0] ?? null);
  return {
    run: run ? { ...run, errors: run.errors.slice(0, ERRORS_SHOWN) } : null,
    recent: recent.map(({ errors: _errors, ...rest }) => rest),
  };
}
