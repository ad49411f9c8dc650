/**
 * bench:analytics — a shop with 100,000 members and 3,000,000 orders on a
 * PostgreSQL server: the full recompute (visits, features, cohorts, BG/NBD fit,
 * predictions, built-in segments) timed with the process's peak memory, then
 * the incremental update of one member after a new order (p95 over many
 * members), beside DuckDB computing the same per-member gap aggregation and
 * retention matrix from the same rows (bench/support/duckdb-analytics.ts, in
 * its own process), in one run.
 *
 *   npm run bench:analytics [-- --members 100000 --orders 3000000 --days 365 --incremental 300]
 *   npm run bench:analytics -- --help
 *
 * Server: BENCH_DATABASE_URL (else DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres);
 * a fresh database is created and dropped. Ends with one line of JSON.
 */
import { execFile } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs, promisify } from "node:util";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { applyMigrations } from "../app/db/migrations.server";
import { createPrismaClient } from "../app/db/prisma.server";
import { recomputeShop } from "../app/analytics/recompute.server";
import { updateMembersAfterOrders, type MemberUpdateStep } from "../app/analytics/incremental.server";
import { retentionMatrix } from "../app/analytics/cohorts/retention.server";
import { BENCH_SHOP, BENCH_TIMEZONE, ORDER_COLUMNS, writeAnalyticsFixture } from "./analytics-fixture";
import { withPeakRss } from "./support/memory";

