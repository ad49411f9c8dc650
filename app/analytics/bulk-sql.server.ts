import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { isEmbeddedDatabase } from "../db/server-kind.server";

// Prisma's 5 s default would abort a large shop's rebuild; an hour bounds a stuck one.
const SHOP_WIDE_TRANSACTION = { maxWait: 60_000, timeout: 3_600_000 };

/**
 * Runs one whole-shop statement of a recompute (millions of orders or visits)
 * in its own transaction with settings suited to it, reset at its end:
 * - work_mem: room to hash and sort a large shop's rows in memory instead of
 *   spilling them to disk in small batches (the stock 4 MB);
 * - jit off: compiling these one-off plans costs seconds and saves less;
 * - plain index scans off: reading a whole shop through the customer index
 *   visits the orders table in random order; a scan of the shop's pages
 *   followed by a hash or a sort is several times faster (bitmap scans stay
 *   on, so a statement still reads only its shop's pages in a shared
 *   database). Customer-scoped statements do not come here: they need the index.
 */
export async function runShopWideStatement<T>(db: Database, statement: Prisma.Sql): Promise<T[]> {
  const [, , , rows] = await db.$transaction([
    db.$executeRaw`SET LOCAL work_mem = '128MB'`,
    db.$executeRaw`SET LOCAL jit = off`,
    db.$executeRaw`SET LOCAL enable_indexscan = off`,
    db.$queryRaw<T[]>(statement),
  ], SHOP_WIDE_TRANSACTION);
  return rows;
}

/** What a merge statement reports: rows the scope holds now, rows written, rows removed. */
export interface MergeCounts {
  fresh: number;
  written: number;
  removed: number;
}

/**
 * Runs a statement scoped to some members after taking a transaction lock per
 * member (in one order, so two updates never deadlock). Two updates of the
 * same member then run one after the other, and the later one's statement
 * sees every order committed before it: an update that read older orders can
 * no longer overwrite a newer one.
 */
export async function runForMembers<T>(db: Database, shop: string, customerIds: readonly string[], statement: Prisma.Sql): Promise<T[]> {
  const [, rows] = await db.$transaction([
    db.$queryRaw`
      SELECT count(pg_advisory_xact_lock(k))::int AS locked
      FROM (SELECT DISTINCT ${memberLockKeySql(shop, Prisma.raw("id"))} AS k
            FROM unnest(${[...customerIds]}::text[]) AS id ORDER BY k) keys`,
    db.$queryRaw<T[]>(statement),
  ]);
  return rows;
}

/**
 * The advisory lock key of a member's analytics (`id` is an SQL expression
 * giving the customer id). Locks are always taken in key order, member and
 * segment keys alike (see ./segments/materialise.server), so no two updates deadlock.
 */
export function memberLockKeySql(shop: string, id: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`hashtextextended('regulars:member:' || ${shop}::text || ':' || ${id}, 0)`;
}

/**
 * A whole-shop write: when the scope holds no rows yet (a shop's first
 * recompute), a plain insert in key order, which costs about a third less
 * than an upsert of the same rows; else the merge. Should a member update
 * write rows between the check and the insert, the insert fails on a key and
 * the merge runs instead, so the result is the same either way.
 *
 * The insert may come in parts (disjoint sets of members), run at once on
 * separate connections: a large first load is bound by the server's CPU
 * inserting rows and index entries, which one statement cannot spread over
 * cores. Each part commits on its own; if any part fails, the merge runs
 * once all have ended and writes what is missing.
 */
export async function insertOrMerge<T>(
  db: Database,
  holdsRows: () => Promise<boolean>,
  statements: { insert: Prisma.Sql | readonly Prisma.Sql[]; merge: Prisma.Sql },
): Promise<T[]> {
  if (await holdsRows()) return runShopWideStatement<T>(db, statements.merge);
  const parts = Array.isArray(statements.insert) ? statements.insert : [statements.insert];
  const settled = await Promise.allSettled(parts.map((part) => runShopWideStatement<T>(db, part)));
  const failed = settled.find((result) => result.status === "rejected");
  if (!failed) return settled.flatMap((result) => (result.status === "fulfilled" ? result.value : []));
  if (await holdsRows()) return runShopWideStatement<T>(db, statements.merge);
  throw failed.reason;
}

/** One of `of` disjoint parts of a shop's members, by a hash of the customer id (`of`: 1 or 2, from `firstLoadParts`). */
export interface LoadPart {
  part: number;
  of: number;
}

/**
 * How many parts a first load is split into: 2 on a PostgreSQL server, 1 on
 * the embedded database (one connection at a time, so parts would only queue).
 */
export async function firstLoadParts(db: Database): Promise<number> {
  return (await isEmbeddedDatabase(db)) ? 1 : 2;
}
