import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { runCli } from "../support/cli";
import { uniqueName } from "../support/stacks";

const folders: string[] = [];
const dropDatabases: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of dropDatabases) await drop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "regulars-import-cli-"));
  folders.push(dir);
  return dir;
}

const GOOD = [
  "order_id,customer_id,ordered_at,total,location,channel,email,items",
  "A-1,501,2026-03-02T08:15:00+00:00,7.40,Main St,pos,ann@example.com,LATTE-OAT:1;CROISSANT:2",
  ",502,2026-03-02 09:30,3.90,Main St,web,,LATTE-OAT:1",
  ",,2026-03-02 10:00,3.90,,,,",
].join("\n");

const BAD = ["customer_id,ordered_at,total,channel", "501,2026-03-02T08:15:00Z,4.50,pos", "502,2026-03-02T08:15:00Z,four,pos", "503,2026-03-02,4.50,shop"].join("\n");

describe("regulars shop / import CLI", () => {
  it.each([[["shop"]], [["shop", "create"]], [["import"]], [["import", "orders"]]])("prints help for %j", (command) => {
    const { code, stdout } = runCli([...command, "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: regulars/);
  });

  it("import orders --help names the columns and the all-or-nothing rule", () => {
    const { stdout } = runCli(["import", "orders", "--help"]);
    expect(stdout).toContain("customer_id,ordered_at,total");
    expect(stdout.replace(/\s+/g, " ")).toContain("All or nothing: a file with any bad row writes nothing");
    expect(stdout).toContain("--shop <domain>");
  });

  const databases = [{ name: "embedded database", server: false }, ...(process.env.DATABASE_URL ? [{ name: "PostgreSQL server", server: true }] : [])];

  it.each(databases)("registers a shop and imports a file on the $name", async ({ server }) => {
    const folder = tempDir();
    const env: Record<string, string> = server ? { DATABASE_URL: await serverDatabase() } : { DATA_DIR: join(folder, "data") };
    const good = join(folder, "orders.csv");
    const bad = join(folder, "bad.csv");
    writeFileSync(good, GOOD);
    writeFileSync(bad, BAD);
    expect(runCli(["db", "migrate"], env).code).toBe(0);

    const unknown = runCli(["import", "orders", good, "--shop", "corner-cafe.myshopify.com"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      "regulars: Shop corner-cafe.myshopify.com is not known to Regulars. Install the app on it, or register it for imports with: " +
        "regulars shop create corner-cafe.myshopify.com --timezone Area/City --currency XXX",
    );

    const invalid = runCli(["shop", "create", "corner-cafe.example.com", "--timezone", "London", "--currency", "POUND"], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain("regulars: domain must be the shop's *.myshopify.com domain");
    expect(invalid.stderr).toContain('timezone "London" is not an IANA time zone');
    expect(invalid.stderr).toContain('currency "POUND" is not an ISO 4217 currency code');

    const created = runCli(["shop", "create", "corner-cafe.myshopify.com", "--timezone", "Europe/London", "--currency", "gbp"], env);
    expect(created.code).toBe(0);
    expect(created.stdout).toContain("Registered corner-cafe.myshopify.com (standalone): time zone Europe/London, currency GBP.");
    const again = runCli(["shop", "create", "corner-cafe.myshopify.com", "--timezone", "Europe/London", "--currency", "GBP"], env);
    expect([again.code, again.stdout.trim()]).toEqual([0, "corner-cafe.myshopify.com already exists with time zone Europe/London, currency GBP; nothing changed."]);
    const conflict = runCli(["shop", "create", "corner-cafe.myshopify.com", "--timezone", "Europe/Dublin", "--currency", "EUR"], env);
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toMatch(/^regulars: Shop corner-cafe\.myshopify\.com already exists .* time zone Europe\/London \(asked: Europe\/Dublin\) and currency GBP \(asked: EUR\)/);

    const imported = runCli(["import", "orders", good, "--shop", "corner-cafe.myshopify.com", "--progress"], env);
    expect(imported.code).toBe(0);
    expect(imported.stdout).toContain("Imported orders.csv into corner-cafe.myshopify.com: 3 rows — 3 new orders, 0 updated, 0 unchanged; 2 new customers.");
    expect(imported.stderr).toMatch(/^done +\[#+\] 100% .* 3 rows$/m);

    const repeat = runCli(["import", "orders", good, "--shop", "corner-cafe.myshopify.com", "--json"], env);
    expect(repeat.code).toBe(0);
    expect(JSON.parse(repeat.stdout)).toMatchObject({ status: "completed", rows: 3, ordersNew: 0, ordersUnchanged: 3, customersNew: 0 });

    const rejected = runCli(["import", "orders", bad, "--shop", "corner-cafe.myshopify.com"], env);
    expect(rejected.code).toBe(1);
    expect(rejected.stderr.split("\n").filter(Boolean)).toEqual([
      "bad.csv was not imported: 3 problems found, so nothing was written. Fix these and import the file again:",
      '  line 3: total must be a number like 4.50 (got "four")',
      "  line 4: ordered_at needs a time of day, e.g. 2026-03-02T08:15:00",
      '  line 4: channel must be pos or web (got "shop")',
    ]);

    const missing = runCli(["import", "orders", join(folder, "nope.csv"), "--shop", "corner-cafe.myshopify.com"], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^regulars: cannot read .*nope\.csv: ENOENT/);

    expect(await orderCount(env)).toBe(3);
  });
});

async function serverDatabase(): Promise<string> {
  const serverUrl = process.env.DATABASE_URL ?? "";
  const name = uniqueName("regulars_import_cli");
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  dropDatabases.push(async () => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.end();
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Looks in the database the CLI wrote (after its process has closed it). */
async function orderCount(env: Record<string, string>): Promise<number> {
  const embedded = env.DATA_DIR ? await startEmbeddedDatabase({ dataDir: env.DATA_DIR }) : undefined;
  const client = new pg.Client({ connectionString: embedded?.url ?? env.DATABASE_URL });
  await client.connect();
  try {
    const result = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Order" WHERE shop = 'corner-cafe.myshopify.com' AND source = 'import'`);
    return result.rows[0]?.n ?? -1;
  } finally {
    await client.end();
    await embedded?.stop();
  }
}
