import pg from "pg";

/**
 * One process at a time advances a run: the job (BullMQ may, rarely, run a
 * stalled job twice) and `regulars backfill start --wait` can reach the same
 * run. A session-level advisory lock on a connection of its own is released
 * by PostgreSQL itself if the process dies.
 *
 * On the embedded database every connection shares PGlite's one session, so
 * the lock is always granted there; the embedded database's folder lock
 * already keeps a second process out.
 */
export type Locked<T> = { locked: true; value: T } | { locked: false };

export async function withRunLock<T>(databaseUrl: string, runId: string, work: () => Promise<T>): Promise<Locked<T>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => {});
  await client.connect();
  try {
    const key = `regulars:backfill:${runId}`;
    const result = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked", [key]);
    if (result.rows[0]?.locked !== true) return { locked: false };
    try {
      return { locked: true, value: await work() };
    } finally {
      await client.query("SELECT pg_advisory_unlock(hashtextextended($1, 0))", [key]).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}
