import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import pg from "pg";
import { expect, onTestFinished } from "vitest";
import { z } from "zod";
import { createCampaign, getCampaign, scheduleCampaign } from "../../app/campaigns/campaigns.server";
import { parseConfig } from "../../app/config.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { clickTokenKey, verifyClickToken } from "../../app/push/click-token.server";
import { ensureActivePushKey } from "../../app/push/keys.server";
import { registerInstall } from "../../app/shops/shops.server";
import { createJobBackend, type JobBackend } from "../../jobs/backend.server";
import { QUEUE_NAMES } from "../../jobs/queues";
import { StandinStore, buildWebhookRequest, webhookPayload } from "../../standin";
import { spawnApp, waitFor, type AppProcess } from "./app-process";
import { seedPushAudience, type PlantedMember } from "./push-audience";
import { startPushReceiver, type PushReceiver, type ReceiverOptions } from "./push-receiver";
import { startPrivatePostgres, startPrivateRedis, type PrivateService } from "./private-services";

/**
 * The stage of the fault tests (tests/integration/faults-*.test.ts): a
 * private PostgreSQL and Redis (tests/support/private-services.ts) the test
 * may crash and restart, the real web process (ROLE=web) taking signed
 * orders/create webhooks over HTTP, the real worker (ROLE=worker) draining
 * them and bringing member analytics up to date, a shop whose broadcast goes
 * to a Web Push receiver that decrypts every push, and a client that sends
 * the orders the way Shopify does: each delivery retried, under its event id,
 * until it is answered 200.
 *
 * After the fault, `settle` waits for everything to finish and `checkOutcome`
 * asserts what the issue promises: every order sent is in the Order table
 * once; no member received the campaign twice and the campaign's rows agree
 * with what the receiver got; every job and delivery either completed or
 * failed with its reason.
 */

export const FAULT_SHOP = "fault-test-cafe.myshopify.com";
const CAMPAIGN_ID = "fault-tasting";
const SEGMENT_ID = "fault-regulars";
const API_SECRET = "fault-test-secret";
const TITLES = ["Taste the winter menu", "New at the counter"];

export interface FaultStackOptions {
  members: number;
  /** The shop's push rate (PUSH_RATE_PER_SHOP): pushes per second. */
  pushRate: number;
  receiver?: ReceiverOptions;
  /**
   * JOB_STALLED_INTERVAL_MS for the workers: how soon a killed worker's jobs
   * are found (once their lock expires) and resumed. Unset: the default, 30 s.
   */
  stalledIntervalMs?: number;
}

export interface ReceivedCampaignPush {
  deliveryId: string;
  receiverId: string;
}

