/**
 * bench:backfill — a bulk-operation JSONL file of 1,000,000 orders (about 2.5
 * line items each) imported into PostgreSQL through the backfill's own import
 * code (the file read as a stream, as the download is), beside a bare COPY of
 * the same orders and line items into plain tables (no keys, no indexes), in
 * one run; and, for the reading, a COPY of them into tables with the real
 * tables' keys and indexes.
 *
 *   npm run bench:backfill [-- --orders 1000000 --batch 10000 --connections 2]
 *
 * Server: BENCH_DATABASE_URL (else DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres);
 * a fresh database is created and dropped. The file is generated into a temp
 * folder first (not timed) and removed afterwards. Ends with one line of JSON.
 */
import { createReadStream } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { pipeline } from "node:stream/promises";
import { applyMigrations } from "../app/db/migrations.server";
import { DEFAULT_BATCH_SIZE, DEFAULT_CONNECTIONS, importBulkFile, type ImportTotals } from "../app/sync/backfill/import.server";
import { BENCH_SHOP, writeFixture, type Fixture } from "./backfill-fixture";
import { withPeakRss } from "./support/memory";

const { values } = parseArgs({
  options: {
    orders: { type: "string", default: "1000000" },
    batch: { type: "string", default: String(DEFAULT_BATCH_SIZE) },
    connections: { type: "string", default: String(DEFAULT_CONNECTIONS) },
  },
});
const ORDERS = positiveInt("--orders", values.orders);
const BATCH = positiveInt("--batch", values.batch);
const CONNECTIONS = positiveInt("--connections", values.connections);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const TARGETS = { seconds: 30, peakRssMb: 512, ratioVsCopy: 3 };


async function vmHwmMb(): Promise<number | null> {
  const status = await readFile("/proc/self/status", "utf8").catch(() => "");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? round(Number(match[1]) / 1024) : null;
}

/** Records the CPU seconds used so far by each of this database's other server processes, when they run on this machine (Linux /proc). */
async function serverCpuSeconds(client: pg.Client, seen: Map<number, number>): Promise<void> {
  const backends = await client.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
  for (const { pid } of backends.rows) {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
    // utime and stime, in clock ticks (100 per second on Linux), are the 14th and 15th fields; the 2nd may hold spaces.
    const fields = stat?.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields) seen.set(pid, (Number(fields[11]) + Number(fields[12])) / 100);
  }
}

interface Imported {
  seconds: number;
  peakRssMb: number;
  totals: ImportTotals;
  nodeCpuSeconds: number;
  /** The import's database connections, sampled while they ran; null when their processes cannot be read. */
  databaseCpuSeconds: number | null;
}

