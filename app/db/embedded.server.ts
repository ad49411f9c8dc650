import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { startSessionRelay } from "./session-relay.server";

/**
 * The embedded database: PostgreSQL compiled to WebAssembly (PGlite), persisted
 * under a data folder and served on a loopback port so that Prisma and BullMQ
 * reach it with ordinary `pg` connections. The process that starts it owns it
 * and must call `stop()` before exiting, or the folder may need recovery.
 */
export interface EmbeddedDatabase {
  /** `postgresql://` URL of the loopback server. */
  readonly url: string;
  readonly dataDir: string;
  readonly port: number;
  stop(): Promise<void>;
}

export interface EmbeddedDatabaseOptions {
  /** Folder holding the database files; created when missing. `memory://` keeps it in memory. */
  dataDir: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * pglite-socket accepts one connection unless raised; above one it queues
   * statements and keeps a transaction's statements together.
   */
  maxConnections?: number;
}

const LOCK_FILE = "regulars.lock";
/** Schema holding BullMQ's PostgreSQL backend tables (its default). */
export const JOB_QUEUE_SCHEMA = "bullmq";

/** Another live process already owns this data folder. */
export class EmbeddedDatabaseLockedError extends Error {
  constructor(readonly dataDir: string, readonly ownerPid: number) {
    super(
      `The embedded database in ${dataDir} is in use by process ${ownerPid}. ` +
        `Stop that process, or set DATA_DIR to another folder, or set DATABASE_URL.`,
    );
    this.name = "EmbeddedDatabaseLockedError";
  }
}

export async function startEmbeddedDatabase(options: EmbeddedDatabaseOptions): Promise<EmbeddedDatabase> {
  const inMemory = options.dataDir.startsWith("memory://");
  const pgDataDir = inMemory ? options.dataDir : join(options.dataDir, "pgdata");
  const releaseLock = inMemory ? () => {} : takeLock(options.dataDir);
  let db: PGlite | undefined;
  try {
    if (!inMemory) mkdirSync(dirname(pgDataDir), { recursive: true });
    db = await PGlite.create(pgDataDir);
    // Every socket connection shares PGlite's one session, so per-connection
    // start-up options (BullMQ pins `-c search_path=bullmq`) are not applied.
    // Setting the session's path once lets Prisma's tables (public) and the
    // job queue's (bullmq) both resolve; see docs/decisions/0004-*.
    await db.exec(`SET search_path TO public, ${JOB_QUEUE_SCHEMA}`);
    const host = options.host ?? "127.0.0.1";
    const server = new PGLiteSocketServer({
      db,
      host: "127.0.0.1",
      port: 0,
      maxConnections: options.maxConnections ?? 64,
    });
    await server.start();
    const conn = server.getServerConn();
    // Clients reach the socket server through the relay: turn-taking and LISTEN/NOTIFY (session-relay.server.ts).
    const relay = await startSessionRelay({
      upstreamHost: "127.0.0.1",
      upstreamPort: Number(conn.slice(conn.lastIndexOf(":") + 1)),
      host,
      port: options.port ?? 0,
    }).catch(async (error: unknown) => {
      await server.stop();
      throw error;
    });
    const openDb = db;
    let stopping: Promise<void> | undefined;
    return {
      url: `postgresql://postgres:postgres@${host}:${relay.port}/postgres?sslmode=disable`,
      dataDir: options.dataDir,
      port: relay.port,
      stop() {
        stopping ??= (async () => {
          try {
            await relay.stop();
            await server.stop();
          } finally {
            await openDb.close();
            releaseLock();
          }
        })();
        return stopping;
      },
    };
  } catch (error) {
    await db?.close().catch(() => {});
    releaseLock();
    throw error;
  }
}

/**
 * PGlite is single-process: two processes writing one folder corrupt it. A pid
 * file guards the folder; a stale one (its process is gone) is taken over.
 */
function takeLock(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = join(dataDir, LOCK_FILE);
  if (existsSync(lockPath)) {
    const ownerPid = Number.parseInt(readFileSync(lockPath, "utf8").trim(), 10);
    if (Number.isInteger(ownerPid) && ownerPid !== process.pid && isAlive(ownerPid)) {
      throw new EmbeddedDatabaseLockedError(dataDir, ownerPid);
    }
  }
  writeFileSync(lockPath, String(process.pid));
  return () => rmSync(lockPath, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
