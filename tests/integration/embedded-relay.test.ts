import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../app/db/embedded.server";

/** The embedded database shares one PGlite session between connections; the relay keeps them apart. */
describe("embedded database with many connections", () => {
  let db: EmbeddedDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    db = await startEmbeddedDatabase({ dataDir: "memory://" });
    pool = new pg.Pool({ connectionString: db.url, max: 12 });
    await pool.query("CREATE TABLE counter (id int PRIMARY KEY, n int NOT NULL)");
    await pool.query("INSERT INTO counter VALUES (1, 0)");
  });

  afterAll(async () => {
    await pool?.end();
    await db?.stop();
  });

  it("runs concurrent parameterised statements of different shapes without mixing them up", async () => {
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        i % 2 === 0
          ? pool.query<{ s: number }>("SELECT $1::int + $2::int + $3::int AS s", [i, 1, 2]).then((r) => r.rows[0]?.s === i + 3)
          : pool.query<{ s: string }>("SELECT $1::text AS s", [`v${i}`]).then((r) => r.rows[0]?.s === `v${i}`),
      ),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  it("keeps each transaction's statements together: no lost update under concurrency", async () => {
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          const { rows } = await client.query<{ n: number }>("SELECT n FROM counter WHERE id = $1", [1]);
          await client.query("UPDATE counter SET n = $1 WHERE id = $2", [(rows[0]?.n ?? 0) + 1, 1]);
          await client.query("COMMIT");
        } finally {
          client.release();
        }
      }),
    );
    const { rows } = await pool.query<{ n: number }>("SELECT n FROM counter WHERE id = 1");
    expect(rows[0]?.n).toBe(50);
  });

  it("a failed statement inside a transaction does not leak into other connections", async () => {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      await expect(client.query("SELECT 1/0")).rejects.toThrow(/division by zero/);
      const other = pool.query<{ one: number }>("SELECT 1 AS one");
      await client.query("ROLLBACK");
      expect((await other).rows[0]?.one).toBe(1);
    } finally {
      client.release();
    }
  });

  it("delivers a NOTIFY from one connection to the connection that LISTENs", async () => {
    const listener = new pg.Client({ connectionString: db.url });
    await listener.connect();
    try {
      const heard = new Promise<string>((resolve) => listener.on("notification", (m) => resolve(`${m.channel}:${m.payload}`)));
      await listener.query("LISTEN regulars_test");
      await pool.query("SELECT pg_notify('regulars_test', 'hello')");
      expect(await heard).toBe("regulars_test:hello");
    } finally {
      await listener.end();
    }
  });
});
