import { createHash, randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import {
  applyMigrations,
  createMigration,
  InvalidMigrationNameError,
  MigrationError,
  migrationStatus,
} from "../../app/db/migrations.server";

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const MIGRATIONS_DIR = join(REPO_ROOT, "prisma", "migrations");
const SCHEMA_PATH = join(REPO_ROOT, "prisma", "schema.prisma");

/** A fresh, empty database; `query` runs in the schema the migrations target. */
interface TestDatabase {
  url: string;
  query<Row extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

interface Target {
  name: string;
  create(): Promise<TestDatabase>;
}

const embedded: Target = {
  name: "embedded PostgreSQL",
  async create() {
    const database = await startEmbeddedDatabase({ dataDir: "memory://" });
    return { url: database.url, query: (sql, params) => queryOnce(database.url, undefined, sql, params), drop: () => database.stop() };
  },
};

/** A random schema on the server, reached through Prisma's `?schema=` URL parameter. */
function server(serverUrl: string): Target {
  return {
    name: "PostgreSQL server",
    async create() {
      const schema = `regulars_test_${randomBytes(6).toString("hex")}`;
      const url = new URL(serverUrl);
      url.searchParams.set("schema", schema);
      return {
        url: url.toString(),
        query: (sql, params) => queryOnce(serverUrl, schema, sql, params),
        drop: () => queryOnce(serverUrl, undefined, `DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`).then(() => {}),
      };
    },
  };
}

async function queryOnce<Row extends pg.QueryResultRow>(
  url: string,
  schema: string | undefined,
  sql: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url, options: schema ? `-c search_path=${schema}` : undefined });
  await client.connect();
  try {
    return (await client.query<Row>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const targets = [embedded, ...(process.env.DATABASE_URL ? [server(process.env.DATABASE_URL)] : [])];

async function localMigrations(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name).sort();
}

describe.each(targets)("migrations on $name", (target) => {
  let database: TestDatabase;
  let local: string[];

  beforeAll(async () => {
    local = await localMigrations(MIGRATIONS_DIR);
    database = await target.create();
  });
  afterAll(async () => database?.drop());

  it("lists every migration as pending on an empty database", async () => {
    expect(local.length).toBeGreaterThan(0);
    expect(await migrationStatus(database.url)).toEqual({
      local,
      applied: [],
      pending: local,
      failed: [],
      upToDate: false,
    });
  });

  it("applies the pending migrations and creates the tables", async () => {
    expect(await applyMigrations(database.url)).toEqual({ applied: local });
    const tables = await database.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()",
    );
    expect(tables.map((row) => row.table_name)).toEqual(expect.arrayContaining(["Session", "Shop", "_prisma_migrations"]));
  });

  it("applies nothing the second time and reports the database up to date", async () => {
    expect(await applyMigrations(database.url)).toEqual({ applied: [] });
    expect(await migrationStatus(database.url)).toEqual({ local, applied: local, pending: [], failed: [], upToDate: true });
  });

  it("records the history as `prisma migrate deploy` does: folder names and sha256 checksums, no paths", async () => {
    const rows = await database.query<{ migration_name: string; checksum: string; finished_at: Date | null }>(
      "SELECT migration_name, checksum, finished_at FROM _prisma_migrations ORDER BY started_at",
    );
    const expected = await Promise.all(
      local.map(async (name) => ({
        migration_name: name,
        checksum: createHash("sha256").update(await readFile(join(MIGRATIONS_DIR, name, "migration.sql"))).digest("hex"),
        finished_at: expect.any(Date),
      })),
    );
    expect(rows).toEqual(expected);

    const everything = await database.query<{ row: string }>("SELECT row_to_json(m)::text AS row FROM _prisma_migrations m");
    for (const { row } of everything) {
      expect(row).not.toContain(REPO_ROOT);
      expect(row).not.toMatch(/"\//); // no string value starts with "/"
    }
  });

  it("stops at a failing migration, leaves none of it behind, and reports it as failed", async () => {
    const broken = await target.create();
    const work = await mkdtemp(join(tmpdir(), "regulars-migrations-"));
    const dir = await copyOfMigrations(work);
    try {
      const name = "29991231235959_broken";
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, "migration.sql"), 'CREATE TABLE "Half" (id int);\nCREATE TABLE "Bad" (id no_such_type);\n');

      const failure = applyMigrations(broken.url, { migrationsDir: dir });
      await expect(failure).rejects.toBeInstanceOf(MigrationError);
      await expect(failure).rejects.toThrow(/no_such_type.*29991231235959_broken/);
      const half = await broken.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'Half'");
      expect(half).toEqual([]);
      expect(await migrationStatus(broken.url, { migrationsDir: dir })).toEqual({
        local: [...local, name],
        applied: local,
        pending: [],
        failed: [name],
        upToDate: false,
      });
      await expect(applyMigrations(broken.url, { migrationsDir: dir })).rejects.toMatchObject({ code: "P3009" });
    } finally {
      await rm(work, { recursive: true, force: true });
      await broken.drop();
    }
  });
});

describe("createMigration", () => {
  let work: string;

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "regulars-migrations-"));
  });
  afterAll(async () => rm(work, { recursive: true, force: true }));

  it("reports no changes when the schema matches the migrations", async () => {
    const dir = await copyOfMigrations(work, "unchanged");
    const before = await localMigrations(dir);
    expect(await createMigration("nothing_new", { migrationsDir: dir })).toEqual({ directory: null, reason: "no-changes" });
    expect(await localMigrations(dir)).toEqual(before);
  });

  it("writes the next migration for a new model, and that migration applies", async () => {
    const dir = await copyOfMigrations(work, "changed");
    const schemaPath = join(work, "schema.prisma");
    const schema = await readFile(SCHEMA_PATH, "utf8");
    await writeFile(schemaPath, `${schema}\nmodel StampCard {\n  shop  String\n  stamps Int @default(0)\n\n  @@id([shop])\n}\n`);

    const result = await createMigration("add_stamp_card", { migrationsDir: dir, schemaPath });
    if (result.directory === null) throw new Error("expected a migration");
    expect(result.directory).toMatch(/[/\\]\d{14}_add_stamp_card$/);
    const sql = await readFile(join(result.directory, "migration.sql"), "utf8");
    expect(sql).toContain('CREATE TABLE "StampCard"');
    expect(sql).not.toContain('CREATE TABLE "Session"');

    const database = await embedded.create();
    try {
      const { applied } = await applyMigrations(database.url, { migrationsDir: dir });
      expect(applied.at(-1)).toBe(result.directory.split(/[/\\]/).at(-1));
      expect(await database.query("SELECT * FROM \"StampCard\"")).toEqual([]);
    } finally {
      await database.drop();
    }
  });

  it("starts an empty folder with Prisma's lock file", async () => {
    const dir = join(work, "fresh");
    const result = await createMigration("init", { migrationsDir: dir });
    expect(result.directory).toMatch(/\d{14}_init$/);
    expect(await readFile(join(dir, "migration_lock.toml"), "utf8")).toContain('provider = "postgresql"');
  });

  it("rejects a name that is not lowercase letters, digits and underscores", async () => {
    await expect(createMigration("Add-Stamps", { migrationsDir: join(work, "never") })).rejects.toBeInstanceOf(
      InvalidMigrationNameError,
    );
  });
});

/** The repository's migrations, copied so a test can add to them. */
async function copyOfMigrations(parent: string, name = "migrations"): Promise<string> {
  const dir = join(parent, name);
  await cp(MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}