const { values } = parseArgs({
  options: {
    members: { type: "string", default: "100000" },
    orders: { type: "string", default: "3000000" },
    days: { type: "string", default: "365" },
    incremental: { type: "string", default: "300" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(`npm run bench:analytics [-- options]

  --members N       customers in the fixture (default 100000)
  --orders N        orders, guests included (default 3000000)
  --days N          days of history (default 365)
  --incremental N   members updated one at a time after a new order each, for the p50/p95 (default 300)

Server: BENCH_DATABASE_URL, else DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres (a fresh database is created and dropped).`);
  process.exit(0);
}
const MEMBERS = positiveInt("--members", values.members);
const ORDERS = positiveInt("--orders", values.orders);
const DAYS = positiveInt("--days", values.days);
const INCREMENTAL = positiveInt("--incremental", values.incremental);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const UNTIL = new Date("2026-11-01T00:00:00Z");
const TARGETS = { recomputeSeconds: 60, peakRssMb: 1024, incrementalP95Ms: 20, ratioVsDuckdb: 10 };

function positiveInt(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`bench:analytics: ${flag} must be a positive integer (got "${text}")`);
    process.exit(2);
  }
  return value;
}


async function loadOrders(url: string, file: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`INSERT INTO "Shop" (domain, name, timezone, currency, "updatedAt") VALUES ($1, 'Bench Analytics Cafe', $2, 'GBP', now())`, [
      BENCH_SHOP,
      BENCH_TIMEZONE,
    ]);
    const columns = ORDER_COLUMNS.map((column) => `"${column}"`).join(", ");
    await pipeline(createReadStream(file), client.query(copyFrom(`COPY "Order" (${columns}) FROM STDIN WITH (FORMAT csv)`)));
    await client.query(`VACUUM ANALYZE "Order"`);
  } finally {
    await client.end();
  }
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "regulars-bench-analytics-"));
  const name = `regulars_bench_analytics_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  try {
    process.stderr.write(`generating ${MEMBERS.toLocaleString("en")} members, ${ORDERS.toLocaleString("en")} orders (not timed)…\n`);
    const fixture = await writeAnalyticsFixture(join(dir, "orders.csv"), { members: MEMBERS, orders: ORDERS, days: DAYS, until: UNTIL });
    await admin.query(`CREATE DATABASE ${name}`);
    const url = new URL(SERVER_URL);
    url.pathname = `/${name}`;
    await applyMigrations(url.toString());
    process.stderr.write("loading the orders into PostgreSQL (not timed)…\n");
    await loadOrders(url.toString(), fixture.file);

    const db = createPrismaClient(url.toString());
    const lastDay = new Date(UNTIL.getTime() - 86_400_000);
    const steps: Record<string, number> = {};
    let stepStarted = performance.now();
    let currentStep = "";
    const recompute = await withPeakRss(async () => {
      const started = performance.now();
      const result = await recomputeShop(db, BENCH_SHOP, {
        until: lastDay,
        onProgress: ({ step, done, total }) => {
          if (step !== currentStep) {
            const now = performance.now();
            if (currentStep) steps[currentStep] = round((now - stepStarted) / 1000);
            currentStep = step;
            stepStarted = now;
            process.stderr.write(`  recompute ${done}/${total}: ${step}\n`);
          }
        },
      });
      const seconds = (performance.now() - started) / 1000;
      if (currentStep) steps[currentStep] = round((performance.now() - stepStarted) / 1000);
      return { result, seconds };
    });

    // The app's side of the two comparisons: visits + features (the per-member gap aggregation), and the retention matrix.
    const gapsSeconds = (steps.visits ?? NaN) + (steps.features ?? NaN);
    const matrixStarted = performance.now();
    const matrix = await retentionMatrix(db, BENCH_SHOP, { period: "month", until: lastDay });
    const cohortsSeconds = (performance.now() - matrixStarted) / 1000;

    // Incremental: a new order for each of INCREMENTAL members, then their update, one member at a time.
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const { rows: sample } = await client.query<{ customerId: string }>(
      `SELECT "customerId" FROM "MemberFeature" WHERE shop = $1 ORDER BY md5("customerId") LIMIT $2`,
      [BENCH_SHOP, INCREMENTAL],
    );
    const latencies: number[] = [];
    const stepLatencies = new Map<MemberUpdateStep, number[]>();
    const onStep = (step: MemberUpdateStep, ms: number) => stepLatencies.set(step, [...(stepLatencies.get(step) ?? []), ms]);
    for (const [index, { customerId }] of sample.entries()) {
      const at = new Date(UNTIL.getTime() - 86_400_000 + 9 * 3_600_000 + index * 1000);
      await client.query(
        `INSERT INTO "Order" (shop, id, "customerId", "locationId", channel, currency, "totalPrice", "processedAt", "shopifyUpdatedAt", source, "updatedAt")
         VALUES ($1, $2, $3, '70001', 'pos', 'GBP', 4.20, $4, $4, 'webhook', now())`,
        [BENCH_SHOP, `incremental-${index}`, customerId, at],
      );
      const started = performance.now();
      await updateMembersAfterOrders(db, BENCH_SHOP, [customerId], { onStep });
      latencies.push(performance.now() - started);
    }
    await client.end();
    latencies.sort((a, b) => a - b);
    const p95 = percentile(latencies, 0.95);

    process.stderr.write("DuckDB on the same rows (its own process)…\n");
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", join(import.meta.dirname, "support/duckdb-analytics.ts"), fixture.file, BENCH_TIMEZONE], {
      maxBuffer: 1 << 20,
    });
    const duck = JSON.parse(stdout.trim().split("\n").pop()!) as { gaps_s: number; cohorts_s: number; members: number; cells: number };
    await db.$disconnect();

    const members = recompute.value.result.members;
    const ratioGaps = gapsSeconds / duck.gaps_s;
    const ratioCohorts = cohortsSeconds / duck.cohorts_s;
    console.log(`analytics recompute of ${members.toLocaleString("en")} members, ${fixture.orders.toLocaleString("en")} orders over ${DAYS} days`);
    console.log(`  full recompute    ${recompute.value.seconds.toFixed(2)} s   target ≤ ${TARGETS.recomputeSeconds} s`);
    for (const [step, seconds] of Object.entries(steps)) console.log(`    ${step.padEnd(14)}${seconds.toFixed(2)} s`);
    console.log(`  peak RSS          ${recompute.peakRssMb} MB   target ≤ ${TARGETS.peakRssMb} MB`);
    console.log(`  incremental       p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p95 ${p95.toFixed(1)} ms over ${latencies.length} members   target p95 ≤ ${TARGETS.incrementalP95Ms} ms`);
    for (const [step, times] of stepLatencies) {
      const sorted = [...times].sort((a, b) => a - b);
      console.log(`    ${step.padEnd(14)}p50 ${percentile(sorted, 0.5).toFixed(2)} ms, p95 ${percentile(sorted, 0.95).toFixed(2)} ms`);
    }
    console.log(`  gap aggregation   PostgreSQL ${gapsSeconds.toFixed(2)} s (visits + features) vs DuckDB ${duck.gaps_s.toFixed(2)} s: ${ratioGaps.toFixed(2)}×   target ≤ ${TARGETS.ratioVsDuckdb}×`);
    console.log(
      `  retention matrix  PostgreSQL ${cohortsSeconds.toFixed(2)} s vs DuckDB ${duck.cohorts_s.toFixed(2)} s: ${ratioCohorts.toFixed(2)}×   target ≤ ${TARGETS.ratioVsDuckdb}× (${matrix.cohorts.length} cohorts; DuckDB ${duck.cells} cells)`,
    );
    console.log(
      JSON.stringify({
        bench: "analytics",
        members,
        orders: fixture.orders,
        recompute_s: round(recompute.value.seconds),
        peak_rss_mb: recompute.peakRssMb,
        incremental_p95_ms: round(p95),
        ratio_gaps_vs_duckdb: round(ratioGaps),
        ratio_cohorts_vs_duckdb: round(ratioCohorts),
      }),
    );
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
