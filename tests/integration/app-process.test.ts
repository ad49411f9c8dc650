import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import pg from "pg";
import { createPostgresBackend, withBackend } from "bullmq";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { spawnApp, waitFor, type AppProcess } from "../support/app-process";
import { startTcpProxy } from "../support/tcp-proxy";

const running: AppProcess[] = [];
const folders: string[] = [];
afterAll(async () => {
  await Promise.all(running.map((app) => app.stop("SIGKILL")));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "regulars-test-"));
  folders.push(dir);
  return dir;
}

function start(env: Record<string, string>): AppProcess {
  const app = spawnApp(env);
  running.push(app);
  return app;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== "object" || !address) throw new Error("no port");
  return address.port;
}

describe("the app process", () => {
  it("stops at start-up with a one-line message naming a malformed variable", async () => {
    const app = start({ DATABASE_URL: "not-a-url", DEMO: "1" });
    const { code } = await app.exited;
    expect(code).toBe(1);
    const lines = app.output().trim().split("\n");
    expect(lines).toEqual(['regulars: Invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL (got "not-a-url")']);
  });

  it("refuses to start on a database that is behind and says which command to run", async () => {
    const db = await startEmbeddedDatabase({ dataDir: "memory://" });
    try {
      const app = start({
        DATABASE_URL: db.url,
        SHOPIFY_API_KEY: "key",
        SHOPIFY_API_SECRET: "secret",
        SHOPIFY_APP_URL: "https://regulars.example.com",
      });
      const { code } = await app.exited;
      expect(code).toBe(1);
      expect(app.output()).toMatch(/The database is behind: \d+ migration\(s\) pending \(.*_init.*\)\. Run: npm run db:migrate/);
    } finally {
      await db.stop();
    }
  });

  it("serves the demo admin and reports health; answers 503 naming the database when it becomes unreachable", async () => {
    const db = await startEmbeddedDatabase({ dataDir: "memory://" });
    const proxy = await startTcpProxy("127.0.0.1", db.port);
    try {
      await applyMigrations(db.url);
      const app = start({ DEMO: "1", DATABASE_URL: db.url.replace(`:${db.port}/`, `:${proxy.port}/`) });
      const origin = await app.ready;

      const page = await fetch(`${origin}/app`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain("Demo mode");
      expect(html).toContain("Demo Cafe");
      expect(html).toContain("Polaris-Frame");

      const healthy = await fetch(`${origin}/healthz`);
      expect(healthy.status).toBe(200);
      expect(await healthy.json()).toMatchObject({ status: "ok", components: { database: { status: "up" }, queue: { status: "up" } } });

      await proxy.cut();
      const sick = await fetch(`${origin}/healthz`);
      expect(sick.status).toBe(503);
      const body: unknown = await sick.json();
      expect(body).toMatchObject({ status: "down", components: { database: { status: "down", kind: "postgres" } } });
      expect(body).toHaveProperty("down", expect.arrayContaining(["database"]));
      expect(app.child.exitCode).toBeNull();
    } finally {
      await proxy.cut();
      await db.stop();
    }
  });

  it("shuts down cleanly on SIGINT mid-job; on restart the data folder opens and every job completes exactly once", async () => {
    const dataDir = tempDir();
    const dbPort = await freePort();
    const env = { DEMO: "1", DATA_DIR: dataDir, EMBEDDED_DATABASE_PORT: String(dbPort), WORKER_CONCURRENCY: "2" };
    const url = `postgresql://postgres:postgres@127.0.0.1:${dbPort}/postgres?sslmode=disable`;
    const JOBS = 400;

    const first = start(env);
    await first.ready;
    const { Queue } = withBackend(createPostgresBackend);
    const queue = new Queue("maintenance", { connection: { connectionString: url, max: 2 } });
    await queue.addBulk(
      Array.from({ length: JOBS }, (_, i) => ({
        name: "heartbeat",
        data: { shop: "demo-cafe.myshopify.com" },
        opts: { jobId: `restart-${i}` },
      })),
    );
    await queue.close();

    const count = async (client: pg.Client) =>
      (await client.query<{ n: string; max: number | null }>(
        `SELECT count(*) AS n, max(runs) AS max FROM "ShopHeartbeat" WHERE "jobId" LIKE 'restart-%'`,
      )).rows[0];
    const probe = new pg.Client({ connectionString: url });
    await probe.connect();
    await waitFor("the first jobs to complete", async () => (Number((await count(probe))?.n) > 0 ? true : undefined));
    await probe.end();

    const { code } = await first.stop("SIGINT");
    expect(code).toBe(0);
    expect(first.output()).toContain("stopped cleanly");

    const second = start(env);
    await second.ready;
    const check = new pg.Client({ connectionString: url });
    await check.connect();
    try {
      const done = await waitFor("all jobs to complete after restart", async () => {
        const row = await count(check);
        return Number(row?.n) === JOBS ? row : undefined;
      });
      expect(done?.max).toBe(1);
      const { rows } = await check.query<{ failed: string }>(
        `SELECT count(*) AS failed FROM "ShopHeartbeat" WHERE runs <> 1`,
      );
      expect(Number(rows[0]?.failed)).toBe(0);
    } finally {
      await check.end();
    }
    const stopped = await second.stop("SIGINT");
    expect(stopped.code).toBe(0);
  });
});
