import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directRunner, withSqlTransaction } from "../../app/analytics/sql-tx.server";
import { Prisma } from "../../app/db/generated/client";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { freshDatabase } from "../support/stacks";

/**
 * A connection lent out by the pool and lost mid-statement (the server
 * restarted, or ended the backend) fails that statement and is dropped; it
 * must not crash the process (the pool stops listening for a lent-out
 * connection's errors, and an 'error' event without a listener throws).
 * Needs a PostgreSQL server, where one backend can end another's.
 */
describe.skipIf(!process.env.DATABASE_URL)("raw SQL when the server ends the connection", () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: Database;
  let admin: pg.Client;
  beforeAll(async () => {
    database = await freshDatabase("server");
    db = createPrismaClient(database.url);
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
  });
  afterAll(async () => {
    await admin.end();
    await db.$disconnect();
    await database.drop();
  });

  async function endBackendRunning(marker: string): Promise<void> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const { rows } = await admin.query<{ ended: boolean }>(
        "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE query LIKE $1 AND pid <> pg_backend_pid()",
        [`%${marker}%`],
      );
      if (rows.some((row) => row.ended)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no backend ran ${marker}`);
  }

  it("fails the statement, drops the connection and keeps the process up (single statements)", async () => {
    const runner = directRunner(db);
    const sleeping = runner.query(Prisma.sql`SELECT pg_sleep(5), 'direct-runner-marker' AS marker`);
    await endBackendRunning("direct-runner-marker");
    await expect(sleeping).rejects.toThrow();
    // The next statement gets a working connection.
    expect(await runner.query<{ one: number }>(Prisma.sql`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
  });

  it("fails the transaction, drops the connection and keeps the process up (transactions)", async () => {
    const work = withSqlTransaction(db, (tx) => tx.query(Prisma.sql`SELECT pg_sleep(5), 'sql-transaction-marker' AS marker`));
    await endBackendRunning("sql-transaction-marker");
    await expect(work).rejects.toThrow();
    expect(await withSqlTransaction(db, (tx) => tx.query<{ one: number }>(Prisma.sql`SELECT 1 AS one`))).toEqual([{ one: 1 }]);
  });
});
