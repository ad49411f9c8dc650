import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import pg from "pg";
import { runCli } from "../support/cli";
import { uniqueName } from "../support/stacks";

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

describe("regulars CLI", () => {
  it.each([[[]], [["db"]], [["db", "migrate"]], [["db", "status"]], [["doctor"]]])("prints help for %j", (command) => {
    const { code, stdout } = runCli([...command, "--help"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: regulars/);
  });

  it("rejects an unknown command with a clear message", () => {
    const { code, stderr } = runCli(["brew"]);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/unknown command 'brew'/);
  });

  it("with no environment: embedded database and BullMQ on PostgreSQL; migrate brings it current", () => {
    const dataDir = mkdtempSync(join(tmpdir(), "regulars-cli-"));
    folders.push(dataDir);
    const env = { DATA_DIR: dataDir };

    const before = runCli(["doctor"], env);
    expect(before.stdout).toMatch(/database: +embedded PostgreSQL \(PGlite\)/);
    expect(before.stdout).toMatch(/queue: +BullMQ on PostgreSQL/);
    expect(before.stdout).toMatch(/migrations: BEHIND — pending \d+_init/);
    expect(before.code).toBe(1);

    const status = runCli(["db", "status"], env);
    expect(status.stdout).toMatch(/pending +\d+_init/);
    expect(status.code).toBe(1);

    const migrate = runCli(["db", "migrate"], env);
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toMatch(/Applied \d+ migration\(s\):\n +\d+_init/);
    expect(runCli(["db", "migrate"], env).stdout).toMatch(/nothing to apply/);

    const after = runCli(["doctor", "--json"], env);
    expect(after.code).toBe(0);
    const diagnosis: unknown = JSON.parse(after.stdout);
    expect(diagnosis).toMatchObject({
      ok: true,
      database: { kind: "embedded", serverVersion: expect.stringMatching(/^\d+/) },
      queue: { kind: "postgres" },
      migrations: { upToDate: true, pending: [] },
    });
  });

  it("names a malformed variable", () => {
    const { code, stderr } = runCli(["doctor"], { DATABASE_URL: "not-a-url" });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('regulars: Invalid configuration: DATABASE_URL must be a postgres:// or postgresql:// URL (got "not-a-url")');
  });

  it.runIf(process.env.DATABASE_URL && process.env.REDIS_URL)(
    "with DATABASE_URL and REDIS_URL: PostgreSQL server and BullMQ on Redis",
    async () => {
      const serverUrl = process.env.DATABASE_URL ?? "";
      const name = uniqueName("regulars_cli");
      const admin = new pg.Client({ connectionString: serverUrl });
      await admin.connect();
      await admin.query(`CREATE DATABASE ${name}`);
      try {
        const url = new URL(serverUrl);
        url.pathname = `/${name}`;
        const env = { DATABASE_URL: url.toString(), REDIS_URL: process.env.REDIS_URL ?? "" };
        expect(runCli(["db", "migrate"], env).code).toBe(0);
        const { code, stdout } = runCli(["doctor"], env);
        expect(stdout).toMatch(/database: +PostgreSQL server — postgresql:\/\/.*— server \d+/);
        expect(stdout).toMatch(/queue: +BullMQ on Redis — redis:\/\/.*— server \d+\.\d+/);
        expect(stdout).toMatch(/migrations: current/);
        expect(code).toBe(0);
      } finally {
        await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await admin.end();
      }
    },
  );
});
