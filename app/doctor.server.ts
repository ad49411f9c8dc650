import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { z } from "zod";
import pg from "pg";
import { Redis } from "ioredis";
import { redactUrl, type Config } from "./config.server";
import { openDatabase } from "./db/database.server";
import { EmbeddedDatabaseLockedError } from "./db/embedded.server";
import { migrationStatus } from "./db/migrations.server";

export interface Diagnosis {
  ok: boolean;
  node: string;
  packages: Record<string, string>;
  database: { kind: "embedded" | "postgres"; where: string; serverVersion?: string; error?: string };
  queue: { kind: "redis" | "postgres"; where: string; serverVersion?: string; error?: string };
  migrations?: { upToDate: boolean; applied: number; pending: string[]; failed: string[] };
}

const PACKAGES = ["@prisma/client", "bullmq", "@shopify/shopify-app-remix", "@shopify/shopify-api", "@electric-sql/pglite"];

/** What this configuration connects to and whether it is ready to run. */
export async function diagnose(config: Config): Promise<Diagnosis> {
  const diagnosis: Diagnosis = {
    ok: true,
    node: process.version,
    packages: packageVersions(),
    database: {
      kind: config.database.kind,
      where: config.database.kind === "postgres" ? redactUrl(config.database.url) : `data folder ${config.database.dataDir}`,
    },
    queue:
      config.queue.kind === "redis"
        ? { kind: "redis", where: redactUrl(config.queue.url) }
        : { kind: "postgres", where: "BullMQ PostgreSQL backend on the app's database (schema bullmq)" },
  };
  let database;
  try {
    database = await openDatabase(config.database);
  } catch (error) {
    diagnosis.ok = false;
    diagnosis.database.error =
      error instanceof EmbeddedDatabaseLockedError
        ? `in use by the running app (pid ${error.ownerPid}); stop it to inspect the folder`
        : messageOf(error);
    return diagnosis;
  }
  try {
    const client = new pg.Client({ connectionString: database.url });
    try {
      await client.connect();
      const { rows } = await client.query<{ server_version: string }>("SHOW server_version");
      diagnosis.database.serverVersion = rows[0]?.server_version;
      if (config.queue.kind === "postgres") diagnosis.queue.serverVersion = diagnosis.database.serverVersion;
    } finally {
      await client.end().catch(() => {});
    }
    const status = await migrationStatus(database.url);
    diagnosis.migrations = { upToDate: status.upToDate, applied: status.applied.length, pending: status.pending, failed: status.failed };
    if (!status.upToDate) diagnosis.ok = false;
  } catch (error) {
    diagnosis.ok = false;
    diagnosis.database.error = messageOf(error);
  } finally {
    await database.close();
  }
  if (config.queue.kind === "redis") {
    try {
      diagnosis.queue.serverVersion = await redisVersion(config.queue.url);
    } catch (error) {
      diagnosis.ok = false;
      diagnosis.queue.error = messageOf(error);
    }
  }
  return diagnosis;
}

export function formatDiagnosis(d: Diagnosis): string {
  const db = d.database.kind === "embedded" ? "embedded PostgreSQL (PGlite)" : "PostgreSQL server";
  const queue = d.queue.kind === "redis" ? "BullMQ on Redis" : "BullMQ on PostgreSQL";
  const lines = [
    `database:   ${db} — ${d.database.where}${d.database.serverVersion ? ` — server ${d.database.serverVersion}` : ""}`,
    ...(d.database.error ? [`            ERROR: ${d.database.error}`] : []),
    `queue:      ${queue} — ${d.queue.where}${d.queue.serverVersion ? ` — server ${d.queue.serverVersion}` : ""}`,
    ...(d.queue.error ? [`            ERROR: ${d.queue.error}`] : []),
  ];
  if (d.migrations) {
    lines.push(
      d.migrations.upToDate
        ? `migrations: current (${d.migrations.applied} applied)`
        : `migrations: BEHIND — pending ${d.migrations.pending.join(", ") || "none"}${d.migrations.failed.length ? `; failed ${d.migrations.failed.join(", ")}` : ""}; run npm run db:migrate`,
    );
  }
  lines.push(`node:       ${d.node}`);
  lines.push(`packages:   ${Object.entries(d.packages).map(([name, version]) => `${name} ${version}`).join(", ")}`);
  lines.push(d.ok ? "status:     ready" : "status:     NOT READY");
  return lines.join("\n");
}

async function redisVersion(url: string): Promise<string> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000, retryStrategy: () => null });
  try {
    await redis.connect();
    const info = await redis.info("server");
    return /redis_version:(\S+)/.exec(info)?.[1] ?? "unknown";
  } finally {
    redis.disconnect();
  }
}

/** Reads each package's manifest from node_modules (some packages' exports hide `package.json`). */
function packageVersions(): Record<string, string> {
  const searchPaths = createRequire(import.meta.url).resolve.paths("") ?? [];
  const versions: Record<string, string> = {};
  for (const name of PACKAGES) {
    const manifestPath = searchPaths.map((dir) => join(dir, name, "package.json")).find((path) => existsSync(path));
    const parsed = manifestPath ? manifestSchema.safeParse(JSON.parse(readFileSync(manifestPath, "utf8"))) : undefined;
    versions[name] = parsed?.success ? parsed.data.version : "not installed";
  }
  return versions;
}

const manifestSchema = z.object({ version: z.string() });

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" && code && !error.message.includes(code) ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