export async function startFaultStack(options: FaultStackOptions) {
  const started = Date.now();
  const events: string[] = [];
  const note = (what: string) => {
    const line = `${((Date.now() - started) / 1000).toFixed(1)} s ${what}`;
    events.push(line);
    if (process.env.FAULT_VERBOSE) console.warn(`faults: ${line}`);
  };
  const cleanups: Array<() => Promise<unknown>> = [];
  const processes: Array<{ label: string; app: AppProcess }> = [];
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    for (const { app } of processes) await app.stop("SIGKILL");
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const postgres: PrivateService = await startPrivatePostgres();
    cleanups.push(() => postgres.stop());
    const redis: PrivateService = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const databaseUrl = await createDatabase(postgres.url);
    await applyMigrations(databaseUrl);
    note("private PostgreSQL and Redis started, database migrated");

    const receiver: PushReceiver = await startPushReceiver(options.receiver);
    cleanups.push(() => receiver.close());
    const encryptionKey = randomBytes(32).toString("hex");
    const config = parseConfig({ NODE_ENV: "test", DEMO: "1", DATABASE_URL: databaseUrl, REDIS_URL: redis.url, APP_ENCRYPTION_KEY: encryptionKey });
    const db = createPrismaClient(databaseUrl);
    cleanups.push(() => db.$disconnect());
    const jobs: JobBackend = createJobBackend(config.queue, databaseUrl);
    cleanups.push(() => jobs.close());

    const env = {
      DATABASE_URL: databaseUrl,
      REDIS_URL: redis.url,
      APP_ENCRYPTION_KEY: encryptionKey,
      SHOPIFY_API_KEY: "fault-test-key",
      SHOPIFY_API_SECRET: API_SECRET,
      SHOPIFY_APP_URL: "https://regulars.example.com",
      PUSH_ALLOW_LOCAL_RECEIVERS: "1",
      PUSH_RATE_PER_SHOP: String(options.pushRate),
      // Lost drains are found again by the heartbeat; as often as the configuration allows.
      HEARTBEAT_INTERVAL_SECONDS: "5",
      ...(options.stalledIntervalMs === undefined ? {} : { JOB_STALLED_INTERVAL_MS: String(options.stalledIntervalMs) }),
    };
    const spawnRole = (label: string, role: "web" | "worker") => {
      const app = spawnApp({ ...env, ROLE: role });
      processes.push({ label, app });
      const ready = waitFor(
        `${label} to start`,
        async () => {
          if (app.child.exitCode !== null) throw new Error(`${label} exited at start:\n${app.output()}`);
          return /regulars: database .*; role /.test(app.output()) ? true : undefined;
        },
        120_000,
      ).then(() => note(`${label} started`));
      ready.catch(() => {});
      return { app, ready };
    };

    const seeded = await seedShop(db, receiver, Buffer.from(encryptionKey, "hex"), options.members);
    note(`seeded ${options.members} members`);
    const web = spawnRole("web", "web");
    await web.ready;
    const origin = await waitFor("the web process to serve", () => Promise.race([web.app.ready, new Promise<undefined>((resolve) => setTimeout(resolve, 100))]), 60_000);

    const stack = {
      postgres,
      redis,
      databaseUrl,
      db,
      jobs,
      receiver,
      planted: seeded.planted,
      note,
      origin,
      web: web.app,
      clickKey: clickTokenKey(Buffer.from(encryptionKey, "hex")),
      spawnWorker: (label: string) => spawnRole(label, "worker"),
      /** Everything that happened, and the end of each process's output, for a failure message. */
      diagnostics: () =>
        `--- timeline ---\n${events.join("\n")}\n${processes.map(({ label, app }) => `--- ${label} output ---\n${app.output().slice(-3_000)}`).join("\n")}`,
      async scheduleCampaign() {
        await scheduleCampaign({ db, jobs }, FAULT_SHOP, CAMPAIGN_ID);
        note("campaign scheduled");
      },
      stop,
    };
    return stack;
  } catch (error) {
    await stop();
    throw error;
  }
}

export type FaultStack = Awaited<ReturnType<typeof startFaultStack>>;

