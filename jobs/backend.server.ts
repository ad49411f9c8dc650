import { Queue, Worker, createPostgresBackend, withBackend, type Processor, type WorkerOptions } from "bullmq";
import { Redis } from "ioredis";
import type { Config } from "../app/config.server";
import { JOB_QUEUE_SCHEMA } from "../app/db/database.server";
import { defaultJobOptions, type QueueName } from "./queues";
import { log } from "../app/lib/log.server";

/** The queue operations the app uses; the same on Redis and on PostgreSQL. */
export type JobQueue = Pick<
  Queue,
  "name" | "add" | "addBulk" | "getJobCounts" | "upsertJobScheduler" | "removeJobScheduler" | "getJobSchedulers" | "close" | "waitUntilReady" | "getJob"
>;
export interface JobWorker {
  readonly name: string;
  /** Waits for in-flight jobs unless forced; forced jobs return to the queue as stalled. */
  close(force?: boolean): Promise<void>;
  waitUntilReady(): Promise<unknown>;
  isRunning(): boolean;
}

export interface JobBackend {
  kind: "redis" | "postgres";
  /** The queue for a name; created once per backend and shared. */
  queue(name: QueueName): JobQueue;
  worker(name: QueueName, processor: Processor, options: Omit<WorkerOptions, "connection">): JobWorker;
  close(): Promise<void>;
}

/**
 * BullMQ on Redis when REDIS_URL is set, else BullMQ's PostgreSQL backend on
 * the app's own database (embedded or server). Workers, schedulers and rate
 * limiters are the same code on both.
 */
export function createJobBackend(
  queue: Config["queue"],
  databaseUrl: string,
  options: { redisPrefix?: string } = {},
): JobBackend {
  switch (queue.kind) {
    case "redis":
      return redisBackend(queue.url, options.redisPrefix ?? "bull");
    case "postgres":
      return postgresBackend(databaseUrl);
  }
}

function redisBackend(url: string, prefix: string): JobBackend {
  // Workers block on Redis; BullMQ requires unlimited retries per request for them.
  const connection = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false });
  return pooledBackend(
    "redis",
    (name) => new Queue(name, { connection, prefix, defaultJobOptions }),
    (name, processor, options) => new Worker(name, processor, { ...options, connection, prefix }),
    async () => connection.disconnect(),
  );
}

function postgresBackend(databaseUrl: string): JobBackend {
  const { Queue: PgQueue, Worker: PgWorker } = withBackend(createPostgresBackend);
  const connection = { connectionString: databaseUrl, max: 4, schema: JOB_QUEUE_SCHEMA, migrate: true };
  return pooledBackend(
    "postgres",
    (name) => new PgQueue(name, { connection, defaultJobOptions }),
    (name, processor, options) => new PgWorker(name, processor, { ...options, connection }),
    async () => {},
  );
}

interface Closable {
  close(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): unknown;
}

/** One queue object per name, every worker remembered, all closed in order: workers, queues, connection. */
function pooledBackend<Q extends JobQueue & Closable, W extends JobWorker & Closable>(
  kind: JobBackend["kind"],
  makeQueue: (name: QueueName) => Q,
  makeWorker: (name: QueueName, processor: Processor, options: Omit<WorkerOptions, "connection">) => W,
  closeConnection: () => Promise<void>,
): JobBackend {
  const queues = new Map<QueueName, Q>();
  const workers: W[] = [];
  return {
    kind,
    queue(name) {
      let q = queues.get(name);
      if (!q) {
        q = makeQueue(name);
        q.on("error", reportQueueError(name));
        queues.set(name, q);
      }
      return q;
    },
    worker(name, processor, options) {
      const w = makeWorker(name, processor, options);
      w.on("error", reportQueueError(name));
      workers.push(w);
      return w;
    },
    async close() {
      await Promise.all(workers.map((w) => w.close()));
      await Promise.all([...queues.values()].map((q) => q.close()));
      await closeConnection();
    },
  };
}

/**
 * Connection errors surface as "error" events; without a listener Node would
 * crash the process. BullMQ reconnects by itself, and /healthz reports the outage.
 */
function reportQueueError(queue: string) {
  let lastReport = 0;
  return (error: Error) => {
    const now = Date.now();
    if (now - lastReport < 5_000) return;
    lastReport = now;
    log.warn({ queue, err: error }, `queue ${queue}: ${error.message}`);
  };
}
