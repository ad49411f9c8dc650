/**
 * What the benchmarks that run the app's own processes share (bench:ingest,
 * bench:soak): a database of their own on the PostgreSQL server, a Redis
 * database of their own emptied before and after, the current code built as
 * `npm start` serves it, processes whose start-up line is awaited, and
 * signed orders/create deliveries made from the Shopify stand-in.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import type pg from "pg";
import { QUEUE_NAMES } from "../../jobs/queues";
import { StandinStore, buildWebhookRequest, webhookPayload } from "../../standin";
import type { AppProcess } from "../../tests/support/app-process";
import type { LoadRequest } from "./load";

/** The same URL with another Redis database number: the app's queues use a fixed prefix, and other runs may share the server. */
export function withRedisDatabase(url: string, database: number): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/** A Redis database (1–15) picked at random on the server of `url`. */
export function randomRedisDatabase(url: string): string {
  return withRedisDatabase(url, 1 + Math.floor(Math.random() * 15));
}

/** Removes every job and scheduler of the app's queues (a run's leftovers, or the next run's surprises). */
export async function obliterateQueues(redisUrl: string): Promise<void> {
  for (const name of QUEUE_NAMES) {
    const queue = new Queue(name, { connection: { url: redisUrl } });
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

/** A new database on the server `admin` is connected to; its URL is `serverUrl`'s with the new name. */
export async function createBenchDatabase(admin: pg.Client, serverUrl: string): Promise<{ url: string; name: string }> {
  const name = `regulars_bench_${randomBytes(4).toString("hex")}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), name };
}

/** Builds the app as `npm start` serves it, so the benchmark measures the current code; exits on failure. */
export function buildApp(bench: string): void {
  const build = spawnSync("npx", ["remix", "vite:build"], { stdio: ["ignore", "ignore", "inherit"] });
  if (build.status !== 0) {
    console.error(`${bench}: the build failed`);
    process.exit(1);
  }
}

/** Resolves once the process has printed its start-up line (a worker serves no HTTP to wait for). */
export async function announced(app: AppProcess, pattern: RegExp = /regulars: database .*; role /): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!pattern.test(app.output())) {
    if (app.child.exitCode !== null) throw new Error(`process exited before starting:\n${app.output()}`);
    if (Date.now() > deadline) throw new Error(`process did not start within 60 s:\n${app.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface OrderTemplates {
  /** The signed delivery of order number `index` (its id, name and event id follow from it). */
  request(index: number): LoadRequest;
}

/**
 * Distinct signed orders/create deliveries from the Shopify stand-in's
 * realistic payloads, the orders spread over `customers` customers in turn
 * (or over the given customer ids), each with its own order id and event id.
 * Event ids are unique per run: BullMQ keeps finished jobs a day and ignores
 * a re-added id.
 */
export function orderTemplates(input: { shop: string; secret: string; path: string; customers?: number; customerIds?: string[]; firstOrderId?: number }): OrderTemplates {
  const store = new StandinStore();
  store.addShop({ domain: input.shop, ianaTimezone: "Europe/London" });
  const count = input.customerIds?.length ?? input.customers ?? 1;
  const templates = Array.from({ length: count }, (_, c) => {
    const customer = store.addCustomer(input.shop, { email: `bench-${c}@example.com` });
    const order = store.addOrder(input.shop, {
      customerId: customer.id,
      sourceName: "pos",
      lineItems: [
        { title: "Oat latte", quantity: 1, price: "3.90", sku: "LATTE-OAT" },
        { title: "Croissant", quantity: 2, price: "2.80", sku: "CROISSANT" },
      ],
    });
    const payload = webhookPayload(store, input.shop, "orders/create", order.id);
    const customerId = input.customerIds?.[c];
    return customerId === undefined ? payload : withCustomerId(payload, Number(customerId));
  });
  const baseId = input.firstOrderId ?? 7_000_000_000_000;
  const run = randomBytes(4).toString("hex");
  return {
    request(index) {
      const template = templates[index % templates.length];
      const payload = { ...template, id: baseId + index, name: `#B${index}`, admin_graphql_api_id: `gid://shopify/Order/${baseId + index}` };
      const signed = buildWebhookRequest(
        { shop: input.shop, topic: "orders/create", payload, address: `http://bench${input.path}`, eventId: `bench-${run}-${index}` },
        { apiSecret: input.secret, defaultApiVersion: "2025-10", now: new Date() },
      );
      return { path: input.path, headers: signed.headers, body: signed.body };
    },
  };
}

/** The stand-in's payload with its customer (and that customer's graph id) replaced by a customer the benchmark made. */
function withCustomerId<T extends object>(payload: T, customerId: number): T {
  const customer = "customer" in payload && typeof payload.customer === "object" && payload.customer !== null ? payload.customer : {};
  return { ...payload, customer: { ...customer, id: customerId, admin_graphql_api_id: `gid://shopify/Customer/${customerId}` } };
}