async function createDatabase(serverUrl: string): Promise<string> {
  const name = `regulars_fault_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The installed shop, its members and their browsers, and the broadcast as a draft. */
async function seedShop(db: Database, receiver: PushReceiver, encryptionKey: Buffer, members: number) {
  await registerInstall(db, { domain: FAULT_SHOP, name: "Fault Test Cafe", timezone: "Europe/London", currency: "GBP" });
  // No quiet hours: the broadcast goes now, whatever the time of day the test runs.
  await db.shopSettings.create({ data: { shop: FAULT_SHOP, quietStartMinute: 0, quietEndMinute: 0 } });
  const key = await ensureActivePushKey(db, encryptionKey, FAULT_SHOP);
  const planted = await seedPushAudience(db, { shop: FAULT_SHOP, members, segmentId: SEGMENT_ID, key, receiver, firstCustomerId: 7_300_000_000_000, at: new Date() });
  await createCampaign(
    db,
    FAULT_SHOP,
    {
      name: "Winter menu tasting",
      kind: "broadcast",
      segmentId: SEGMENT_ID,
      variants: [
        { id: "a", title: TITLES[0], body: "Thursday 8–10 at the counter: the new chestnut latte, on us.", weight: 1 },
        { id: "b", title: TITLES[1], body: "Come and try the chestnut latte before it goes on the board.", weight: 1 },
      ],
      offer: { type: "tasting", link: "/pages/tasting" },
      holdoutPercent: 10,
      startsAt: new Date().toISOString(),
    },
    { id: CAMPAIGN_ID },
  );
  return { planted };
}

/**
 * Signed orders/create deliveries sent to the web process at a steady rate,
 * each retried (a fresh signature, the same event id) until it is answered
 * 200, as Shopify retries a delivery that failed.
 */
export function startIngest(stack: FaultStack, input: { orders: number; perSecond: number; customers?: number }) {
  const store = new StandinStore();
  store.addShop({ domain: FAULT_SHOP, ianaTimezone: "Europe/London" });
  const templates = Array.from({ length: input.customers ?? 40 }, (_, c) => {
    const customer = store.addCustomer(FAULT_SHOP, { email: `fault-${c}@example.com` });
    const order = store.addOrder(FAULT_SHOP, { customerId: customer.id, sourceName: "pos", lineItems: [{ title: "Flat white", quantity: 1, price: "3.40", sku: "FLAT-WHITE" }] });
    return webhookPayload(store, FAULT_SHOP, "orders/create", order.id);
  });
  const run = randomBytes(4).toString("hex");
  const sentIds: string[] = [];
  let acknowledged = 0;
  let refused = 0;
  const firstRefusals: string[] = [];
  const deliver = async (index: number) => {
    const id = 7_400_000_000_000 + index;
    const template = templates[index % templates.length];
    const payload = { ...template, id, name: `#F${index}`, admin_graphql_api_id: `gid://shopify/Order/${id}` };
    sentIds.push(String(id));
    for (let attempt = 1; ; attempt += 1) {
      const request = buildWebhookRequest(
        { shop: FAULT_SHOP, topic: "orders/create", payload, address: `${stack.origin}/webhooks/orders/create`, eventId: `fault-${run}-${index}` },
        { apiSecret: API_SECRET, defaultApiVersion: "2025-10", now: new Date() },
      );
      const status = await fetch(request.url, { method: "POST", headers: request.headers, body: request.body, signal: AbortSignal.timeout(10_000) }).then(
        async (response) => {
          await response.text();
          return response.status;
        },
        (error: unknown) => `network error: ${error instanceof Error ? error.message : String(error)}`,
      );
      if (status === 200) {
        acknowledged += 1;
        return;
      }
      refused += 1;
      if (firstRefusals.length < 5) firstRefusals.push(`order ${index} attempt ${attempt}: ${status}`);
      if (attempt >= 60) throw new Error(`order ${index} was never acknowledged: ${firstRefusals.join("; ")}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const inFlight: Array<Promise<void>> = [];
  const done = (async () => {
    const startedAt = performance.now();
    for (let index = 0; index < input.orders; index += 1) {
      const due = startedAt + (index * 1000) / input.perSecond;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      inFlight.push(deliver(index));
    }
    await Promise.all(inFlight);
    stack.note(`ingest done: ${acknowledged} orders acknowledged, ${refused} refusals retried${firstRefusals.length > 0 ? ` (${firstRefusals.join("; ")})` : ""}`);
  })();
  done.catch(() => {});
  return {
    done,
    sentIds,
    acknowledged: () => acknowledged,
    refused: () => refused,
  };
}

export type Ingest = ReturnType<typeof startIngest>;

const campaignDeliveries = (db: Database) =>
  db.pushDelivery.findMany({ where: { shop: FAULT_SHOP, campaignId: CAMPAIGN_ID }, select: { id: true, customerId: true, status: true, error: true, statusCode: true } });

/** Pushes of the campaign the receiver has accepted so far. */
export const receivedCount = (stack: FaultStack) => stack.receiver.received.length;

/** Orders applied so far (a fault test waits for some before it strikes). */
export async function ordersApplied(stack: FaultStack): Promise<number> {
  return stack.db.order.count({ where: { shop: FAULT_SHOP } });
}

/**
 * Waits until the ingest client is done, every delivery is applied, the
 * campaign is complete with no delivery open, and no job but the recurring
 * ones is waiting or running. Database or queue errors while a service is
 * still coming back count as "not yet".
 */
export async function settle(stack: FaultStack, ingest: Ingest, timeoutMs = 130_000): Promise<void> {
  await ingest.done;
  const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: { url: stack.redis.url, maxRetriesPerRequest: 1 } }));
  for (const queue of queues) queue.on("error", () => {});
  let last = "";
  try {
    await waitFor(
      "orders, campaign and jobs to settle",
      async () => {
        try {
          const campaign = await getCampaign(stack.db, FAULT_SHOP, CAMPAIGN_ID);
          const open = await stack.db.pushDelivery.count({ where: { shop: FAULT_SHOP, campaignId: CAMPAIGN_ID, status: { in: ["queued", "sending"] } } });
          const unapplied = await stack.db.webhookDelivery.count({ where: { shop: FAULT_SHOP, status: "received" } });
          let busy = 0;
          for (const queue of queues) {
            const jobs = await queue.getJobs(["active", "waiting", "prioritized"]);
            busy += jobs.filter((job) => job.name !== "heartbeat" && job.name !== "pickup-expire-holds").length;
          }
          const state = `campaign ${campaign.status}, ${open} deliveries open, ${unapplied} webhooks unapplied, ${busy} jobs busy, ${receivedCount(stack)} pushes received`;
          if (state !== last) stack.note(state);
          last = state;
          return campaign.status === "completed" && open === 0 && unapplied === 0 && busy === 0 ? true : undefined;
        } catch (error) {
          const state = `not yet answering: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
          if (state !== last) stack.note(state);
          last = state;
          return undefined;
        }
      },
      timeoutMs,
    );
  } finally {
    for (const queue of queues) await queue.close();
  }
}

