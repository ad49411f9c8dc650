/**
 * bench:soak — the app under a steady mixed load for a long stretch, to show
 * that it keeps its pace and does not grow: signed orders/create webhooks at
 * a constant rate into the web process (ROLE=web), the worker (ROLE=worker)
 * draining them and bringing each ordering member's analytics up to date
 * (the incremental updates follow from ingest), and a broadcast campaign
 * every wave (a minute by default) to a fresh slice of members, sent at the
 * shop's push rate to a local Web Push receiver — all at once, on real
 * PostgreSQL and Redis over loopback.
 *
 *   npm run bench:soak [-- --minutes 10 --rate 100 --push-rate 50 --wave-seconds 60]
 *
 * Every 10 s it samples: webhooks acknowledged per second and their p99
 * latency (client side, open loop: requests leave on schedule whether or not
 * earlier ones were answered); pushes accepted per second and the p99 from a
 * delivery being recorded to its acceptance (this includes waiting for the
 * shop's rate within a wave); the p99 of member analytics updates from
 * request to done (the analytics-members jobs); the resident memory of the
 * web and worker processes; and the backlog (jobs waiting or running,
 * webhook deliveries not yet applied, pushes due and not yet sent). At the
 * end it prints the memory series and the least-squares slope of each
 * process's RSS over time after the first quarter of the run (warm-up), in
 * MB per minute: the "no growth trend" figure. Ends with one line of JSON.
 *
 * Database: a fresh database on BENCH_DATABASE_URL (else DATABASE_URL, else
 * the `test` database on 127.0.0.1:5432 as the current user), dropped
 * afterwards; Redis: a database (1–15) of REDIS_URL (else
 * redis://127.0.0.1:6379) picked at random, emptied before and after.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent } from "node:http";
import { loadavg, userInfo } from "node:os";
import { parseArgs } from "node:util";
import { Queue } from "bullmq";
import pg from "pg";
import { createCampaign, scheduleCampaign } from "../app/campaigns/campaigns.server";
import { parseConfig } from "../app/config.server";
import { applyMigrations } from "../app/db/migrations.server";
import { createPrismaClient } from "../app/db/prisma.server";
import { ensureActivePushKey } from "../app/push/keys.server";
import { registerInstall } from "../app/shops/shops.server";
import { createJobBackend } from "../jobs/backend.server";
import { QUEUE_NAMES } from "../jobs/queues";
import { spawnApp, type AppProcess } from "../tests/support/app-process";
import { startPushReceiver } from "../tests/support/push-receiver";
import { processTree } from "./support/cpu";
import { percentile, post } from "./support/load";
import { seedSoakAudience } from "./support/soak-audience";
import { announced, buildApp, createBenchDatabase, obliterateQueues, orderTemplates, randomRedisDatabase } from "./support/stack";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    rate: { type: "string", default: "100" },
    "push-rate": { type: "string", default: "50" },
    "wave-seconds": { type: "string", default: "60" },
    customers: { type: "string", default: "2000" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(`npm run bench:soak [-- options]

  --minutes N        how long the mixed load runs (default 10)
  --rate N           orders/create webhooks sent per second (default 100)
  --push-rate N      the shop's push rate, PUSH_RATE_PER_SHOP (default 50, the app's default)
  --wave-seconds N   a campaign wave starts this often, sized to ~70 % of what the push rate sends in that time (default 60)
  --customers N      members the orders are spread over (default 2000)

PostgreSQL: BENCH_DATABASE_URL, else DATABASE_URL, else postgresql://<you>@127.0.0.1:5432/test (a fresh database is created and dropped).
Redis: REDIS_URL, else redis://127.0.0.1:6379 (a database 1–15 picked at random, emptied before and after).`);
  process.exit(0);
}

function fail(message: string): never {
  console.error(`bench:soak: ${message}`);
  process.exit(2);
}

function positive(flag: string, text: string | undefined): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) fail(`${flag} must be a positive number (got ${JSON.stringify(text)})`);
  return value;
}

const MINUTES = positive("--minutes", values.minutes);
const RATE = positive("--rate", values.rate);
const PUSH_RATE = Math.round(positive("--push-rate", values["push-rate"]));
const WAVE_SECONDS = positive("--wave-seconds", values["wave-seconds"]);
const CUSTOMERS = Math.round(positive("--customers", values.customers));
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? `postgresql://${userInfo().username}@127.0.0.1:5432/test`;
const REDIS_URL = randomRedisDatabase(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
const SHOP = "soak-cafe.myshopify.com";
const SECRET = "soak-bench-secret";
const SAMPLE_MS = 10_000;
/** Requests in flight at most; beyond this the client counts the send as behind schedule rather than opening more. */
const MAX_IN_FLIGHT = 256;
const KEY_POOL = 100;
/** Campaign holdout 10 % and the program holdout 5 %: the share of a wave that is sent. */
const TREATED_SHARE = 0.85;
const WAVES = Math.ceil((MINUTES * 60) / WAVE_SECONDS);
const MEMBERS_PER_WAVE = Math.max(10, Math.round((0.7 * PUSH_RATE * WAVE_SECONDS) / TREATED_SHARE));

