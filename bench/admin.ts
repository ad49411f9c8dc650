/**
 * bench:admin — the admin's home and cohorts pages for a shop with 100,000
 * members: their route loaders called server side, warm, with the admin's
 * request (as the embedded admin sends it, authenticated as the demo shop),
 * p95 over many calls each, beside a bare SQL read of the same precomputed
 * rows in the same run; then the weekly report of the shop's last full week,
 * made and stored as the Monday job makes it, timed.
 *
 *   npm run bench:admin [-- --members 100000 --orders 3000000 --days 365 --calls 60]
 *   npm run bench:admin -- --help
 *
 * The shop is seeded set-based (bench/analytics-fixture.ts, COPY) and its
 * analytics precomputed (recomputeShop) before anything is timed. Server:
 * BENCH_DATABASE_URL (else DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres);
 * a fresh database is created and dropped (--keep leaves it, --reuse URL
 * measures a database a --keep run left). Ends with one line of JSON.
 */
import { createReadStream } from "node:fs";
import { register } from "node:module";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { parseConfig } from "../app/config.server";
import { applyMigrations } from "../app/db/migrations.server";
import { createPrismaClient } from "../app/db/prisma.server";
import { recomputeShop } from "../app/analytics/recompute.server";
import { produceWeeklyReport } from "../app/reports/generate.server";
import { lastFullWeek } from "../app/reports/week";
import { setRuntime, type Runtime } from "../app/runtime.server";
import { DEMO_SHOP, ensureDemoShop } from "../app/shops/demo.server";
import { createJobBackend } from "../jobs/backend.server";
import { BENCH_TIMEZONE, ORDER_COLUMNS, writeAnalyticsFixture } from "./analytics-fixture";

