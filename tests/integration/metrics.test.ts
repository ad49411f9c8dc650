import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { registerInstall } from "../../app/shops/shops.server";
import { createJobBackend, type JobBackend } from "../../jobs/backend.server";
import { QUEUE_NAMES } from "../../jobs/queues";
import { StandinStore, webhookPayload } from "../../standin";
import { spawnApp, waitFor, type AppProcess } from "../support/app-process";
import { freshDatabase, stackKinds } from "../support/stacks";
import { sendWebhook } from "../support/webhooks";

const SHOP = "metric-cafe.myshopify.com";
/** Installed after the app started: no heartbeat is scheduled for it, so nothing drains its deliveries. */
const QUIET_SHOP = "quiet-cafe.myshopify.com";
const TOKEN = randomBytes(32).toString("hex");

/** One sample per series: `name{label="value",…}` → value. */
type Samples = Map<string, number>;

/**
 * Parses the Prometheus text exposition format strictly enough to catch a
 * malformed line: every sample belongs to a family declared by # TYPE.
 * Values are Go floats, so NaN and Inf in any case (prom-client writes
 * "Nan" for an event-loop histogram with no samples yet).
 */
function parseExposition(text: string): Samples {
  const samples: Samples = new Map();
  const families = new Map<string, string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === "TYPE") families.set(meta[2] ?? "", meta[3] ?? "");
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|[+-]?[Ii][Nn][Ff]|[Nn][Aa][Nn])$/.exec(line);
    if (!sample) throw new Error(`not an exposition line: ${line}`);
    const name = sample[1] ?? "";
    const family = [...families.keys()].find((f) => name === f || name === `${f}_bucket` || name === `${f}_sum` || name === `${f}_count`);
    if (!family) throw new Error(`sample ${name} has no # TYPE`);
    samples.set(`${name}${sample[2] ?? ""}`, Number(sample[3]));
  }
  return samples;
}

const value = (samples: Samples, series: string) => samples.get(series) ?? 0;

async function scrape(origin: string, authorization: string | null = `Bearer ${TOKEN}`): Promise<Response> {
  return fetch(`${origin}/metrics`, { headers: authorization === null ? {} : { Authorization: authorization } });
}

async function samplesAt(origin: string): Promise<Samples> {
  const response = await scrape(origin);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await response.text());
}

