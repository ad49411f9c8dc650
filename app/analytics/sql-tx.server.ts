import { createHash } from "node:crypto";
import type pg from "pg";
import type { Prisma } from "../db/generated/client";
import { driverPool, type Database } from "../db/prisma.server";
import { isEmbeddedDatabase } from "../db/server-kind.server";

/**
 * Raw statements (Prisma.Sql) on a database handle or inside a transaction,
 * whichever carries them: Prisma's client, or the `pg` connection under it.
 * Statements given here return only text, integers, floats, booleans and
 * JSON (casts in the SQL see to that), so every carrier returns the same values.
 */
export interface SqlRunner {
  query<T>(statement: Prisma.Sql): Promise<T[]>;
  /** Rows affected. */
  execute(statement: Prisma.Sql): Promise<number>;
}

/** A runner over Prisma's client or one of its transactions. */
export function prismaRunner(db: Database | Prisma.TransactionClient): SqlRunner {
  return {
    query: <T>(statement: Prisma.Sql) => db.$queryRaw<T[]>(statement),
    execute: (statement: Prisma.Sql) => db.$executeRaw(statement),
  };
}

// Prisma's 5 s default would cut off an update that waits for a segment's nightly refresh; ten minutes bounds a stuck one.
const PRISMA_TRANSACTION = { maxWait: 60_000, timeout: 600_000 };

/** Distinct statements one connection keeps prepared; statements beyond are planned each time. */
const MAX_PREPARED_PER_CONNECTION = 64;
const prepared = new WeakMap<pg.PoolClient, Set<string>>();

export interface SqlTransactionOptions {
  /**
   * true: prepared statements run with one generic plan per connection
   * (`plan_cache_mode = force_generic_plan` for this transaction), planned
   * once instead of at every execution, which is most of the cost of a
   * statement that touches a few rows. Only for statements whose best plan
   * does not depend on their values: each table reached through an index
   * that leads with shop and customer (or a row address), never one that a
   * value's selectivity could make better or worse. Otherwise plans are
   * custom: a plan made for the values of each execution.
   */
  genericPlans?: boolean;
  /**
   * false: the commit returns without waiting for the WAL to reach the disk
   * (`synchronous_commit = off` for this transaction only). Only for rows
   * that can be derived again; see docs/decisions/0023-incremental-member-update.md.
   */
  synchronousCommit?: boolean;
}

/**
 * Runs `work` in one short transaction. On a client from `createPrismaClient`,
 * on a connection of its pool directly: BEGIN (with the settings below, in
 * the same round trip), the statements, COMMIT. Every statement is prepared
 * under a name derived from its text, so a connection parses and analyses it
 * once (not on the embedded database, whose connections share one session
 * and so one namespace of names), and plans it once with `genericPlans`.
 * Otherwise, in a Prisma interactive transaction with the same settings
 * (its statements are unnamed, so planned each time). The work must use only
 * the runner it is given.
 */
export async function withSqlTransaction<T>(db: Database, work: (tx: SqlRunner) => Promise<T>, opts: SqlTransactionOptions = {}): Promise<T> {
  const settings = [
    `SET LOCAL plan_cache_mode = ${opts.genericPlans === true ? "force_generic_plan" : "force_custom_plan"}`,
    ...(opts.synchronousCommit === false ? ["SET LOCAL synchronous_commit = off"] : []),
  ];
  const pool = driverPool(db);
  if (!pool || pool.ending || pool.ended) {
    return db.$transaction(async (tx) => {
      for (const setting of settings) await tx.$executeRawUnsafe(setting);
      return work(prismaRunner(tx));
    }, PRISMA_TRANSACTION);
  }
  const canPrepare = !(await isEmbeddedDatabase(pool));
  return withLentClient(pool, async (client, markBroken) => {
    try {
      // Simple-query protocol: several statements (no parameters) in one round trip.
      await client.query(["BEGIN", ...settings].join("; "));
      const runner: SqlRunner = {
        query: async <R>(statement: Prisma.Sql) => (await client.query(driverQuery(client, statement, canPrepare))).rows as R[],
        execute: async (statement: Prisma.Sql) => (await client.query(driverQuery(client, statement, canPrepare))).rowCount ?? 0,
      };
      const result = await work(runner);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      // A connection that cannot roll back is not handed out again.
      await client.query("ROLLBACK").catch(markBroken);
      throw error;
    }
  });
}

/**
 * Lends `work` a connection of the pool and gives it back afterwards; a
 * connection lost while lent out, or that `work` marks broken, is dropped
 * instead of handed out again. The pool stops listening for a connection's
 * errors while it is lent out, so without the listener here a lost
 * connection would crash the process.
 */
async function withLentClient<T>(pool: pg.Pool, work: (client: pg.PoolClient, markBroken: (error: unknown) => void) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const markBroken = (error: unknown) => {
    broken = error instanceof Error ? error : new Error(String(error));
  };
  client.on("error", markBroken);
  try {
    return await work(client, markBroken);
  } finally {
    client.off("error", markBroken);
    client.release(broken);
  }
}

/**
 * A runner for single statements outside a transaction: on a client from
 * `createPrismaClient`, each statement runs on a connection of its pool as a
 * prepared statement (named as in `withSqlTransaction`, so a connection
 * parses and analyses it once), which skips Prisma's per-row conversion of
 * parameters and results; otherwise through Prisma. For hot statements
 * that read or write many rows at a time.
 */
export function directRunner(db: Database): SqlRunner {
  const pool = driverPool(db);
  if (!pool) return prismaRunner(db);
  const run = async (statement: Prisma.Sql): Promise<pg.QueryResult> => {
    if (pool.ending || pool.ended) throw new Error("the database connection pool is closed");
    const canPrepare = !(await isEmbeddedDatabase(pool));
    return withLentClient(pool, async (client, markBroken) => {
      try {
        return await client.query(driverQuery(client, statement, canPrepare));
      } catch (error) {
        // A connection whose statement failed on the wire, or that the server ended (FATAL), is not handed out again.
        const severity = error instanceof Error && "severity" in error ? String(error.severity) : null;
        if (severity === null || severity === "FATAL" || severity === "PANIC") markBroken(error);
        throw error;
      }
    });
  };
  return {
    query: async <T>(statement: Prisma.Sql) => (await run(statement)).rows as T[],
    execute: async (statement: Prisma.Sql) => (await run(statement)).rowCount ?? 0,
  };
}

function driverQuery(client: pg.PoolClient, statement: Prisma.Sql, canPrepare: boolean): pg.QueryConfig {
  const text = statement.text;
  const values = statement.values.map(driverValue);
  if (!canPrepare) return { text, values };
  const name = `regulars_${createHash("sha256").update(text).digest("base64url").slice(0, 22)}`;
  let names = prepared.get(client);
  if (!names) prepared.set(client, (names = new Set()));
  if (!names.has(name)) {
    if (names.size >= MAX_PREPARED_PER_CONNECTION) return { text, values };
    names.add(name);
  }
  return { name, text, values };
}

/**
 * Dates as Prisma's adapter sends them: UTC wall time without a zone (the
 * columns are `timestamp` without time zone holding UTC). The driver's own
 * form carries the process's zone offset, which such a cast would drop.
 */
function driverValue(value: unknown): unknown {
  if (value instanceof Date) return utcTimestamp(value);
  if (Array.isArray(value)) return value.map(driverValue);
  return value;
}

function utcTimestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError("cannot send an invalid date to the database");
  return date.toISOString().replace("T", " ").replace("Z", "");
}
