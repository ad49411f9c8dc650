/**
 * bench:ingest — signed orders/create webhooks over loopback against the running
 * app (web server and workers, real PostgreSQL, BullMQ on Redis), beside a bare
 * node:http handler doing only HMAC + one INSERT, measured in the same run.
 *
 *   npm run bench:ingest [-- --orders 20000 --concurrency 32 --warmup 1000 --customers 1 --roles split]
 *
 * --roles split runs the app as it is deployed at scale: a web process
 * (ROLE=web) and a worker process (ROLE=worker); --roles all runs both in one
 * process (ROLE=all). Both servers get the same warm-up, then the same client
 * sends the same number of distinct webhooks at the same concurrency.
 *
 * Reports acknowledged webhooks/s with p50/p99 latency, and end-to-end orders/s
 * until every order is durable in the Order table; the CPU seconds each
 * process spent; the load average before and after. Ends with one line of JSON.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { applyMigrations } from "../app/db/migrations.server";
import { createPrismaClient } from "../app/db/prisma.server";
import { registerInstall } from "../app/shops/shops.server";
import { spawnApp, type AppProcess } from "../tests/support/app-process";
import { CpuMeter, processTree } from "./support/cpu";
import { runLoad, type LoadRequest, type LoadResult } from "./support/load";
import { announced, buildApp, createBenchDatabase, obliterateQueues, orderTemplates, randomRedisDatabase } from "./support/stack";

const { values } = parseArgs({
  options: {
    orders: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "32" },
    warmup: { type: "string", default: "1000" },
    customers: { type: "string", default: "1" },
    roles: { type: "string", default: "split" },
  },
});
const ORDERS = positiveInt("--orders", values.orders);
const CONCURRENCY = positiveInt("--concurrency", values.concurrency);
const WARMUP = positiveInt("--warmup", values.warmup);
const CUSTOMERS = positiveInt("--customers", values.customers);
const ROLES = values.roles;
if (ROLES !== "split" && ROLES !== "all") {
  console.error(`bench:ingest: --roles must be split or all (got ${JSON.stringify(ROLES)})`);
  process.exit(2);
}
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
// A Redis database of its own: the app's queues use a fixed prefix, and other runs may share the server.
const REDIS_URL = randomRedisDatabase(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const SECRET = "regulars-demo-api-secret";
const SHOP = "bench-cafe.myshopify.com";

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`bench:ingest: ${flag} must be a positive integer (got ${JSON.stringify(value)})`);
    process.exit(2);
  }
  return n;
}

/**
 * Distinct signed orders/create deliveries, warm-up first, then the measured
 * ones: realistic payloads from the Shopify stand-in, the orders spread over
 * CUSTOMERS customers in turn. One customer (the default, as in the first
 * version, so figures compare) keeps the member analytics the drain asks for
 * to one member per batch; many customers make it do more.
 */
function buildRequests(path: string): { warmup: LoadRequest[]; measured: LoadRequest[] } {
  const templates = orderTemplates({ shop: SHOP, secret: SECRET, path, customers: CUSTOMERS });
  const requests = Array.from({ length: WARMUP + ORDERS }, (_, i) => templates.request(i));
  return { warmup: requests.slice(0, WARMUP), measured: requests.slice(WARMUP) };
}

function progress(label: string, total: number) {
  return (done: number) => process.stderr.write(`\r${label} ${done}/${total}`);
}

async function waitForRows(url: string, table: string, count: number, timeoutMs = 180_000): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
      const n = Number(rows[0]?.n);
      if (n >= count) return;
      if (Date.now() > deadline) throw new Error(`only ${n} of ${count} rows reached ${table} within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await client.end();
  }
}

/** The PostgreSQL backends serving a database now. */
async function backendsOf(admin: pg.Client, database: string): Promise<number[]> {
  const { rows } = await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = $1`, [database]);
  return rows.map((row) => row.pid);
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
const loadAverage = () => loadavg().map((n) => round(n, 2)).join(" ");

// Always measure the current code: build the app as `npm start` would serve it.
buildApp("bench:ingest");