async function timeImport(url: string, fixture: Fixture): Promise<Imported> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const runId = `bench-${randomBytes(4).toString("hex")}`;
  await client.query(
    `INSERT INTO "BackfillRun" (shop, id, resource, status, "startedAt", "updatedAt") VALUES ($1, $2, 'orders', 'importing', now(), now())`,
    [BENCH_SHOP, runId],
  );
  await client.query("CHECKPOINT");
  const backendCpu = new Map<number, number>();
  const sampler = setInterval(() => void serverCpuSeconds(client, backendCpu).catch(() => {}), 250);
  let shown = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const { value: totals, peakRssMb } = await withPeakRss(() =>
    importBulkFile(createReadStream(fixture.jsonlPath, { highWaterMark: 1 << 16 }), { shop: BENCH_SHOP, runId, resource: "orders" }, {
      databaseUrl: url,
      mode: "copy",
      batchSize: BATCH,
      connections: CONNECTIONS,
      onBatch: (progress) => {
        if (progress.records - shown >= ORDERS / 20 || progress.records === ORDERS) {
          shown = progress.records;
          process.stderr.write(`\rimport    ${bar(progress.records / ORDERS)} ${progress.records}/${ORDERS} orders`);
        }
      },
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  clearInterval(sampler);
  await client.end();
  process.stderr.write("\n");
  const databaseCpuSeconds = backendCpu.size > 0 ? [...backendCpu.values()].reduce((sum, value) => sum + value, 0) : null;
  return { seconds, peakRssMb, totals, nodeCpuSeconds: (cpu.user + cpu.system) / 1e6, databaseCpuSeconds };
}

/** COPY of the pre-rendered rows (no JSON, no merge) into `order` then `lineItem`; tables made by `prepare`. */
async function timeCopy(url: string, fixture: Fixture, tables: { order: string; lineItem: string }, prepare: string[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const sql of prepare) await client.query(sql);
    await client.query("CHECKPOINT");
    const started = performance.now();
    await pipeline(createReadStream(fixture.ordersCopyPath, { highWaterMark: 1 << 16 }), client.query(copyFrom(`COPY ${tables.order} FROM STDIN`)));
    await pipeline(createReadStream(fixture.lineItemsCopyPath, { highWaterMark: 1 << 16 }), client.query(copyFrom(`COPY ${tables.lineItem} FROM STDIN`)));
    return (performance.now() - started) / 1000;
  } finally {
    await client.end();
  }
}

/** The comparison: the same rows into tables with the same columns and no keys or indexes. */
const timeBareCopy = (url: string, fixture: Fixture) =>
  timeCopy(url, fixture, { order: "plain_order", lineItem: "plain_line_item" }, [
    `CREATE TABLE plain_order (LIKE "Order")`,
    `CREATE TABLE plain_line_item (LIKE "LineItem")`,
  ]);

/**
 * For the reading, not a target: the same rows into tables with the real ones'
 * primary keys and indexes — what any way of landing these rows in this
 * schema must pay at least.
 */
const timeKeyedCopy = (url: string, fixture: Fixture) =>
  timeCopy(url, fixture, { order: "keyed_order", lineItem: "keyed_line_item" }, [
    `CREATE TABLE keyed_order (LIKE "Order" INCLUDING ALL)`,
    `CREATE TABLE keyed_line_item (LIKE "LineItem" INCLUDING ALL)`,
  ]);

async function counts(url: string): Promise<{ orders: number; lineItems: number; refunds: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const one = async (sql: string) => Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
    return {
      orders: await one(`SELECT count(*) AS n FROM "Order"`),
      lineItems: await one(`SELECT count(*) AS n FROM "LineItem"`),
      refunds: await one(`SELECT count(*) AS n FROM "Refund"`),
    };
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "regulars-bench-backfill-"));
  const name = `regulars_bench_backfill_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    process.stderr.write(`generating ${ORDERS} orders into ${dir} (not timed)…\n`);
    const fixture = await writeFixture(dir, ORDERS);
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(SERVER_URL);
    url.pathname = `/${name}`;
    await applyMigrations(url.toString());

    const loadBefore = loadavg();
    const imported = await timeImport(url.toString(), fixture);
    const stored = await counts(url.toString());
    if (stored.orders !== fixture.orders || stored.lineItems !== fixture.lineItems || stored.refunds !== fixture.refunds) {
      throw new Error(`imported ${JSON.stringify(stored)}, expected ${fixture.orders} orders, ${fixture.lineItems} line items, ${fixture.refunds} refunds`);
    }
    const copySeconds = await timeBareCopy(url.toString(), fixture);
    const keyedSeconds = await timeKeyedCopy(url.toString(), fixture);
    const ratio = imported.seconds / copySeconds;
    const hwm = await vmHwmMb();
    const loadAfter = loadavg();
    const load = (values: number[]) => values.map((value) => value.toFixed(2)).join(" ");

    const rows = fixture.orders + fixture.lineItems;
    console.log(`backfill import of ${fixture.orders.toLocaleString("en")} orders, ${fixture.lineItems.toLocaleString("en")} line items, ${fixture.refunds.toLocaleString("en")} refunds`);
    console.log(`  file            ${(fixture.jsonlBytes / 2 ** 20).toFixed(0)} MB of JSONL, batches of ${BATCH} orders, ${imported.totals.batches} transactions on ${CONNECTIONS} connection(s), ${imported.totals.batchesWrittenNew} written as all new`);
    console.log(`  import          ${imported.seconds.toFixed(2)} s  (${Math.round(rows / imported.seconds).toLocaleString("en")} rows/s)   target ≤ ${TARGETS.seconds} s`);
    console.log(`  peak RSS        ${imported.peakRssMb} MB (process high-water mark ${hwm ?? "?"} MB)   target ≤ ${TARGETS.peakRssMb} MB`);
    console.log(
      `  CPU             this process ${imported.nodeCpuSeconds.toFixed(1)} s, the import's database connections ${imported.databaseCpuSeconds === null ? "? (not readable here)" : `${imported.databaseCpuSeconds.toFixed(1)} s`}`,
    );
    console.log(`  bare COPY       ${copySeconds.toFixed(2)} s  (${Math.round(rows / copySeconds).toLocaleString("en")} rows/s, plain tables)`);
    console.log(`  ratio vs COPY   ${ratio.toFixed(2)}×   target ≤ ${TARGETS.ratioVsCopy}×`);
    console.log(
      `  keyed COPY      ${keyedSeconds.toFixed(2)} s  (${(keyedSeconds / copySeconds).toFixed(2)}× the bare COPY: the same rows into tables with the real keys and indexes)`,
    );
    console.log(`  load average    ${load(loadBefore)} before the import, ${load(loadAfter)} at the end (1, 5, 15 min; ${cpus().length} cores)`);
    const verdict = [
      imported.seconds <= TARGETS.seconds ? null : "time",
      imported.peakRssMb <= TARGETS.peakRssMb ? null : "memory",
      ratio <= TARGETS.ratioVsCopy ? null : "ratio",
    ].filter(Boolean);
    console.log(verdict.length === 0 ? "  all targets met" : `  targets missed: ${verdict.join(", ")}`);
    console.log(
      JSON.stringify({
        bench: "backfill",
        orders: fixture.orders,
        seconds: round(imported.seconds),
        peak_rss_mb: imported.peakRssMb,
        copy_seconds: round(copySeconds),
        ratio_vs_copy: round(ratio),
      }),
    );
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

function bar(fraction: number): string {
  const width = 30;
  const filled = Math.round(Math.min(1, fraction) * width);
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function positiveInt(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) {
    console.error(`bench:backfill: ${flag} must be a positive integer (got ${JSON.stringify(value)})`);
    process.exit(2);
  }
  return parsed;
}

await main();