const round = (n: number, places = 1) => Math.round(n * 10 ** places) / 10 ** places;
const mb = (kb: number) => round(kb / 1024, 1);

/** Resident memory of a process and its children, in kB (Linux /proc; 0 elsewhere). */
function rssKb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  let total = 0;
  for (const member of processTree(pid)) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${member}/status`, "utf8"));
      total += Number(match?.[1] ?? 0);
    } catch {
      // Exited while sampled.
    }
  }
  return total;
}

/** Least-squares slope of y over x. */
function slope(points: Array<{ x: number; y: number }>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  return sxx === 0 ? 0 : sxy / sxx;
}

interface Sample {
  t: number;
  ackPerS: number;
  ackP99: number;
  ackErrors: number;
  pushesPerS: number;
  pushP99: number | null;
  updateP99: number | null;
  updates: number;
  webMb: number;
  workerMb: number;
  jobsBacklog: number;
  unappliedWebhooks: number;
  pushesDue: number;
  behind: number;
}

async function main(): Promise<void> {
  buildApp("bench:soak");
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect().catch((error: unknown) => fail(`PostgreSQL server at ${SERVER_URL} is unreachable: ${String(error)}`));
  const database = await createBenchDatabase(admin, SERVER_URL);
  await obliterateQueues(REDIS_URL);
  const spawned: AppProcess[] = [];
  const encryptionKey = randomBytes(32).toString("hex");
  // The shop's VAPID key, once made: every push must be signed with it.
  let applicationServerKey: string | undefined;
  const receiver = await startPushReceiver({
    // A push service checks every push's headers and VAPID claims; a browser-side sample is decrypted.
    decryptOneIn: 20,
    resolveUnknown: (id) => {
      const match = /^s(\d+)$/.exec(id);
      return match?.[1] ? { keySeed: `k${Number(match[1]) % KEY_POOL}`, applicationServerKey } : null;
    },
  });
  const config = parseConfig({ NODE_ENV: "test", DEMO: "1", DATABASE_URL: database.url, REDIS_URL, APP_ENCRYPTION_KEY: encryptionKey });
  const db = createPrismaClient(database.url);
  const jobs = createJobBackend(config.queue, database.url);
  const queues = QUEUE_NAMES.map((name) => new Queue(name, { connection: { url: REDIS_URL } }));
  try {
    await applyMigrations(database.url);
    await registerInstall(db, { domain: SHOP, name: "Soak Cafe", timezone: "Europe/London", currency: "GBP" });
    // No quiet hours: the waves go out whatever the time of day the run starts.
    await db.shopSettings.create({ data: { shop: SHOP, quietStartMinute: 0, quietEndMinute: 0 } });
    const key = await ensureActivePushKey(db, Buffer.from(encryptionKey, "hex"), SHOP);
    applicationServerKey = key.publicKey;
    const audience = await seedSoakAudience(db, {
      shop: SHOP,
      waves: WAVES,
      membersPerWave: MEMBERS_PER_WAVE,
      receiverOrigin: receiver.origin,
      keyId: key.id,
      keyPool: KEY_POOL,
      firstCustomerId: 7_600_000_000_000,
      at: new Date(),
    });
    process.stderr.write(`bench:soak: ${audience.customerIds.length.toLocaleString("en")} members in ${WAVES} waves of ${MEMBERS_PER_WAVE}; receiver at ${receiver.origin}\n`);

    const env = {
      DATABASE_URL: database.url,
      REDIS_URL,
      APP_ENCRYPTION_KEY: encryptionKey,
      SHOPIFY_API_KEY: "soak-bench-key",
      SHOPIFY_API_SECRET: SECRET,
      SHOPIFY_APP_URL: "https://regulars.example.com",
      WEB_BUNDLE: "build",
      PUSH_ALLOW_LOCAL_RECEIVERS: "1",
      PUSH_RATE_PER_SHOP: String(PUSH_RATE),
    };
    const web = spawnApp({ ...env, ROLE: "web" });
    const worker = spawnApp({ ...env, ROLE: "worker" });
    spawned.push(web, worker);
    const origin = await web.ready;
    await announced(web);
    await announced(worker);

    // The orders go to members, a few thousand of them in turn, so each drain asks for member updates.
    const templates = orderTemplates({ shop: SHOP, secret: SECRET, path: "/webhooks/orders/create", customerIds: audience.customerIds.slice(0, CUSTOMERS), firstOrderId: 7_700_000_000_000 });
    const agent = new Agent({ keepAlive: true, maxSockets: MAX_IN_FLIGHT });
    const url = new URL(origin);
    const runMs = MINUTES * 60_000;
    const started = performance.now();
    let window: { latencies: number[]; errors: number; behind: number } = { latencies: [], errors: 0, behind: 0 };
    const allLatencies: number[] = [];
    let inFlight = 0;
    let sentOrders = 0;
    let acknowledged = 0;
    let ackErrors = 0;
    let behind = 0;
    const pending = new Set<Promise<void>>();
    const send = (index: number) => {
      inFlight += 1;
      const t0 = performance.now();
      const done = post(agent, url, templates.request(index))
        .catch(() => 0)
        .then((status) => {
          const ms = performance.now() - t0;
          inFlight -= 1;
          if (status === 200) {
            acknowledged += 1;
            window.latencies.push(ms);
            allLatencies.push(ms);
          } else {
            ackErrors += 1;
            window.errors += 1;
          }
        });
      pending.add(done);
      void done.finally(() => pending.delete(done));
    };
    // Open loop: each order leaves at its time, answered or not (up to MAX_IN_FLIGHT).
    const ingest = (async () => {
      for (let index = 0; ; index += 1) {
        const due = started + (index * 1000) / RATE;
        if ((index * 1000) / RATE >= runMs) return;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (inFlight >= MAX_IN_FLIGHT) {
          behind += 1;
          window.behind += 1;
          continue;
        }
        sentOrders += 1;
        send(index);
      }
    })();
    const campaigns = (async () => {
      for (let wave = 0; wave < WAVES; wave += 1) {
        const due = started + wave * WAVE_SECONDS * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const segmentId = audience.segments[wave];
        if (!segmentId) return;
        const id = `soak-wave-${wave + 1}`;
        await createCampaign(
          db,
          SHOP,
          {
            name: `Soak wave ${wave + 1}`,
            kind: "broadcast",
            segmentId,
            variants: [{ id: "a", title: "Taste the new menu", body: "Thursday 8–10 at the counter: the new chestnut latte, on us.", weight: 1 }],
            offer: { type: "tasting", link: "/pages/tasting" },
            holdoutPercent: 10,
            startsAt: new Date().toISOString(),
          },
          { id },
        );
        await scheduleCampaign({ db, jobs }, SHOP, id);
      }
    })();

    const samples: Sample[] = [];
    const updateLatencies = new Map<string, number>();
    let lastReceived = 0;
    let lastSampleAt = performance.now();
    const takeSample = async (): Promise<Sample> => {
      const now = performance.now();
      const seconds = (now - lastSampleAt) / 1000;
      const windowStart = Date.now() - (now - lastSampleAt);
      lastSampleAt = now;
      const taken = window;
      window = { latencies: [], errors: 0, behind: 0 };
      taken.latencies.sort((a, b) => a - b);
      const received = receiver.received.length;
      const pushesPerS = (received - lastReceived) / seconds;
      lastReceived = received;
      // Timestamps are stored as UTC without a zone (Prisma): the window is taken in UTC in SQL.
      const push = await db.$queryRaw<Array<{ p99: number | null }>>`
        SELECT (percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM "sentAt" - "createdAt")) * 1000)::float8 AS p99
        FROM "PushDelivery" WHERE shop = ${SHOP} AND status = 'sent' AND "sentAt" > (now() AT TIME ZONE 'UTC') - make_interval(secs => ${seconds})`;
      const analytics = queues.find((queue) => queue.name === "analytics");
      const finished = analytics ? await analytics.getJobs(["completed"], 0, 999) : [];
      const inWindow: number[] = [];
      for (const job of finished) {
        if (job.name !== "analytics-members" || job.id === undefined || job.finishedOn === undefined || job.finishedOn < windowStart) continue;
        const ms = job.finishedOn - job.timestamp;
        updateLatencies.set(job.id, ms);
        inWindow.push(ms);
      }
      inWindow.sort((a, b) => a - b);
      let jobsBacklog = 0;
      for (const queue of queues) {
        const counts = await queue.getJobCounts("waiting", "active", "prioritized");
        jobsBacklog += (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.prioritized ?? 0);
      }
      const unapplied = await db.webhookDelivery.count({ where: { shop: SHOP, status: "received" } });
      const due = await db.pushDelivery.count({ where: { shop: SHOP, status: { in: ["queued", "sending"] }, scheduledFor: { lte: new Date() } } });
      return {
        t: round((now - started) / 1000, 0),
        ackPerS: round(taken.latencies.length / seconds),
        ackP99: percentile(taken.latencies, 0.99),
        ackErrors: taken.errors,
        pushesPerS: round(pushesPerS),
        pushP99: typeof push[0]?.p99 === "number" ? round(push[0].p99, 0) : null,
        updateP99: inWindow.length === 0 ? null : percentile(inWindow, 0.99),
        updates: inWindow.length,
        webMb: mb(rssKb(web.child.pid)),
        workerMb: mb(rssKb(worker.child.pid)),
        jobsBacklog,
        unappliedWebhooks: unapplied,
        pushesDue: due,
        behind: taken.behind,
      };
    };
    const line = (s: Sample) =>
      `${String(s.t).padStart(5)} s  ack ${String(s.ackPerS).padStart(6)}/s p99 ${String(s.ackP99).padStart(7)} ms${s.ackErrors ? ` (${s.ackErrors} errors)` : ""}  ` +
      `push ${String(s.pushesPerS).padStart(5)}/s p99 ${s.pushP99 ?? "–"} ms  updates ${s.updates} p99 ${s.updateP99 ?? "–"} ms  ` +
      `RSS web ${s.webMb} MB worker ${s.workerMb} MB  backlog jobs ${s.jobsBacklog} webhooks ${s.unappliedWebhooks} pushes ${s.pushesDue}${s.behind ? `  behind ${s.behind}` : ""}`;
    const loadBefore = loadavg().map((n) => round(n, 2)).join(" ");
    while (performance.now() - started < runMs) {
      const next = lastSampleAt + SAMPLE_MS;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, next - performance.now())));
      for (const app of spawned) if (app.child.exitCode !== null) throw new Error(`an app process exited:\n${app.output().slice(-3_000)}`);
      const sample = await takeSample();
      samples.push(sample);
      console.log(line(sample));
    }
    await ingest;
    await campaigns;
    await Promise.all(pending);
    agent.destroy();
    const seconds = (performance.now() - started) / 1000;
    const loadAfter = loadavg().map((n) => round(n, 2)).join(" ");

    const pushOverall = await db.$queryRaw<Array<{ p99: number | null; sent: bigint }>>`
      SELECT (percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM "sentAt" - "createdAt")) * 1000)::float8 AS p99, count(*) AS sent
      FROM "PushDelivery" WHERE shop = ${SHOP} AND status = 'sent'`;
    const failedJobs: string[] = [];
    let failedCount = 0;
    for (const queue of queues) {
      failedCount += (await queue.getJobCounts("failed")).failed ?? 0;
      for (const job of await queue.getJobs(["failed"], 0, 2)) failedJobs.push(`${queue.name}/${job.name}: ${job.failedReason}`);
    }
    const ordersStored = await db.order.count({ where: { shop: SHOP } });
    allLatencies.sort((a, b) => a - b);
    const updates = [...updateLatencies.values()].sort((a, b) => a - b);
    // The first quarter is warm-up (JIT, pools filling); the slope is fitted to the rest.
    const steady = samples.slice(Math.floor(samples.length / 4));
    const webSlope = slope(steady.map((s) => ({ x: s.t / 60, y: s.webMb })));
    const workerSlope = slope(steady.map((s) => ({ x: s.t / 60, y: s.workerMb })));
    const last = samples.at(-1);

    console.log(`\nmemory (RSS, MB) every ${SAMPLE_MS / 1000} s — t: web / worker`);
    console.log(samples.map((s) => `${s.t}: ${s.webMb} / ${s.workerMb}`).join("  "));
    console.log(
      `RSS slope after warm-up (${steady.length} samples from ${steady[0]?.t ?? 0} s): web ${round(webSlope, 2)} MB/min, worker ${round(workerSlope, 2)} MB/min`,
    );
    console.log(
      `minutes=${MINUTES} rate=${RATE}/s push-rate=${PUSH_RATE}/s waves=${WAVES}×${MEMBERS_PER_WAVE} members customers=${CUSTOMERS} ` +
        `(PostgreSQL ${SERVER_URL.replace(/\/\/.*@/, "//")}, Redis ${REDIS_URL}); load average before ${loadBefore}, after ${loadAfter}`,
    );
    console.log(
      `ingest: ${acknowledged} of ${sentOrders} webhooks acknowledged (${ackErrors} errors, ${behind} not sent: client behind), ${round(acknowledged / seconds)}/s, ` +
        `p50 ${percentile(allLatencies, 0.5)} ms p99 ${percentile(allLatencies, 0.99)} ms; ${ordersStored} orders stored by the end`,
    );
    console.log(`pushes: ${receiver.received.length} accepted (${receiver.rejected.length} rejected), ${round(receiver.received.length / seconds)}/s; recorded → accepted p99 ${round(pushOverall[0]?.p99 ?? 0, 0)} ms`);
    console.log(`member updates: ${updates.length} jobs, requested → done p50 ${percentile(updates, 0.5)} ms p99 ${percentile(updates, 0.99)} ms`);
    if (failedCount > 0) console.log(`${failedCount} failed jobs; the first few per queue: ${failedJobs.join("; ")}`);
    if (receiver.rejected.length > 0) console.log(`first rejected push: ${JSON.stringify(receiver.rejected[0])}`);
    console.log(
      JSON.stringify({
        bench: "soak",
        minutes: MINUTES,
        rate: RATE,
        push_rate: PUSH_RATE,
        ack_per_s: round(acknowledged / seconds),
        ack_p99_ms: percentile(allLatencies, 0.99),
        ack_errors: ackErrors,
        pushes_per_s: round(receiver.received.length / seconds),
        push_p99_ms: round(pushOverall[0]?.p99 ?? 0, 0),
        update_p99_ms: percentile(updates, 0.99),
        rss_slope_mb_per_min: round(Math.max(webSlope, workerSlope), 2),
        web_rss_slope_mb_per_min: round(webSlope, 2),
        worker_rss_slope_mb_per_min: round(workerSlope, 2),
        web_rss_end_mb: last?.webMb ?? null,
        worker_rss_end_mb: last?.workerMb ?? null,
        max_backlog: Math.max(0, ...samples.map((s) => s.jobsBacklog)),
        max_unapplied_webhooks: Math.max(0, ...samples.map((s) => s.unappliedWebhooks)),
        max_pushes_due: Math.max(0, ...samples.map((s) => s.pushesDue)),
        failed_jobs: failedCount,
      }),
    );
  } finally {
    for (const app of spawned) await app.stop("SIGINT");
    for (const queue of queues) await queue.close();
    await jobs.close();
    await db.$disconnect();
    await receiver.close();
    await admin.query(`DROP DATABASE IF EXISTS ${database.name} WITH (FORCE)`);
    await admin.end();
    await obliterateQueues(REDIS_URL);
  }
}

await main();
process.exit(0);
