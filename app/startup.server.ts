import type { Config } from "./config.server";
import { openDatabase, type OpenDatabase } from "./db/database.server";
import { applyMigrations, migrationStatus } from "./db/migrations.server";
import { createPrismaClient } from "./db/prisma.server";
import { createJobBackend } from "../jobs/backend.server";
import type { Runtime } from "./runtime.server";

/** The database has migrations that were not applied; the app will not run on it. */
export class DatabaseBehindError extends Error {
  constructor(readonly pending: string[], readonly failed: string[]) {
    super(
      failed.length > 0
        ? `The database has a failed migration (${failed.join(", ")}). Resolve it, then run: npm run db:migrate`
        : `The database is behind: ${pending.length} migration(s) pending (${pending.join(", ")}). Run: npm run db:migrate`,
    );
    this.name = "DatabaseBehindError";
  }
}

export interface StartOptions {
  /** Apply pending migrations instead of refusing to start (the demo does). */
  migrate?: boolean;
}

/** Opens the database, checks its migrations, and connects Prisma and the job queues. */
export async function startRuntime(config: Config, options: StartOptions = {}): Promise<Runtime> {
  const database = await openDatabase(config.database);
  try {
    await ensureMigrated(database, options.migrate ?? false);
    const db = createPrismaClient(database.url);
    const jobs = createJobBackend(config.queue, database.url);
    return { config, database, db, jobs, startedAt: new Date() };
  } catch (error) {
    await database.close();
    throw error;
  }
}

export async function stopRuntime(runtime: Runtime): Promise<void> {
  try {
    await runtime.jobs.close();
  } finally {
    try {
      await runtime.db.$disconnect();
    } finally {
      await runtime.database.close();
    }
  }
}

async function ensureMigrated(database: OpenDatabase, migrate: boolean): Promise<void> {
  if (migrate) {
    await applyMigrations(database.url);
    return;
  }
  const status = await migrationStatus(database.url);
  if (!status.upToDate) throw new DatabaseBehindError(status.pending, status.failed);
}
