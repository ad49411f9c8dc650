/**
 * bench:queue — no-op job throughput on each queue backend, measured in one run:
 * BullMQ on the embedded database (PGlite), on a PostgreSQL server, and on Redis.
 *
 *   npm run bench:queue [-- --jobs 2000 --concurrency 8]
 *
 * Servers: BENCH_DATABASE_URL (else DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres)
 * and REDIS_URL (else redis://127.0.0.1:6379). A fresh database and Redis prefix are used and removed.
 * Ends with one line of JSON.
 */
import { parseArgs } from "node:util";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { startEmbeddedDatabase } from "../app/db/embedded.server";
import { createJobBackend, type JobBackend } from "../jobs/backend.server";
import { Redis } from "ioredis";

const { values } = parseArgs({
  options: { jobs: { type: "string", default: "2000" }, concurrency: { type: "string", default: "8" } },
});
const JOBS = positiveInt("--jobs", values.jobs);
const CONCURRENCY = positiveInt("--concurrency", values.concurrency);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

interface Measurement {
  enqueuePerS: number;
  jobsPerS: number;
}

async function measure(label: string, jobs: JobBackend): Promise<Measurement> {
  const queue = jobs.queue("maintenance");
  await queue.waitUntilReady();
  const addStarted = performance.now();
  for (let offset = 0; offset < JOBS; offset += 500) {
    const batch = Array.from({ length: Math.min(500, JOBS - offset) }, (_, i) => ({
      name: "bench-noop",
      data: { n: offset + i },
      opts: { removeOnComplete: false },
    }));
    await queue.addBulk(batch);
  }
  const addSeconds = (performance.now() - addStarted) / 1000;

  let processed = 0;
  let lastShown = 0;
  const started = performance.now();
  const worker = jobs.worker(
    "maintenance",
    async () => {
      processed += 1;
      if (processed - lastShown >= JOBS / 20 || processed === JOBS) {
        lastShown = processed;
        progress(label, processed);
      }
      return null;
    },
    { concurrency: CONCURRENCY },
  );
  for (;;) {
    const { completed = 0 } = await queue.getJobCounts("completed");
    if (completed >= JOBS) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write("\n");
  await worker.close();
  return { enqueuePerS: round(JOBS / addSeconds), jobsPerS: round(JOBS / seconds) };
}

function progress(label: string, done: number): void {
  const width = 30;
  const filled = Math.round((done / JOBS) * width);
  process.stderr.write(`\r${label.padEnd(9)} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${JOBS}`);
}

async function embedded(): Promise<Measurement> {
  const db = await startEmbeddedDatabase({ dataDir: "memory://" });
  const jobs = createJobBackend({ kind: "postgres" }, db.url);
  try {
    return await measure("embedded", jobs);
  } finally {
    await jobs.close();
    await db.stop();
  }
}

async function postgresServer(): Promise<Measurement> {
  const name = `regulars_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect().catch((error: unknown) => {
    throw new Error(`PostgreSQL server at ${SERVER_URL} is unreachable: ${String(error)}`);
  });
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const jobs = createJobBackend({ kind: "postgres" }, url.toString());
  try {
    return await measure("postgres", jobs);
  } finally {
    await jobs.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

async function redis(): Promise<Measurement> {
  const prefix = `regulars_bench_${randomBytes(4).toString("hex")}`;
  const jobs = createJobBackend({ kind: "redis", url: REDIS_URL }, "", { redisPrefix: prefix });
  try {
    return await measure("redis", jobs);
  } finally {
    await jobs.close();
    const client = new Redis(REDIS_URL);
    const keys = await client.keys(`${prefix}:*`);
    if (keys.length > 0) await client.del(...keys);
    client.disconnect();
  }
}

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) {
    console.error(`bench:queue: ${flag} must be a positive integer (got ${JSON.stringify(value)})`);
    process.exit(2);
  }
  return n;
}

const round = (n: number) => Math.round(n * 10) / 10;

const results = { embedded: await embedded(), postgres: await postgresServer(), redis: await redis() };
console.log(`jobs=${JOBS} concurrency=${CONCURRENCY} node=${process.version}`);
for (const [backend, m] of Object.entries(results)) {
  console.log(`${backend.padEnd(9)} process ${String(m.jobsPerS).padStart(8)} jobs/s   enqueue ${String(m.enqueuePerS).padStart(8)} jobs/s`);
}
console.log(
  JSON.stringify({
    bench: "queue",
    jobs: JOBS,
    concurrency: CONCURRENCY,
    jobs_per_s: { embedded: results.embedded.jobsPerS, postgres: results.postgres.jobsPerS, redis: results.redis.jobsPerS },
    enqueue_per_s: { embedded: results.embedded.enqueuePerS, postgres: results.postgres.enqueuePerS, redis: results.redis.enqueuePerS },
    ratio_vs_redis: {
      embedded: Math.round((results.embedded.jobsPerS / results.redis.jobsPerS) * 100) / 100,
      postgres: Math.round((results.postgres.jobsPerS / results.redis.jobsPerS) * 100) / 100,
    },
  }),
);
process.exit(0);
