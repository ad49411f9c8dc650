import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { runCli } from "../support/cli";
import { uniqueName } from "../support/stacks";

const SHOP = "corner-cafe.myshopify.com";
const folders: string[] = [];
const dropDatabases: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const drop of dropDatabases) await drop();
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "regulars-segments-cli-"));
  folders.push(dir);
  return dir;
}

function writeJson(folder: string, name: string, content: unknown): string {
  const path = join(folder, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
}

const MORNING_REGULARS = {
  match: "all",
  conditions: [
    { field: "pattern", op: "eq", value: "weekday-morning" },
    { field: "visitCount", op: "gte", value: 3 },
  ],
};

const BROKEN = {
  conditions: [
    { field: "visitCount", op: "gte", value: "three" },
    { field: "favouriteDrink", op: "eq", value: "latte" },
    { field: "pattern", op: "eq", value: "weekday-morning", colour: "red" },
  ],
};

describe("regulars segments preview", () => {
  it("prints help naming the exit code for an invalid file", () => {
    const { code, stdout } = runCli(["segments", "preview", "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: regulars segments preview \[options\] <file>/);
    expect(stdout.replace(/\s+/g, " ")).toContain("lists every problem by its path and exits with 2");
  });

  it("lists every problem of an invalid file, naming the file, before touching any database", () => {
    const folder = tempDir();
    const env = { DATA_DIR: join(folder, "data") };
    const broken = writeJson(folder, "broken.json", BROKEN);
    const result = runCli(["segments", "preview", broken, "--shop", SHOP], env);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr.split("\n").filter(Boolean)).toEqual([
      "broken.json is not a valid segment definition (3 problems):",
      "broken.json: conditions[0].value: expected a number",
      expect.stringMatching(/^broken\.json: conditions\[1\]\.field: unknown field "favouriteDrink"; fields are visitCount, .*, member$/),
      "broken.json: conditions[2].colour: unknown key (allowed here: field, op, value)",
    ]);

    const json = runCli(["segments", "preview", broken, "--shop", SHOP, "--json"], env);
    expect(json.code).toBe(2);
    expect(JSON.parse(json.stdout)).toMatchObject({
      file: "broken.json",
      valid: false,
      issues: [{ path: "conditions[0].value", message: "expected a number" }, { path: "conditions[1].field" }, { path: "conditions[2].colour" }],
    });

    const notJson = runCli(["segments", "preview", writeJson(folder, "notes.json", "{ conditions: ["), "--shop", SHOP], env);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toMatch(/^notes\.json is not a valid segment definition \(1 problem\):\nnotes\.json: not valid JSON: /);

    const missing = runCli(["segments", "preview", join(folder, "nope.json"), "--shop", SHOP], env);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^regulars: cannot read .*nope\.json: ENOENT/);

    const badDate = runCli(["segments", "preview", broken, "--shop", SHOP, "--as-of", "2026-02-30"], env);
    expect([badDate.code, badDate.stderr.trim()]).toEqual([1, 'regulars: --as-of must be a date like 2026-03-02 (got "2026-02-30")']);
  });

  const databases = [{ name: "embedded database", server: false }, ...(process.env.DATABASE_URL ? [{ name: "PostgreSQL server", server: true }] : [])];

  it.each(databases)("previews a definition on the $name", async ({ server }) => {
    const folder = tempDir();
    const env: Record<string, string> = server ? { DATABASE_URL: await serverDatabase() } : { DATA_DIR: join(folder, "data") };
    const morning = writeJson(folder, "morning.json", MORNING_REGULARS);
    expect(runCli(["db", "migrate"], env).code).toBe(0);

    const unknown = runCli(["segments", "preview", morning, "--shop", SHOP, "--as-of", "2026-03-01"], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`shop ${SHOP} is not recorded`);

    expect(runCli(["shop", "create", SHOP, "--timezone", "Europe/London", "--currency", "GBP"], env).code).toBe(0);
    await seedFeatures(env);

    const table = runCli(["segments", "preview", morning, "--shop", SHOP, "--as-of", "2026-03-01", "--limit", "1"], env);
    expect(table.stderr).toBe("");
    expect(table.code).toBe(0);
    expect(table.stdout.split("\n").filter(Boolean)).toEqual([
      `2 customers match morning.json in ${SHOP} as of 2026-03-01.`,
      "customer  name     member  visits  last visit  days since  pattern          usual gap  P(active)",
      "501       Ada Lee  yes     6       2026-02-20  9           weekday-morning  10.0 d     0.90",
      "(first 1; --limit shows more)",
    ]);

    const json = runCli(["segments", "preview", morning, "--shop", SHOP, "--as-of", "2026-03-01", "--json"], env);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      shop: SHOP,
      asOf: "2026-03-01",
      count: 2,
      members: [
        expect.objectContaining({ customerId: "501", name: "Ada Lee", member: true, daysSinceLastVisit: 9 }),
        expect.objectContaining({ customerId: "502", name: null, member: false, daysSinceLastVisit: 28, pAlive: null, usualGapDays: null }),
      ],
    });

    // Without --as-of: today in the shop's time zone.
    const londonDate = () => new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date());
    const before = londonDate();
    const today = runCli(["segments", "preview", morning, "--shop", SHOP, "--json", "--limit", "0"], env);
    expect(today.code).toBe(0);
    expect(JSON.parse(today.stdout)).toMatchObject({ asOf: expect.toBeOneOf([before, londonDate()]), count: 2, members: [] });

    const dangling = writeJson(folder, "dangling.json", { conditions: [{ inSegment: "nope" }] });
    const refused = runCli(["segments", "preview", dangling, "--shop", SHOP], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('dangling.json: conditions[0].inSegment: no segment "nope" in this shop');
  });
});

/** Writes member features into the database the CLI uses (after its process has closed it). */
async function seedFeatures(env: Record<string, string>): Promise<void> {
  const embedded = env.DATA_DIR ? await startEmbeddedDatabase({ dataDir: env.DATA_DIR }) : undefined;
  const client = new pg.Client({ connectionString: embedded?.url ?? env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO "MemberFeature" (shop, "customerId", "firstVisitOn", "lastVisitOn", "visitCount", "totalSpend", "avgSpend",
         pattern, "patternShare", "acquisitionWeek", "acquisitionMonth", "usualGapDays", "pAlive")
       VALUES ($1, '501', '2025-12-01', '2026-02-20', 6, 27, 4.5, 'weekday-morning', 0.8, '2025-12-01', '2025-12-01', 10, 0.9),
              ($1, '502', '2025-12-01', '2026-02-01', 3, 12, 4, 'weekday-morning', 0.7, '2025-12-01', '2025-12-01', NULL, NULL),
              ($1, '503', '2026-02-27', '2026-02-27', 1, 4, 4, 'weekend-midday', 1, '2026-02-23', '2026-02-01', NULL, NULL)`,
      [SHOP],
    );
    await client.query(`INSERT INTO "Customer" (shop, id, "firstName", "lastName", source, "updatedAt") VALUES ($1, '501', 'Ada', 'Lee', 'import', now())`, [SHOP]);
    await client.query(
      `INSERT INTO "Member" (shop, "customerId", status, "joinedVia", "joinedAt", "updatedAt") VALUES ($1, '501', 'active', 'pos', now(), now())`,
      [SHOP],
    );
  } finally {
    await client.end();
    await embedded?.stop();
  }
}

async function serverDatabase(): Promise<string> {
  const serverUrl = process.env.DATABASE_URL ?? "";
  const name = uniqueName("regulars_segments_cli");
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
