/**
 * ACCEPTANCE TEST (issue #3): replaying a simulated cafe's 6 months (≥ 50,000
 * orders) as webhooks, with 5 % of deliveries duplicated and 5 % reordered,
 * gives exactly the orders and customers the generator planted.
 *
 * Depends on the app's webhook routes (`app/routes/webhooks.$.tsx`: POST
 * /webhooks/<topic> verifies, records, enqueues and answers 200) and the
 * `webhook` job that applies them. Runs against the real PostgreSQL server and
 * Redis when DATABASE_URL/REDIS_URL are set (a fresh database, a Redis database
 * of its own), else against the app's embedded default. It takes minutes, not
 * seconds: REPLAY_CONCURRENCY and REPLAY_WORKER_CONCURRENCY tune it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue } from "bullmq";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_MEMBERS } from "../../app/cli/simulate";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createPrismaClient } from "../../app/db/prisma.server";
import { registerInstall } from "../../app/shops/shops.server";
import { daysInMonthsBefore } from "../../app/simulate/calendar";
import { planDeliveries } from "../../app/simulate/deliveries";
import { simulationEvents } from "../../app/simulate/events";
import { replayWebhooks } from "../../app/simulate/replay.server";
import { simulateCafe } from "../../app/simulate/simulate";
import { QUEUE_NAMES } from "../../jobs/queues";
import { spawnApp, type AppProcess } from "../support/app-process";
import { freshDatabase } from "../support/stacks";

const SHOP = "replay-cafe.myshopify.com";
const TIMEZONE = "Europe/London";
/** DEMO mode verifies webhooks with this secret (app/config.server.ts). */
const DEMO_API_SECRET = "regulars-demo-api-secret";
const UNTIL = new Date("2025-09-01T00:00:00+01:00");
const SENDERS = Number(process.env.REPLAY_CONCURRENCY ?? 16);
const WORKERS = process.env.REPLAY_WORKER_CONCURRENCY ?? "16";
const MINUTE = 60_000;

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || !address) throw new Error("no free port");
  return address.port;
}

/** Where the app keeps its data, and the environment that points it there. */
async function prepareStack(): Promise<{ env: Record<string, string>; databaseUrl: string; name: string }> {
  if (process.env.DATABASE_URL) {
    const database = await freshDatabase("server");
    cleanups.push(() => database.drop());
    const env: Record<string, string> = { DATABASE_URL: database.url };
    if (process.env.REDIS_URL) {
      // A Redis database of its own: the app's queues use a fixed prefix, and other test runs share the server.
      const redis = new URL(process.env.REDIS_URL);
      redis.pathname = `/${1 + Math.floor(Math.random() * 15)}`;
      env.REDIS_URL = redis.toString();
      await obliterateQueues(env.REDIS_URL);
      cleanups.push(() => obliterateQueues(redis.toString()));
    }
    await register(database.url);
    return { env, databaseUrl: database.url, name: process.env.REDIS_URL ? "PostgreSQL server + Redis" : "PostgreSQL server + BullMQ on PostgreSQL" };
  }
  // The embedded default: the app opens its own database folder; it is prepared here first.
  const dataDir = mkdtempSync(join(tmpdir(), "regulars-replay-"));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
  const embedded = await startEmbeddedDatabase({ dataDir });
  try {
    await applyMigrations(embedded.url);
    await register(embedded.url);
  } finally {
    await embedded.stop();
  }
  const port = await freePort();
  const url = new URL(embedded.url);
  url.port = String(port);
  return { env: { DATA_DIR: dataDir, EMBEDDED_DATABASE_PORT: String(port) }, databaseUrl: url.toString(), name: "embedded PostgreSQL + BullMQ on PostgreSQL" };
}

async function register(databaseUrl: string): Promise<void> {
  const db = createPrismaClient(databaseUrl);
  try {
    await registerInstall(db, { domain: SHOP, name: "Replay Cafe", timezone: TIMEZONE, currency: "GBP" });
  } finally {
    await db.$disconnect();
  }
}