const wireMessage = z.object({ v: z.literal(1), title: z.string(), body: z.string(), click: z.string() });

/** Every push the receiver accepted, with the delivery its signed click token names. */
export function receivedPushes(stack: FaultStack): ReceivedCampaignPush[] {
  expect(stack.receiver.rejected, "pushes the receiver refused").toEqual([]);
  const nowSeconds = Math.floor(Date.now() / 1000);
  return stack.receiver.received.map((push) => {
    const message = wireMessage.parse(JSON.parse(push.text));
    expect(TITLES).toContain(message.title);
    const token = verifyClickToken(stack.clickKey, message.click, { shop: FAULT_SHOP, nowSeconds });
    if (!token.ok) throw new Error(`a push carries an invalid click token: ${token.message}`);
    return { deliveryId: token.deliveryId, receiverId: push.subscriptionId };
  });
}

function repeated(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => seen.size === seen.add(value).size);
}

export interface OutcomeSummary {
  deliveries: Record<string, number>;
  failedJobs: Array<{ queue: string; name: string; reason: string }>;
}

/** What the issue promises after any fault; returns the tallies for the scenario's own checks. */
export async function checkOutcome(stack: FaultStack, ingest: Ingest): Promise<OutcomeSummary> {
  const { db } = stack;
  // Orders: every one sent is stored, once, and nothing else is.
  const orders = await db.order.findMany({ where: { shop: FAULT_SHOP }, select: { id: true } });
  expect(repeated(orders.map((o) => o.id)), "orders stored twice").toEqual([]);
  expect(new Set(orders.map((o) => o.id)), "orders stored == orders sent").toEqual(new Set(ingest.sentIds));
  expect(orders).toHaveLength(ingest.sentIds.length);
  const webhookStates = await db.webhookDelivery.groupBy({ by: ["status"], where: { shop: FAULT_SHOP }, _count: { _all: true } });
  expect(Object.fromEntries(webhookStates.map((row) => [row.status, row._count._all])), "webhook deliveries").toEqual({ processed: ingest.sentIds.length });

  // Pushes: nobody twice, each received push is its member's delivery, and the rows agree.
  const received = receivedPushes(stack);
  const final = await campaignDeliveries(db);
  const rowOf = new Map(final.map((row) => [row.id, row]));
  const memberOf = new Map(stack.planted.flatMap((m: PlantedMember) => (m.receiverId ? [[m.receiverId, m.customerId] as const] : [])));
  expect(repeated(received.map((r) => r.deliveryId)), "deliveries received more than once").toEqual([]);
  const members = received.map((r) => memberOf.get(r.receiverId) ?? `unknown browser ${r.receiverId}`);
  expect(repeated(members), "members who got the campaign twice").toEqual([]);
  for (const push of received) {
    const row = rowOf.get(push.deliveryId);
    expect(row?.customerId, `push ${push.deliveryId} went to its member's browser`).toBe(memberOf.get(push.receiverId));
    // Sent, or claimed by a drain that died before it could record the answer (never sent again).
    expect(row?.status === "sent" || (row?.status === "failed" && /^interrupted while sending/.test(row.error ?? "")), `received push ${push.deliveryId} is ${row?.status}`).toBe(true);
  }
  const receivedIds = new Set(received.map((r) => r.deliveryId));
  for (const row of final) {
    expect(["sent", "failed", "expired"], `delivery ${row.id} settled`).toContain(row.status);
    if (row.status === "sent") expect(receivedIds.has(row.id), `sent delivery ${row.id} reached its browser`).toBe(true);
    else expect(row.error, `delivery ${row.id} (${row.status}) says why`).toMatch(/\S/);
  }
  const recipients = await db.campaignRecipient.findMany({ where: { shop: FAULT_SHOP, campaignId: CAMPAIGN_ID } });
  expect(recipients).toHaveLength(stack.planted.length);
  const treated = recipients.filter((r) => r.status === "sent");
  expect(recipients.filter((r) => r.status !== "sent" && r.status !== "skipped"), "recipients neither sent nor skipped").toEqual([]);
  expect(treated.length, "members the campaign went to").toBeGreaterThan(stack.planted.length / 3);
  for (const recipient of recipients) {
    const delivered = recipient.deliveryId ? rowOf.get(recipient.deliveryId)?.customerId : null;
    expect(delivered ?? null, `recipient ${recipient.customerId}'s delivery`).toBe(recipient.status === "sent" ? recipient.customerId : null);
  }
  expect(final).toHaveLength(treated.length);

  // Jobs: whatever failed says why.
  const failedJobs: OutcomeSummary["failedJobs"] = [];
  for (const name of QUEUE_NAMES) {
    const queue = new Queue(name, { connection: { url: stack.redis.url } });
    for (const job of await queue.getJobs(["failed"])) failedJobs.push({ queue: name, name: job.name, reason: job.failedReason ?? "" });
    await queue.close();
  }
  for (const job of failedJobs) expect(job.reason, `failed ${job.queue} job ${job.name} says why`).toMatch(/\S/);
  const deliveries: Record<string, number> = {};
  for (const row of final) deliveries[row.status] = (deliveries[row.status] ?? 0) + 1;
  stack.note(`outcome: ${orders.length} orders; deliveries ${JSON.stringify(deliveries)}; ${received.length} pushes received; ${failedJobs.length} failed jobs${failedJobs.length > 0 ? ` (${failedJobs.slice(0, 3).map((j) => `${j.name}: ${j.reason}`).join("; ")})` : ""}`);
  return { deliveries, failedJobs };
}

/** Runs a scenario on its own stack, with the timeline and process output attached to any failure. */
export async function withFaultStack(options: FaultStackOptions, scenario: (stack: FaultStack) => Promise<void>): Promise<void> {
  const stack = await startFaultStack(options);
  // Also when the test times out, which abandons the scenario without running its `finally`.
  onTestFinished(() => stack.stop());
  try {
    await scenario(stack);
  } catch (error) {
    const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
    throw new Error(`${text}\n${stack.diagnostics()}`);
  } finally {
    await stack.stop();
  }
}