const loadBefore = loadAverage();
const admin = new pg.Client({ connectionString: SERVER_URL });
await admin.connect();
const appDb = await createBenchDatabase(admin, SERVER_URL);
const rawDb = await createBenchDatabase(admin, SERVER_URL);
await obliterateQueues(REDIS_URL);
// Stopped however the run ends, so that no server outlives it.
const spawned: AppProcess[] = [];
const spawnTracked = (...args: Parameters<typeof spawnApp>) => {
  const app = spawnApp(...args);
  spawned.push(app);
  return app;
};
try {
  await applyMigrations(appDb.url);
  const db = createPrismaClient(appDb.url);
  await registerInstall(db, { domain: SHOP, name: "Bench Cafe" });
  await db.$disconnect();

  const env = { DEMO: "1", DATABASE_URL: appDb.url, REDIS_URL, WEB_BUNDLE: "build", NODE_ENV: "test", WORKER_CONCURRENCY: "8" };
  const processes: Record<string, AppProcess> =
    ROLES === "split"
      ? { web: spawnTracked({ ...env, ROLE: "web" }), worker: spawnTracked({ ...env, ROLE: "worker" }) }
      : { app: spawnTracked({ ...env, ROLE: "all" }) };
  const [front] = Object.values(processes);
  if (!front) throw new Error("no app process");
  const appOrigin = await front.ready;
  for (const app of Object.values(processes)) await announced(app, /regulars: database .*; role /);

  const appRequests = buildRequests("/webhooks/orders/create");
  const appWarmup = await runLoad(appOrigin, appRequests.warmup, CONCURRENCY);
  if (appWarmup.ok !== WARMUP) throw new Error(`the app acknowledged ${appWarmup.ok} of ${WARMUP} warm-up webhooks: ${JSON.stringify(appWarmup.statuses)}`);
  await waitForRows(appDb.url, `"Order"`, WARMUP);

  const appCpu = new CpuMeter(async () => ({
    ...Object.fromEntries(Object.entries(processes).map(([name, app]) => [name, app.child.pid === undefined ? [] : processTree(app.child.pid)])),
    postgres: await backendsOf(admin, appDb.name),
    client: [process.pid],
  }));
  await appCpu.start();
  const started = performance.now();
  const ack = await runLoad(appOrigin, appRequests.measured, CONCURRENCY, progress("app", ORDERS));
  if (ack.ok !== ORDERS) throw new Error(`the app acknowledged ${ack.ok} of ${ORDERS} webhooks: ${JSON.stringify(ack.statuses)}`);
  await waitForRows(appDb.url, `"Order"`, WARMUP + ORDERS).catch((error: unknown) => {
    console.error(`\n${String(error)}\n--- app output ---\n${Object.values(processes).map((app) => app.output().slice(-3000)).join("\n")}`);
    throw error;
  });
  const e2eSeconds = (performance.now() - started) / 1000;
  const appCpuSeconds = await appCpu.stop();
  process.stderr.write("\n");
  for (const app of Object.values(processes)) await app.stop("SIGINT");

  const rawProcess = spawnTracked({}, { script: "bench/support/raw-webhook-server.ts", args: [rawDb.url, SECRET] });
  const rawOrigin = await rawProcess.ready;
  const rawRequests = buildRequests("/");
  const rawWarmup = await runLoad(rawOrigin, rawRequests.warmup, CONCURRENCY);
  if (rawWarmup.ok !== WARMUP) throw new Error(`the raw handler acknowledged ${rawWarmup.ok} of ${WARMUP} warm-up webhooks`);
  const rawCpu = new CpuMeter(async () => ({
    raw: rawProcess.child.pid === undefined ? [] : processTree(rawProcess.child.pid),
    postgres: await backendsOf(admin, rawDb.name),
    client: [process.pid],
  }));
  await rawCpu.start();
  const raw = await runLoad(rawOrigin, rawRequests.measured, CONCURRENCY, progress("raw", ORDERS));
  if (raw.ok !== ORDERS) throw new Error(`the raw handler acknowledged ${raw.ok} of ${ORDERS}: ${JSON.stringify(raw.statuses)}`);
  await waitForRows(rawDb.url, "raw_order", WARMUP + ORDERS);
  const rawCpuSeconds = await rawCpu.stop();
  process.stderr.write("\n");
  await rawProcess.stop("SIGINT");
  const loadAfter = loadAverage();

  const e2e = ORDERS / e2eSeconds;
  const line = (result: LoadResult) => `ack ${round(result.perSecond)} webhooks/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms`;
  const cpu = (seconds: Record<string, number | null>) =>
    Object.entries(seconds)
      .map(([name, s]) => `${name} ${s === null ? "n/a" : `${s} s`}`)
      .join(", ");
  console.log(`orders=${ORDERS} concurrency=${CONCURRENCY} warmup=${WARMUP} customers=${CUSTOMERS} roles=${ROLES} (PostgreSQL ${SERVER_URL.replace(/\/\/.*@/, "//")}, Redis ${REDIS_URL})`);
  console.log(`load average before ${loadBefore}, after ${loadAfter}`);
  console.log(`app  ${line(ack)}  end-to-end ${round(e2e)} orders/s (${round(e2eSeconds, 2)} s until all ${ORDERS} were in "Order")`);
  console.log(`raw  ${line(raw)}  end-to-end ${round(raw.perSecond)} orders/s (answered after its INSERT)`);
  console.log(`CPU  app: ${cpu(appCpuSeconds)}; raw: ${cpu(rawCpuSeconds)} (PostgreSQL: backends alive at the end)`);
  console.log(
    JSON.stringify({
      bench: "ingest",
      orders: ORDERS,
      concurrency: CONCURRENCY,
      roles: ROLES,
      ack_per_s: round(ack.perSecond),
      p50_ms: ack.p50Ms,
      p99_ms: ack.p99Ms,
      e2e_orders_per_s: round(e2e),
      raw_orders_per_s: round(raw.perSecond),
      ratio_vs_raw: round(e2e / raw.perSecond, 2),
    }),
  );
} finally {
  for (const app of spawned) await app.stop("SIGINT");
  await admin.query(`DROP DATABASE IF EXISTS ${appDb.name} WITH (FORCE)`);
  await admin.query(`DROP DATABASE IF EXISTS ${rawDb.name} WITH (FORCE)`);
  await admin.end();
  await obliterateQueues(REDIS_URL);
}
process.exit(0);