const { values } = parseArgs({
  options: {
    members: { type: "string", default: "100000" },
    orders: { type: "string", default: "3000000" },
    days: { type: "string", default: "365" },
    calls: { type: "string", default: "60" },
    keep: { type: "boolean", default: false },
    reuse: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(`npm run bench:admin [-- options]

  --members N   customers in the fixture (default 100000)
  --orders N    orders, guests included (default 3000000)
  --days N      days of history, ending yesterday (default 365)
  --calls N     timed calls of each loader and of the bare read, after a warm-up (default 60, at least 50)
  --keep        leave the seeded database in place and print its URL
  --reuse URL   measure a database a --keep run seeded instead of seeding a new one

Server: BENCH_DATABASE_URL, else DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres (a fresh database is created and dropped).`);
  process.exit(0);
}
const MEMBERS = positiveInt("--members", values.members);
const ORDERS = positiveInt("--orders", values.orders);
const DAYS = positiveInt("--days", values.days);
const CALLS = positiveInt("--calls", values.calls);
if (CALLS < 50) fail("--calls must be at least 50 (a p95 over fewer calls says little)");
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const TARGETS = { loaderP95Ms: 200, reportSeconds: 5 };
const WARMUP_CALLS = 5;
/** The history ends yesterday (UTC midnight today), so the admin's "last full week" has data. */
const UNTIL = new Date(new Date().toISOString().slice(0, 10) + "T00:00:00Z");

function fail(message: string): never {
  console.error(`bench:admin: ${message}`);
  process.exit(2);
}

function positiveInt(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) fail(`${flag} must be a positive integer (got "${text}")`);
  return value;
}

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

async function timeCalls(label: string, call: () => Promise<unknown>): Promise<{ p50: number; p95: number }> {
  for (let i = 0; i < WARMUP_CALLS; i++) await call();
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const result = { p50: percentile(times, 0.5), p95: percentile(times, 0.95) };
  process.stderr.write(`  ${label.padEnd(10)} p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms over ${CALLS} calls\n`);
  return result;
}

/** The fresh database, seeded with the fixture and precomputed; its URL. */
async function seed(url: string, runtime: Runtime): Promise<{ members: number; orders: number }> {
  const dir = await mkdtemp(join(tmpdir(), "regulars-bench-admin-"));
  try {
    process.stderr.write(`generating ${MEMBERS.toLocaleString("en")} members, ${ORDERS.toLocaleString("en")} orders (not timed)…\n`);
    const fixture = await writeAnalyticsFixture(join(dir, "orders.csv"), { members: MEMBERS, orders: ORDERS, days: DAYS, until: UNTIL, shop: DEMO_SHOP });
    // The demo shop: installed with its offline session, so the admin's loaders authenticate as it does in the demo.
    await ensureDemoShop(runtime);
    await runtime.db.shop.update({ where: { domain: DEMO_SHOP }, data: { timezone: BENCH_TIMEZONE, name: "Bench Admin Cafe" } });
    process.stderr.write("loading the orders into PostgreSQL (not timed)…\n");
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const columns = ORDER_COLUMNS.map((column) => `"${column}"`).join(", ");
      await pipeline(createReadStream(fixture.file), client.query(copyFrom(`COPY "Order" (${columns}) FROM STDIN WITH (FORMAT csv)`)));
      await client.query(`VACUUM ANALYZE "Order"`);
    } finally {
      await client.end();
    }
    process.stderr.write("precomputing the shop's analytics (recomputeShop, not timed)…\n");
    const started = performance.now();
    const result = await recomputeShop(runtime.db, DEMO_SHOP, { until: new Date(UNTIL.getTime() - 86_400_000) });
    process.stderr.write(`  done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${result.members.toLocaleString("en")} members\n`);
    const vacuum = new pg.Client({ connectionString: url });
    await vacuum.connect();
    await vacuum.query("VACUUM ANALYZE").finally(() => vacuum.end());
    return { members: result.members, orders: fixture.orders };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const name = `regulars_bench_admin_${randomBytes(4).toString("hex")}`;
  let url: string;
  if (values.reuse) {
    url = values.reuse;
  } else {
    const fresh = new URL(SERVER_URL);
    fresh.pathname = `/${name}`;
    url = fresh.toString();
  }
  // The routes read the app's configuration when first imported: the demo's (no Shopify), web role, on this database.
  const env = { DEMO: "1", ROLE: "web", NODE_ENV: "test", DATABASE_URL: url };
  Object.assign(process.env, env);
  const config = parseConfig(env);
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  if (!values.reuse) await admin.query(`CREATE DATABASE ${name}`);
  const db = createPrismaClient(url);
  const jobs = createJobBackend(config.queue, url);
  const runtime: Runtime = { config, database: { kind: "postgres", url, close: async () => {} }, db, jobs, startedAt: new Date() };
  setRuntime(runtime);
  const bare = new pg.Client({ connectionString: url });
  try {
    if (!values.reuse) await applyMigrations(url);
    const seeded = values.reuse
      ? { members: await db.memberFeature.count({ where: { shop: DEMO_SHOP } }), orders: await db.order.count({ where: { shop: DEMO_SHOP } }) }
      : await seed(url, runtime);
    const week = lastFullWeek(new Date(), BENCH_TIMEZONE).key;

    // The weekly report of the last full week, made and stored as the Monday job makes it (no mail).
    await db.weeklyReport.deleteMany({ where: { shop: DEMO_SHOP, week } });
    process.stderr.write(`weekly report ${week}…\n`);
    const reportStarted = performance.now();
    const report = await produceWeeklyReport(db, DEMO_SHOP, week, { mailer: null, from: "bench@regulars.invalid", send: false });
    const reportSeconds = (performance.now() - reportStarted) / 1000;
    if (!report.created) throw new Error(`the report of ${week} was not made (${report.skipped ?? "already stored"})`);
    process.stderr.write(`  made and stored in ${reportSeconds.toFixed(2)} s\n`);

    // Route modules import stylesheets as URLs (Vite's `?url`); outside Vite they load as their URL string.
    register(
      "data:text/javascript," +
        encodeURIComponent(
          'export async function load(url, context, next) { return /\\.css(\\?|$)/.test(url) ? { format: "module", source: "export default " + JSON.stringify(url) + ";", shortCircuit: true } : next(url, context); }',
        ),
    );
    const home = await import("../app/routes/app._index");
    const cohorts = await import("../app/routes/app.cohorts");
    const request = (path: string) => ({ request: new Request(`http://localhost${path}`), params: {}, context: {} });
    // What is timed is the pages with their figures, not an empty state.
    const shown = await home.loader(request("/app"));
    if (shown.glance?.source !== "stored" || shown.glance.week !== week || shown.glance.rows.length === 0) throw new Error(`the home page does not show ${week}'s stored figures`);
    const cohortsShown = await cohorts.loader(request("/app/cohorts"));
    if (!cohortsShown.page || cohortsShown.page.ranked.length === 0) throw new Error("the cohorts page shows no ranked cohorts");
    process.stderr.write("loaders, warm (not the first calls):\n");
    const homeTimes = await timeCalls("home", () => home.loader(request("/app")));
    const cohortsTimes = await timeCalls("cohorts", () => cohorts.loader(request("/app/cohorts")));

    await bare.connect();
    const bareRead = BARE_READ;
    const bareTimes = await timeCalls("bare SQL", () => bare.query(bareRead.sql, [DEMO_SHOP, week]));

    console.log(`admin loaders for ${seeded.members.toLocaleString("en")} members, ${seeded.orders.toLocaleString("en")} orders (warm, ${CALLS} calls each)`);
    console.log(`  home page loader     p50 ${homeTimes.p50.toFixed(1)} ms, p95 ${homeTimes.p95.toFixed(1)} ms   target p95 ≤ ${TARGETS.loaderP95Ms} ms`);
    console.log(`  cohorts page loader  p50 ${cohortsTimes.p50.toFixed(1)} ms, p95 ${cohortsTimes.p95.toFixed(1)} ms   target p95 ≤ ${TARGETS.loaderP95Ms} ms`);
    console.log(`  bare SQL read        p50 ${bareTimes.p50.toFixed(1)} ms, p95 ${bareTimes.p95.toFixed(1)} ms   (${bareRead.what})`);
    console.log(`  weekly report ${week}  ${reportSeconds.toFixed(2)} s   target ≤ ${TARGETS.reportSeconds} s`);
    console.log(
      JSON.stringify({
        bench: "admin",
        members: seeded.members,
        orders: seeded.orders,
        home_p95_ms: round(homeTimes.p95),
        cohorts_p95_ms: round(cohortsTimes.p95),
        bare_p95_ms: round(bareTimes.p95),
        report_s: round(reportSeconds),
      }),
    );
  } finally {
    await bare.end().catch(() => {});
    setRuntime(undefined);
    await jobs.close();
    await db.$disconnect();
    if (values.keep || values.reuse) {
      if (values.keep) process.stderr.write(`kept the database: --reuse ${url}\n`);
    } else {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    }
    await admin.end();
  }
}

/**
 * The same precomputed rows the two loaders read, in one plain query: the
 * week's stored report figures (Home's week at a glance) and the pattern and
 * acquisition-week cohort snapshots (Cohorts).
 */
const BARE_READ = {
  what: "WeeklyReport.figures of the week + CohortSnapshot pattern and acquisition-week",
  sql: `SELECT (SELECT figures FROM "WeeklyReport" WHERE shop = $1 AND week = $2) AS figures,
               (SELECT json_agg(data) FROM "CohortSnapshot" WHERE shop = $1 AND by IN ('pattern', 'acquisition-week')) AS snapshots`,
};

await main();
