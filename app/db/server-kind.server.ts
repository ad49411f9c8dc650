import type pg from "pg";
import { driverPool, type Database } from "./prisma.server";

/**
 * Whether a connection's server is the embedded database (PGlite names
 * itself in `version()`). The server's answer decides, not the
 * configuration: DATABASE_URL can point at an embedded database that another
 * process serves (tests do). The embedded database takes one connection at a
 * time, shares one session between connections (so one namespace of prepared
 * statement names) and cannot COPY through its socket.
 */
export async function servesEmbedded(connection: pg.Pool | pg.PoolClient | pg.Client): Promise<boolean> {
  const { rows } = await connection.query<{ version: string }>("SELECT version()");
  return rows[0]?.version.includes("PGlite") ?? false;
}

const known = new WeakMap<object, Promise<boolean>>();

/** `servesEmbedded` for a pool or a Prisma client, asked once per handle (a failed answer is asked again). */
export function isEmbeddedDatabase(handle: pg.Pool | Database): Promise<boolean> {
  let answer = known.get(handle);
  if (!answer) {
    answer = "$queryRaw" in handle ? embeddedBehindPrisma(handle) : servesEmbedded(handle);
    known.set(handle, answer);
    answer.catch(() => known.delete(handle));
  }
  return answer;
}

function embeddedBehindPrisma(db: Database): Promise<boolean> {
  const pool = driverPool(db);
  if (pool) return isEmbeddedDatabase(pool);
  return db.$queryRaw<Array<{ version: string }>>`SELECT version()`.then((rows) => rows[0]?.version.includes("PGlite") ?? false);
}
