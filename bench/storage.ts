/**
 * bench:storage — what one cafe costs on disk and in a nightly recompute:
 * the synthetic cafe of `regulars simulate` (default flags: 3,200 customers,
 * 6 months, 2 locations) is imported through the CLI into a fresh database,
 * its analytics are recomputed (`recomputeShop`, as the nightly job does),
 * and the size of every table (rows, heap + indexes + TOAST) is read. The
 * database holds that one shop only, so each table's size is the shop's.
 * docs/operations.md derives backup sizes and shops per database from it.
 *
 *   npm run bench:storage [-- --seed 1 --until 2025-09-01]
 *
 * Database: a fresh database on BENCH_DATABASE_URL (else DATABASE_URL, else
 * postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards. Ends
 * with one line of JSON.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { recomputeShop } from "../app/analytics/recompute.server";
import { applyMigrations } from "../app/db/migrations.server";
import { createPrismaClient } from "../app/db/prisma.server";

const { values } = parseArgs({ options: { seed: { type: "string", default: "1" }, until: { type: "string", default: "2025-09-01" } } });
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const SHOP = "storage-cafe.myshopify.com";
const NAME = `regulars_bench_storage_${process.pid}`;

const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;

function cli(args: string[], env: Record<string, string>): string {
  const run = spawnSync(process.execPath, ["bin/regulars.js", ...args], { env: { ...process.env, ...env }, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (run.status !== 0) throw new Error(`regulars ${args.join(" ")} failed (${run.status}):\n${run.stderr}`);
  return run.stdout;
}

const admin = new pg.Client({ connectionString: SERVER_URL });
await admin.connect();
await admin.query(`CREATE DATABASE ${NAME}`);
const url = new URL(SERVER_URL);
url.pathname = `/${NAME}`;
const databaseUrl = url.toString();
const folder = mkdtempSync(join(tmpdir(), "regulars-bench-storage-"));
try {
  await applyMigrations(databaseUrl);
  const csv = join(folder, "cafe.csv");
  cli(["simulate", "--seed", values.seed ?? "1", "--shop", SHOP, "--until", values.until ?? "2025-09-01", "--csv", csv], {});
  const env = { DATABASE_URL: databaseUrl, LOG_LEVEL: "warn" };
  cli(["shop", "create", SHOP, "--timezone", "Europe/London", "--currency", "GBP", "--name", "Storage Cafe"], env);
  cli(["import", "orders", csv, "--shop", SHOP, "--json", "--no-progress"], env);

  const db = createPrismaClient(databaseUrl);
  const started = performance.now();
  const recompute = await recomputeShop(db, SHOP, { kind: "full" });
  const recomputeSeconds = (performance.now() - started) / 1000;
  await db.$disconnect();

  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query("VACUUM ANALYZE");
  const { rows } = await client.query<{ table: string; rows: string; bytes: string }>(`
    SELECT c.relname AS table, c.reltuples::bigint::text AS rows, pg_total_relation_size(c.oid)::text AS bytes
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> '_prisma_migrations'
    ORDER BY pg_total_relation_size(c.oid) DESC`);
  const { rows: orderCount } = await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM "Order" WHERE shop = $1`, [SHOP]);
  await client.end();

  const orders = Number(orderCount[0]?.n ?? 0);
  const totalBytes = rows.reduce((sum, row) => sum + Number(row.bytes), 0);
  console.log(`synthetic cafe (seed ${values.seed}, until ${values.until}): ${orders} orders, ${recompute.members} members, ${recompute.visits} visits`);
  console.log(`recompute ${round(recomputeSeconds)} s\n`);
  console.log("| table | rows | MB |\n| --- | ---: | ---: |");
  for (const row of rows.filter((r) => Number(r.rows) > 0 || Number(r.bytes) > 65_536)) {
    console.log(`| ${row.table} | ${Number(row.rows).toLocaleString("en")} | ${round(Number(row.bytes) / 1e6)} |`);
  }
  console.log(`| **all tables** | | **${round(totalBytes / 1e6)}** |`);
  console.log(`\n${round(totalBytes / orders)} bytes per order, all tables and indexes included\n`);
  console.log(JSON.stringify({ bench: "storage", orders, members: recompute.members, visits: recompute.visits, total_mb: round(totalBytes / 1e6), bytes_per_order: round(totalBytes / orders, 0), recompute_s: round(recomputeSeconds) }));
} finally {
  rmSync(folder, { recursive: true, force: true });
  await admin.query(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
  await admin.end();
}
