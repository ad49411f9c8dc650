import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { STAGE_COLUMNS, STAGE_TABLES, type StageMode, type StagePayload, type StageTable } from "./stage-rows";

export type { StageMode };

/**
 * Staging tables: a batch of the bulk file lands here first, then one set-based
 * merge per table moves it into the real tables with the sync writer's rules.
 *
 * They are temporary tables of the session, made on first use and emptied at
 * every commit (ON COMMIT DELETE ROWS): each batch is one transaction, so no
 * row outlives it, and the embedded database (whose socket connections all
 * share PGlite's single session) never sees two batches' rows at once. Made
 * once per session rather than once per batch, they spare the catalog a
 * table's creation and removal per batch and table.
 *
 * How rows get in:
 * - `copy`: COPY … FROM STDIN (pg-copy-streams), the fastest path PostgreSQL has.
 * - `insert`: one parameterised INSERT … SELECT FROM unnest($1::text[], …) per
 *   table. The embedded database needs it: COPY FROM STDIN through
 *   pglite-socket drops the connection ("protocol synchronization was lost"),
 *   as PGlite's wire protocol has no COPY-in sub-protocol.
 */

/** COPY wherever the database is a PostgreSQL server; the parameterised INSERT on the embedded one. */
export function stageModeFor(databaseKind: "embedded" | "postgres"): StageMode {
  return databaseKind === "embedded" ? "insert" : "copy";
}

/**
 * Makes the staging tables ready in the current transaction: empty (fill each
 * at most once per transaction), and emptied again at commit or rollback.
 */
export async function createStageTables(client: pg.ClientBase, tables: readonly StageTable[]): Promise<void> {
  for (const table of tables) {
    // Table and column names are this module's constants, never input.
    const columns = STAGE_TABLES[table].map(([column, type]) => `${column} ${type}`).join(", ");
    await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${table} (${columns}) ON COMMIT DELETE ROWS`);
  }
}

/** Fills a staging table created by createStageTables. */
export async function fillStageTable(client: pg.ClientBase, payload: StagePayload): Promise<void> {
  await sendRows(client, { table: payload.table, columns: STAGE_COLUMNS[payload.table] }, payload);
}

/** Creates the payload's staging table and fills it. */
export async function stage(client: pg.ClientBase, payload: StagePayload): Promise<void> {
  await createStageTables(client, [payload.table]);
  await fillStageTable(client, payload);
}

/**
 * Sends a payload's rows into a table whose columns match the staging
 * columns one for one (the staging table itself, or a real table when the
 * rows need no merging).
 */
export async function sendRows(client: pg.ClientBase, into: { table: string; columns: readonly string[] }, payload: StagePayload): Promise<void> {
  if (payload.rows === 0) return;
  const columns = into.columns.join(", ");
  if (payload.kind === "copy") {
    await pipeline(Readable.from(payload.pieces), client.query(copyFrom(`COPY ${into.table} (${columns}) FROM STDIN`)));
    return;
  }
  // Each array as its staging column's type: the values are that type's text.
  const unnest = STAGE_TABLES[payload.table].map(([, type], index) => `$${index + 1}::${type}[]`).join(", ");
  await client.query(`INSERT INTO ${into.table} (${columns}) SELECT * FROM unnest(${unnest})`, payload.columns);
}