async function obliterateQueues(redisUrl: string): Promise<void> {
  for (const name of QUEUE_NAMES) {
    const queue = new Queue(name, { connection: { url: redisUrl } });
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

const log = (message: string) => console.log(`[webhook-replay] ${message}`);

describe("acceptance: 6 months of a simulated cafe replayed as webhooks", () => {
  it(
    "stores exactly the orders and customers the generator planted, despite 5 % duplicates and 5 % reordering",
    async () => {
      const started = performance.now();
      const sim = simulateCafe({ seed: "acceptance", shop: SHOP, days: daysInMonthsBefore(UNTIL, 6, TIMEZONE), until: UNTIL, members: DEFAULT_MEMBERS, timezone: TIMEZONE });
      const truth = sim.groundTruth;
      expect(truth.summary.orders).toBeGreaterThanOrEqual(50_000);
      const events = simulationEvents(sim);
      const plan = planDeliveries(events, { duplicateRate: 0.05, reorderRate: 0.05, window: 50, seed: "acceptance" });
      expect(plan.duplicates / events.length).toBeCloseTo(0.05, 2);
      expect(plan.reordered / events.length).toBeCloseTo(0.05, 2);

      const stack = await prepareStack();
      const app: AppProcess = spawnApp({ DEMO: "1", SHOPIFY_API_SECRET: DEMO_API_SECRET, WORKER_CONCURRENCY: WORKERS, ...stack.env });
      cleanups.push(async () => {
        await app.stop("SIGINT");
      });
      const origin = await app.ready;
      const client = new pg.Client({ connectionString: stack.databaseUrl });
      await client.connect();
      cleanups.push(() => client.end());
      log(`${stack.name}: ${truth.summary.orders} orders, ${truth.summary.customers} customers, ${events.length} events, ${plan.deliveries.length} deliveries`);

      const replay = await replayWebhooks(sim, plan, { url: origin, apiSecret: DEMO_API_SECRET, concurrency: SENDERS });
      log(`sent in ${replay.seconds.toFixed(1)} s (${Math.round(replay.perSecond)}/s, ${replay.retries} retried)`);
      expect(replay.failures.slice(0, 5)).toEqual([]);
      expect(replay.delivered).toBe(plan.deliveries.length);

      const drainStarted = performance.now();
      let lastLog = drainStarted;
      for (;;) {
        const { rows } = await client.query<{ total: string; processed: string; failed: string }>(
          `SELECT count(*) AS total, count(*) FILTER (WHERE status = 'processed') AS processed, count(*) FILTER (WHERE status = 'failed') AS failed
             FROM "WebhookDelivery" WHERE shop = $1`,
          [SHOP],
        );
        const row = rows[0];
        if (Number(row?.failed ?? 0) > 0) {
          const failed = await client.query(`SELECT topic, error FROM "WebhookDelivery" WHERE shop = $1 AND status = 'failed' LIMIT 3`, [SHOP]);
          throw new Error(`deliveries failed: ${JSON.stringify(failed.rows)}`);
        }
        if (Number(row?.processed ?? 0) === events.length) break;
        if (performance.now() - lastLog > 30_000) {
          lastLog = performance.now();
          log(`draining: ${row?.processed}/${events.length} processed`);
        }
        if (performance.now() - drainStarted > 20 * MINUTE) throw new Error(`queue did not drain: ${row?.processed}/${events.length} processed`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      log(`drained ${((performance.now() - drainStarted) / 1000).toFixed(1)} s after the last delivery; ${((performance.now() - started) / 1000).toFixed(1)} s in all`);

      const counts = await client.query<{ orders: string; guests: string; cancelled: string; customers: string; refunds: string }>(
        `SELECT (SELECT count(*) FROM "Order" WHERE shop = $1) AS orders,
                (SELECT count(*) FROM "Order" WHERE shop = $1 AND "customerId" IS NULL) AS guests,
                (SELECT count(*) FROM "Order" WHERE shop = $1 AND "cancelledAt" IS NOT NULL) AS cancelled,
                (SELECT count(*) FROM "Customer" WHERE shop = $1) AS customers,
                (SELECT count(*) FROM "Refund" WHERE shop = $1) AS refunds`,
        [SHOP],
      );
      expect(counts.rows[0]).toEqual({
        orders: String(truth.summary.orders),
        guests: String(truth.summary.guestOrders),
        cancelled: String(truth.summary.cancelledOrders),
        customers: String(truth.summary.customers),
        refunds: String(truth.summary.refundedOrders + truth.summary.cancelledOrders),
      });

      // Per customer, exactly: orders and spend of the orders that stand, voided orders, refunds.
      const perCustomer = await client.query<{ id: string; orders: string; spend: string; cancelled: string; refunded: string }>(
        `SELECT c.id,
                count(o.id) FILTER (WHERE o."cancelledAt" IS NULL) AS orders,
                to_char(COALESCE(sum(o."totalPrice") FILTER (WHERE o."cancelledAt" IS NULL), 0), 'FM999999990.00') AS spend,
                count(o.id) FILTER (WHERE o."cancelledAt" IS NOT NULL) AS cancelled,
                to_char(COALESCE(sum(o."refundedAmount") FILTER (WHERE o."cancelledAt" IS NULL), 0), 'FM999999990.00') AS refunded
           FROM "Customer" c LEFT JOIN "Order" o ON o.shop = c.shop AND o."customerId" = c.id
          WHERE c.shop = $1 GROUP BY c.id ORDER BY c.id`,
        [SHOP],
      );
      const stored = perCustomer.rows.map((row) => ({ id: row.id, orders: Number(row.orders), spend: row.spend, cancelled: Number(row.cancelled), refunded: row.refunded }));
      const planted = truth.customers
        .map((customer) => ({ id: customer.id, orders: customer.orders, spend: customer.spend, cancelled: customer.cancelledOrders, refunded: customer.refunded }))
        .sort((a, b) => a.id.localeCompare(b.id));
      const differing = planted.filter((customer, i) => JSON.stringify(customer) !== JSON.stringify(stored[i]));
      expect(stored).toHaveLength(planted.length);
      expect(differing.slice(0, 5)).toEqual([]);
      const sales = await client.query<{ sales: string }>(
        `SELECT to_char(COALESCE(sum("totalPrice"), 0), 'FM999999990.00') AS sales FROM "Order" WHERE shop = $1 AND "cancelledAt" IS NULL`,
        [SHOP],
      );
      expect(sales.rows[0]?.sales).toBe(truth.summary.sales);
    },
    40 * MINUTE,
  );
});
