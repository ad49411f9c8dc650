import { randomBytes } from "node:crypto";
import pg from "pg";
import { parseConfig, type Config } from "../../app/config.server";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createPrismaClient } from "../../app/db/prisma.server";
import { createJobBackend } from "../../jobs/backend.server";
import type { Runtime } from "../../app/runtime.server";

/**
 * The infrastructure combinations integration tests run on: always the
 * embedded database with BullMQ on PostgreSQL; and, when DATABASE_URL and
 * REDIS_URL are set (CI sets them), a real PostgreSQL server with Redis.
 */
export interface StackKind {
  name: string;
  database: "embedded" | "server";
  queue: "postgres" | "redis";
}

export function stackKinds(): StackKind[] {
  const kinds: StackKind[] = [{ name: "embedded PostgreSQL + BullMQ on PostgreSQL", database: "embedded", queue: "postgres" }];
  if (process.env.DATABASE_URL) {
    kinds.push({ name: "PostgreSQL server + BullMQ on PostgreSQL", database: "server", queue: "postgres" });
  }
  if (process.env.DATABASE_URL && process.env.REDIS_URL) {
    kinds.push({ name: "PostgreSQL server + BullMQ on Redis", database: "server", queue: "redis" });
  }
  return kinds;
}

export interface TestStack {
  runtime: Runtime;
  stop(): Promise<void>;
}

export const uniqueName = (prefix: string) => `${prefix}_${randomBytes(6).toString("hex")}`;

/** A fresh, migrated database (a new database on the server, or a new embedded one) and a private queue namespace. */
export async function startTestStack(kind: StackKind, overrides: Record<string, string> = {}): Promise<TestStack> {
  const database = await freshDatabase(kind.database);
  const queueUrl = process.env.REDIS_URL;
  const config: Config = parseConfig({
    DEMO: "1",
    NODE_ENV: "test",
    DATABASE_URL: database.url,
    ...(kind.queue === "redis" && queueUrl ? { REDIS_URL: queueUrl } : {}),
    ...overrides,
  });
  const db = createPrismaClient(database.url);
  const jobs = createJobBackend(config.queue, database.url, { redisPrefix: uniqueName("regulars_test") });
  const runtime: Runtime = {
    config,
    database: { kind: kind.database === "embedded" ? "embedded" : "postgres", url: database.url, close: async () => {} },
    db,
    jobs,
    startedAt: new Date(),
  };
  return {
    runtime,
    async stop() {
      await jobs.close();
      await db.$disconnect();
      await database.drop();
    },
  };
}

/** A new, migrated database: embedded in memory, or a new database on the DATABASE_URL server. */
export async function freshDatabase(kind: StackKind["database"]): Promise<{ url: string; drop(): Promise<void> }> {
  const database = kind === "embedded" ? await embeddedDatabase() : await serverDatabase();
  await applyMigrations(database.url);
  return database;
}

async function embeddedDatabase() {
  const embedded = await startEmbeddedDatabase({ dataDir: "memory://" });
  return { url: embedded.url, drop: () => embedded.stop() };
}

async function serverDatabase() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error("DATABASE_URL is not set");
  const name = uniqueName("regulars_test");
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
