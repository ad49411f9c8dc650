/**
 * bench:ingest — signed orders/create webhooks over loopback against the running
 * app (web server and workers, real PostgreSQL, BullMQ on Redis), beside a bare
 * node:http handler doing only HMAC + one INSERT, measured in the same run.
 *
 *   npm run bench:ingest [-- --orders 20000 --concurrency 32]
 *
 * Reports acknowledged webhooks/s with p50/p99 latency, and end-to-end orders/s
 * until every order is durable in the Order table. Ends with one line of JSON.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { applyMigrations } from "../app/db/migrations.server";
import { createPrismaClient } from "../app/db/prisma.server";
import { registerInstall } from "../app/shops/shops.server";
import { StandinStore, webhookPayload, buildWebhookRequest } from "../standin";
import { spawnApp } from "../tests/support/app-process";
import { runLoad, type LoadRequest } from "./support/load";

const { values } = parseArgs({
  options: { orders: { type: "string", default: "20000" }, concurrency: { type: "string", default: "32" } },
});
const ORDERS = positiveInt("--orders", values.orders);
const CONCURRENCY = positiveInt("--concurrency", values.concurrency);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
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

async function createDatabase(admin: pg.Client): Promise<{ url: string; name: string }> {
  const name = `regulars_bench_${randomBytes(4).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  return { url: url.toString(), name };
}

/** Distinct signed orders/create deliveries built from one realistic payload. */
function buildRequests(path: string): LoadRequest[] {
  const store = new StandinStore();
  store.addShop({ domain: SHOP, ianaTimezone: "Europe/London" });
  const customer = store.addCustomer(SHOP, { email: "bench@example.com" });
  const order = store.addOrder(SHOP, {
    customerId: customer.id,
    sourceName: "pos",
    lineItems: [
      { title: "Oat latte", quantity: 1, price: "3.90", sku: "LATTE-OAT" },
      { title: "Croissant", quantity: 2, price: "2.80", sku: "CROISSANT" },
    ],
  });
  const template = webhookPayload(store, SHOP, "orders/create", order.id);
  const baseId = 7_000_000_000_000;
  // Event ids are unique per run: BullMQ keeps finished jobs a day and ignores a re-added id.
  const run = randomBytes(4).toString("hex");
  return Array.from({ length: ORDERS }, (_, i) => {
    const payload = { ...template, id: baseId + i, name: `#B${i}`, admin_graphql_api_id: `gid://shopify/Order/${baseId + i}` };
    const signed = buildWebhookRequest(
      { shop: SHOP, topic: "orders/create", payload, address: `http://bench${path}`, eventId: `bench-${run}-${i}` },
      { apiSecret: SECRET, defaultApiVersion: "2025-10", now: new Date() },
    );
    return { path, headers: signed.headers, body: signed.body };
  });
}

function progress(label: string) {
  return (done: number) => process.stderr.write(`\r${label} ${done}/${ORDERS}`);
}

async function waitForRows(url: string, table: string, count: number, timeoutMs = 120_000): Promise<void> {
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

// Always measure the current code: build the app as `npm start` would serve it.
const build = spawnSync("npx", ["remix", "vite:build"], { stdio: ["ignore", "ignore", "inherit"] });
if (build.status !== 0) {
  console.error("bench:ingest: the build failed");
  process.exit(1);
}

const admin = new pg.Client({ connectionString: SERVER_URL });
await admin.connect();
const appDb = await createDatabase(admin);
const rawDb = await createDatabase(admin);
try {
  await applyMigrations(appDb.url);
  const db = createPrismaClient(appDb.url);
  await registerInstall(db, { domain: SHOP, name: "Bench Cafe" });
  await db.$disconnect();

  // The app as deployed on one machine: web and workers in one process (ROLE=all).
  const app = spawnApp({ DEMO: "1", DATABASE_URL: appDb.url, REDIS_URL, WEB_BUNDLE: "build", NODE_ENV: "test", WORKER_CONCURRENCY: "8" });
  const appOrigin = await app.ready;
  const requests = buildRequests("/webhooks/orders/create");
  await runLoad(appOrigin, buildRequests("/webhooks/orders/create").slice(0, 1).map((r) => ({ ...r, body: r.body })), 1); // warm the route
  const started = performance.now();
  const ack = await runLoad(appOrigin, requests, CONCURRENCY, progress("app"));
  if (ack.ok !== ORDERS) throw new Error(`the app acknowledged ${ack.ok} of ${ORDERS} webhooks: ${JSON.stringify(ack.statuses)}`);
  await waitForRows(appDb.url, `"Order"`, ORDERS).catch((error: unknown) => {
    console.error(`\n${String(error)}\n--- app output ---\n${app.output().slice(-3000)}`);
    throw error;
  });
  const e2eSeconds = (performance.now() - started) / 1000;
  process.stderr.write("\n");
  await app.stop("SIGINT");

  const rawProcess = spawnApp({}, { script: "bench/support/raw-webhook-server.ts", args: [rawDb.url, SECRET] });
  const rawOrigin = await rawProcess.ready;
  const raw = await runLoad(rawOrigin, buildRequests("/"), CONCURRENCY, progress("raw"));
  if (raw.ok !== ORDERS) throw new Error(`the raw handler acknowledged ${raw.ok} of ${ORDERS}: ${JSON.stringify(raw.statuses)}`);
  await waitForRows(rawDb.url, "raw_order", ORDERS);
  process.stderr.write("\n");
  await rawProcess.stop("SIGINT");

  const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;
  const e2e = ORDERS / e2eSeconds;
  console.log(`orders=${ORDERS} concurrency=${CONCURRENCY} (PostgreSQL ${SERVER_URL.replace(/\/\/.*@/, "//")}, Redis ${REDIS_URL})`);
  console.log(`app  ack ${round(ack.perSecond)} webhooks/s  p50 ${ack.p50Ms} ms  p99 ${ack.p99Ms} ms  statuses ${JSON.stringify(ack.statuses)}`);
  console.log(`app  end-to-end ${round(e2e)} orders/s (${round(e2eSeconds, 2)} s until all ${ORDERS} were in "Order")`);
  console.log(`raw  ${round(raw.perSecond)} orders/s  p50 ${raw.p50Ms} ms  p99 ${raw.p99Ms} ms  statuses ${JSON.stringify(raw.statuses)}`);
  console.log(
    JSON.stringify({
      bench: "ingest",
      orders: ORDERS,
      concurrency: CONCURRENCY,
      ack_per_s: round(ack.perSecond),
      p50_ms: ack.p50Ms,
      p99_ms: ack.p99Ms,
      e2e_orders_per_s: round(e2e),
      raw_orders_per_s: round(raw.perSecond),
      ratio_vs_raw: round(e2e / raw.perSecond, 2),
    }),
  );
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${appDb.name} WITH (FORCE)`);
  await admin.query(`DROP DATABASE IF EXISTS ${rawDb.name} WITH (FORCE)`);
  await admin.end();
}
process.exit(0);