describe.each(stackKinds())("GET /metrics on $name", (kind) => {
  let app: AppProcess;
  let origin: string;
  let db: Database;
  let jobs: JobBackend;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  const others: AppProcess[] = [];
  const store = new StandinStore();
  const redis: Record<string, string> = kind.queue === "redis" && process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {};

  beforeAll(async () => {
    database = await freshDatabase(kind.database);
    db = createPrismaClient(database.url);
    jobs = createJobBackend(kind.queue === "redis" && process.env.REDIS_URL ? { kind: "redis", url: process.env.REDIS_URL } : { kind: "postgres" }, database.url);
    await registerInstall(db, { domain: SHOP, name: "Metric Cafe" });
    store.addShop({ domain: SHOP, ianaTimezone: "Europe/London" });
    app = spawnApp({ DEMO: "1", DATABASE_URL: database.url, METRICS_TOKEN: TOKEN, ...redis });
    origin = await app.ready;
  });

  afterAll(async () => {
    await Promise.all([app, ...others].map((process) => process?.stop("SIGINT")));
    await jobs?.close();
    await db?.$disconnect();
    await database?.drop();
  });

  it("answers 401 with a challenge to a missing, wrong or non-bearer credential", async () => {
    for (const authorization of [null, `Bearer ${TOKEN.slice(0, -1)}x`, `Bearer ${TOKEN}extra`, `Basic ${Buffer.from(`prometheus:${TOKEN}`).toString("base64")}`, TOKEN]) {
      const response = await scrape(origin, authorization);
      expect(response.status, String(authorization)).toBe(401);
      expect(response.headers.get("www-authenticate")).toBe('Bearer realm="metrics"');
      expect(await response.text()).toBe("Unauthorized");
    }
  });

  it("serves parseable metrics: every queue's depth by state, both sources up, no shop label", async () => {
    const text = await (await scrape(origin)).text();
    const samples = parseExposition(text);
    for (const queue of QUEUE_NAMES) {
      for (const state of ["waiting", "active", "delayed", "failed"]) expect(samples.has(`regulars_queue_jobs{queue="${queue}",state="${state}"}`), `${queue} ${state}`).toBe(true);
    }
    expect(value(samples, 'regulars_metrics_source_up{source="queue"}')).toBe(1);
    expect(value(samples, 'regulars_metrics_source_up{source="database"}')).toBe(1);
    expect(samples.has("regulars_process_resident_memory_bytes")).toBe(true);
    expect(text).not.toContain("shop=");
    expect(text).not.toContain(SHOP);
  });

  it("a webhook moves the job latency, webhook lag and HTTP figures", async () => {
    const before = await samplesAt(origin);
    expect((await scrape(origin, null)).status).toBe(401);
    const drain = '{queue="webhooks",job="drain-webhooks",outcome="completed"}';
    const customer = store.addCustomer(SHOP, { email: "ada@example.com", firstName: "Ada" });
    const sent = await sendWebhook(origin, { shop: SHOP, topic: "customers/create", payload: webhookPayload(store, SHOP, "customers/create", customer.id) });
    expect(sent.status).toBe(200);

    const after = await waitFor("the drain's figures", async () => {
      const samples = await samplesAt(origin);
      const drained = value(samples, "regulars_webhook_lag_seconds_count") > value(before, "regulars_webhook_lag_seconds_count");
      const completed = value(samples, `regulars_job_duration_seconds_count${drain}`) > value(before, `regulars_job_duration_seconds_count${drain}`);
      return drained && completed ? samples : undefined;
    });
    expect(value(after, "regulars_webhook_lag_seconds_count") - value(before, "regulars_webhook_lag_seconds_count")).toBe(1);
    expect(value(after, "regulars_webhook_lag_seconds_sum")).toBeGreaterThan(value(before, "regulars_webhook_lag_seconds_sum"));
    expect(value(after, `regulars_job_duration_seconds_sum${drain}`)).toBeGreaterThan(value(before, `regulars_job_duration_seconds_sum${drain}`));
    expect(value(after, 'regulars_job_wait_seconds_count{queue="webhooks",job="drain-webhooks"}')).toBeGreaterThan(value(before, 'regulars_job_wait_seconds_count{queue="webhooks",job="drain-webhooks"}'));
    // The delivery's own request, answered 200 by the webhook endpoint.
    const webhookRequests = 'regulars_http_request_duration_seconds_count{method="POST",area="webhooks",status="200"}';
    expect(value(after, webhookRequests) - value(before, webhookRequests)).toBe(1);
    const refused = 'regulars_http_request_duration_seconds_count{method="GET",area="metrics",status="401"}';
    expect(value(after, refused) - value(before, refused)).toBe(1);
    const delivery = await db.webhookDelivery.findUniqueOrThrow({ where: { shop_eventId: { shop: SHOP, eventId: sent.eventId } } });
    expect(delivery.status).toBe("processed");
  });

  it("reports the oldest unapplied delivery and the backlog, and a delayed job in its queue", async () => {
    await registerInstall(db, { domain: QUIET_SHOP, name: "Quiet Cafe" });
    const before = await samplesAt(origin);
    await db.webhookDelivery.create({
      data: { shop: QUIET_SHOP, eventId: "evt-quiet-1", webhookId: "wh-quiet-1", topic: "customers/update", receivedAt: new Date(Date.now() - 45_000) },
    });
    const job = await jobs.queue("reports").add("weekly-report", { shop: QUIET_SHOP, week: "2026-W09" }, { delay: 3_600_000 });
    try {
      const after = await samplesAt(origin);
      expect(value(after, "regulars_webhook_unprocessed_deliveries") - value(before, "regulars_webhook_unprocessed_deliveries")).toBe(1);
      expect(value(after, "regulars_webhook_oldest_unprocessed_seconds")).toBeGreaterThanOrEqual(45);
      const delayed = 'regulars_queue_jobs{queue="reports",state="delayed"}';
      expect(value(after, delayed) - value(before, delayed)).toBe(1);
    } finally {
      await (await jobs.queue("reports").getJob(job.id ?? ""))?.remove();
    }
  });

  it("answers 404 on a web server without METRICS_TOKEN", async () => {
    const web = spawnApp({ DEMO: "1", DATABASE_URL: database.url, ROLE: "web", ...redis });
    others.push(web);
    const webOrigin = await web.ready;
    for (const authorization of [null, `Bearer ${TOKEN}`]) {
      const response = await scrape(webOrigin, authorization);
      expect(response.status).toBe(404);
      expect(response.headers.get("www-authenticate")).toBeNull();
    }
  });

  // Split roles need a PostgreSQL server: the embedded database belongs to one app process (the demo), and a
  // second process on it waits for its connections behind the first one's.
  it.skipIf(kind.database === "embedded")("a worker-only process serves its own /metrics, and nothing else, behind the same token", async () => {
    const worker = spawnApp({ DEMO: "1", DATABASE_URL: database.url, ROLE: "worker", METRICS_TOKEN: TOKEN, ...redis });
    others.push(worker);
    const workerOrigin = await waitFor("the worker's metrics address", async () => {
      if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
      return /serving metrics at (http:\/\/[^\s/"]+)\/metrics/.exec(worker.output())?.[1];
    });
    expect((await scrape(workerOrigin, null)).status).toBe(401);
    // The process's first scrape opens its queues' connections; on the embedded database that can outlast a scrape.
    // The first scrape opens the process's queue connections; on a busy machine that can take several scrapes.
    const samples = await waitFor(
      "the worker's queues read",
      async () => {
        const scraped = await samplesAt(workerOrigin);
        return value(scraped, 'regulars_metrics_source_up{source="queue"}') === 1 ? scraped : undefined;
      },
      120_000,
    );
    expect(samples.has('regulars_queue_jobs{queue="push",state="waiting"}')).toBe(true);
    expect((await fetch(`${workerOrigin}/app`)).status).toBe(404);
  }, 240_000);
});
