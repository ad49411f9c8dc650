import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chown, mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { Redis } from "ioredis";

/**
 * A PostgreSQL cluster and a Redis server of the test's own, on free loopback
 * ports in a temporary folder, that the test may stop, crash and restart
 * without disturbing the shared services CI runs other suites on. Both keep
 * their data across a restart (PostgreSQL's WAL; Redis's append-only file,
 * fsynced on every write), as production's do, so a restart tests the app's
 * reconnection and retries, not a wiped store.
 */

const run = promisify(execFile);

/** POSTGRES_BIN, else the newest Debian-packaged server (15 on the reference machine). */
export const POSTGRES_BIN = process.env.POSTGRES_BIN ?? debianPostgresBin();

function debianPostgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a)) : [];
  return join(root, versions.find((version) => existsSync(join(root, version, "bin", "initdb"))) ?? "15", "bin");
}

const REDIS_SERVER = process.env.REDIS_SERVER_BIN ?? "redis-server";

/**
 * Why private services cannot start here (a missing binary), or null when
 * they can. With FAULT_TESTS_REQUIRED=1 (CI sets it) a missing binary is an
 * error instead of a skip, so the fault tests cannot pass by not running.
 */
export async function privateServicesUnavailable(): Promise<string | null> {
  const reason = await whyUnavailable();
  if (reason !== null && process.env.FAULT_TESTS_REQUIRED === "1") throw new Error(`fault tests are required here (FAULT_TESTS_REQUIRED=1) but ${reason}`);
  return reason;
}

async function whyUnavailable(): Promise<string | null> {
  for (const binary of ["initdb", "pg_ctl", "postgres"]) {
    if (!existsSync(join(POSTGRES_BIN, binary))) return `no ${binary} in ${POSTGRES_BIN} (set POSTGRES_BIN to PostgreSQL's bin folder)`;
  }
  if (process.getuid?.() === 0) {
    try {
      await run("id", ["-u", "postgres"]);
    } catch {
      return "running as root, and there is no postgres user to own the cluster (initdb refuses root)";
    }
  }
  try {
    await run(REDIS_SERVER, ["--version"]);
  } catch {
    return `${REDIS_SERVER} is not on PATH (set REDIS_SERVER_BIN)`;
  }
  return null;
}

/** A port nothing listens on now (the OS's choice for port 0, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no free port");
  return address.port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

export interface PrivateService {
  /** A connection URL (PostgreSQL: the `postgres` database; Redis: database 0). */
  url: string;
  /**
   * Takes the service down and brings it back after `downMs`: "crash" kills it
   * (PostgreSQL `immediate`, Redis SIGKILL), "clean" shuts it down as an
   * operator would. Resolves once it answers again.
   */
  restart(options?: { mode?: "crash" | "clean"; downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

/**
 * initdb refuses to run as root; as root (a container), the cluster belongs
 * to the `postgres` system user and its commands run as that user.
 */
function asClusterOwner(command: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
}

export async function startPrivatePostgres(): Promise<PrivateService> {
  const dir = await mkdtemp(join(tmpdir(), "regulars-pg-"));
  const dataDir = join(dir, "data");
  if (process.getuid?.() === 0) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: group } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(group.trim()));
  }
  const port = await freePort();
  const pgCtl = (...args: string[]) => run(...asClusterOwner(join(POSTGRES_BIN, "pg_ctl"), ["-D", dataDir, ...args]));
  await run(...asClusterOwner(join(POSTGRES_BIN, "initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]));
  // Its own socket folder and port; fsync stays on, so a crash loses nothing committed.
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=64MB`;
  const start = async () => {
    await pgCtl("-o", options, "-l", join(dir, "log"), "-w", "-t", "60", "start");
    await until("the private PostgreSQL to accept connections", async () => {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        await client.query("SELECT 1");
        return true;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => {});
      }
    });
  };
  const url = `postgresql://postgres@127.0.0.1:${port}/postgres`;
  // A test runner that gives up on a test (a timeout) skips its cleanup: the cluster must not outlive the process.
  const onExit = () => {
    try {
      execFileSync(...asClusterOwner(join(POSTGRES_BIN, "pg_ctl"), ["-D", dataDir, "-m", "immediate", "stop"]), { stdio: "ignore" });
    } catch {
      // Not running.
    }
  };
  process.once("exit", onExit);
  await start();
  let stopped = false;
  return {
    url,
    async restart({ mode = "crash", downMs = 2_000 } = {}) {
      await pgCtl("-m", mode === "crash" ? "immediate" : "fast", "-w", "stop");
      await sleep(downMs);
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off("exit", onExit);
      await pgCtl("-m", "immediate", "-w", "stop").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function startPrivateRedis(): Promise<PrivateService> {
  const dir = await mkdtemp(join(tmpdir(), "regulars-redis-"));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let server: ChildProcess | null = null;
  let output = "";
  const start = async () => {
    const child = spawn(
      REDIS_SERVER,
      ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.stdout?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
    child.stderr?.on("data", (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
    server = child;
    await until(`the private Redis to answer PING (${output})`, async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}):\n${output}`);
      const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on("error", () => {});
      try {
        await client.connect();
        // Answers PING while still loading the append-only file; LOADING errors on anything else.
        await client.get("regulars:private-redis-probe");
        return true;
      } catch {
        return false;
      } finally {
        client.disconnect();
      }
    });
  };
  const halt = async (signal: NodeJS.Signals) => {
    const child = server;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
  };
  const onExit = () => server?.kill("SIGKILL");
  process.once("exit", onExit);
  await start();
  let stopped = false;
  return {
    url,
    async restart({ mode = "crash", downMs = 2_000 } = {}) {
      await halt(mode === "crash" ? "SIGKILL" : "SIGTERM");
      await sleep(downMs);
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      process.off("exit", onExit);
      await halt("SIGKILL");
      await rm(dir, { recursive: true, force: true });
    },
  };
}
