import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { STAGE_COLUMNS, type StageMode, type StagePayload, type StageTable } from "./stage-rows";

export type { StageMode };

/**
 * Staging tables: a batch of the bulk file lands here first, then one set-based
 * merge per table moves it into the real tables with the sync writer's rules.
 *
 * They are temporary and dropped at commit: each batch is one transaction, so
 * nothing outlives it, and the embedded database (whose socket connections
 * all share PGlite's single session) never sees two batches' tables at once.
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

/** Creates staging tables, dropped at commit. */
export async function createStageTables(client: pg.ClientBase, tables: readonly StageTable[]): Promise<void> {
  for (const table of tables) {
    // Table and column names are this module's constants, never input.
    await client.query(`CREATE TEMP TABLE ${table} (${STAGE_COLUMNS[table].map((column) => `${column} text`).join(", ")}) ON COMMIT DROP`);
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
  const unnest = payload.columns.map((_, index) => `$${index + 1}::text[]`).join(", ");
  await client.query(`INSERT INTO ${into.table} (${columns}) SELECT * FROM unnest(${unnest})`, payload.columns);
}
