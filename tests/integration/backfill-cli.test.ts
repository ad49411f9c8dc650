import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { applyMigrations } from "../../app/db/migrations.server";
import { createPrismaClient } from "../../app/db/prisma.server";
import { createShopifyStandin, type ShopifyStandin } from "../../standin/index.ts";
import { runCli } from "../support/cli";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";
import { API_KEY, API_SECRET, UNTIL, expectedCustomers, expectedOrders, storedCustomers, storedOrders } from "./backfill-support";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const SHOP = "corner-cafe.myshopify.com";

/** The CLI as a user runs it, without blocking this process (the stand-in it talks to lives here). */
function runCliAsync(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/regulars.js", ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "test", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("regulars backfill: flags", () => {
  it("documents both commands", () => {
    const start = runCli(["backfill", "start", "--help"]);
    expect(start.code).toBe(0);
    expect(start.stdout).toContain("--resource <resource>");
    expect(start.stdout).toContain('choices: "orders", "customers", "all"');
    expect(start.stdout).toContain("--wait");
    const status = runCli(["backfill", "status", "--help"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain("--shop <domain>");
  });

  it("refuses bad flags with a message that says which", () => {
    const resource = runCli(["backfill", "start", "--shop", SHOP, "--resource", "refunds"]);
    expect(resource.code).toBe(1);
    expect(resource.stderr).toContain("argument 'refunds' is invalid. Allowed choices are orders, customers, all.");
    const shop = runCli(["backfill", "start", "--shop", "corner-cafe.com"]);
    expect(shop.code).toBe(1);
    expect(shop.stderr).toContain('regulars: --shop must be a *.myshopify.com domain (got "corner-cafe.com")');
    const missing = runCli(["backfill", "status"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--shop <domain>' not specified");
    const limit = runCli(["backfill", "status", "--shop", SHOP, "--limit", "0"]);
    expect(limit.code).toBe(1);
    expect(limit.stderr).toContain("--limit must be a positive whole number");
  });
});

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("regulars backfill on $name", (kind) => {
  let standin: ShopifyStandin;
  let stack: TestStack | undefined;
  let dataDir: string | undefined;
  let env: Record<string, string>;
  let databaseUrl: () => Promise<{ url: string; done: () => Promise<void> }>;

  beforeAll(async () => {
    standin = await createShopifyStandin({ apiKey: API_KEY, apiSecret: API_SECRET, bulkDelayMs: 30 });
    standin.store.seedCafe(SHOP, { customers: 30, days: 30, seed: "backfill-cli", until: UNTIL });
    const token = standin.store.issueAccessToken(SHOP, { scope: "read_orders,read_all_orders,read_customers" });
    if (kind.database === "embedded") {
      const dir = await mkdtemp(join(tmpdir(), "regulars-backfill-cli-"));
      dataDir = dir;
      env = { DATA_DIR: dir, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url };
      // The embedded database belongs to one process at a time: open it only between CLI runs.
      databaseUrl = async () => {
        const embedded = await startEmbeddedDatabase({ dataDir: dir });
        return { url: embedded.url, done: () => embedded.stop() };
      };
    } else {
      const started = await startTestStack(kind);
      stack = started;
      env = { DATABASE_URL: started.runtime.database.url, SHOPIFY_API_ORIGIN_OVERRIDE: standin.url };
      databaseUrl = async () => ({ url: started.runtime.database.url, done: async () => {} });
    }
    const { url, done } = await databaseUrl();
    await applyMigrations(url);
    const db = createPrismaClient(url, { maxConnections: 1 });
    await db.session.create({ data: { id: `offline_${SHOP}`, shop: SHOP, state: "", isOnline: false, accessToken: token.token, scope: token.scope } });
    await db.$disconnect();
    await done();
  });

  afterAll(async () => {
    await stack?.stop();
    await standin?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it("start without --wait leaves the runs to the worker; status lists them", async () => {
    const started = await runCliAsync(["backfill", "start", "--shop", SHOP, "--resource", "customers"], env);
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toMatch(/^customers: run [0-9a-f-]{36} requested$/m);
    expect(started.stdout).toContain(`regulars backfill status --shop ${SHOP}`);
    const status = await runCliAsync(["backfill", "status", "--shop", SHOP], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^RESOURCE\s+STATUS\s+PROGRESS/);
    expect(status.stdout).toMatch(/^customers\s+requested\s+waiting to start the bulk operation/m);
  });

  it("start --wait reuses the run in progress, imports everything and shows progress", async () => {
    const result = await runCliAsync(["backfill", "start", "--shop", SHOP, "--wait"], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^customers: run [0-9a-f-]{36} already in progress \(requested\), reused$/m);
    expect(result.stdout).toMatch(/^orders: run [0-9a-f-]{36} requested$/m);
    // Not a terminal here, so the bar is printed a line at a time.
    expect(result.stderr).toMatch(/^orders\s+\[#{30}\] completed/m);
    expect(result.stdout).toMatch(/^orders\s+completed\s+[\d,]+ \/ [\d,]+ lines \(100%\)/m);

    const { url, done } = await databaseUrl();
    const db = createPrismaClient(url, { maxConnections: 1 });
    try {
      expect(await storedOrders(db, SHOP)).toEqual(expectedOrders(standin.store, SHOP));
      expect(await storedCustomers(db, SHOP)).toEqual(expectedCustomers(standin.store, SHOP));
      expect(await db.backfillRun.count({ where: { shop: SHOP } })).toBe(2);
    } finally {
      await db.$disconnect();
      await done();
    }
  });

  it("says so when the app is not installed on the shop", async () => {
    const result = await runCliAsync(["backfill", "start", "--shop", "elsewhere.myshopify.com"], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("regulars: No offline session for elsewhere.myshopify.com: the app is not installed there");
  });
});
