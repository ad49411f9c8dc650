import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "./generated/client";

export type Database = PrismaClient;

const pools = new WeakMap<Database, pg.Pool>();

/** A Prisma client on PostgreSQL through the `pg` driver adapter (Prisma 7 has no built-in driver). */
export function createPrismaClient(databaseUrl: string, options: { maxConnections?: number } = {}): Database {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: options.maxConnections ?? 10 });
  // The adapter listens for idle-connection errors once Prisma connects; until then the pool drops such a connection quietly.
  pool.on("error", () => {});
  const client = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(client, pool);
  return client;
}

/**
 * The `pg` pool under a client made by `createPrismaClient` (the same
 * connections, ended by `$disconnect`), for the few paths that need the driver
 * itself: named prepared statements, a short transaction without Prisma's
 * interactive-transaction bookkeeping. Undefined for a client made elsewhere.
 */
export function driverPool(db: Database): pg.Pool | undefined {
  return pools.get(db);
}
