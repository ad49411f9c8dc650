import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startEmbeddedDatabase } from "../../app/db/embedded.server";
import { runCli } from "../support/cli";
import { freshDatabase, stackKinds } from "../support/stacks";

/**
 * The simulator's CSV goes through the real importer (`regulars import
 * orders`), and what lands in the orders table is what the ground truth says:
 * per customer, the same orders and the same spend.
 */

const SHOP = "csv-cafe.myshopify.com";
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const truthFile = z.object({
  summary: z.object({ orders: z.number(), cancelledOrders: z.number() }),
  customers: z.array(z.object({ id: z.string(), orders: z.number(), spend: z.string() })),
});

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("the simulated CSV imported on $name", (kind) => {
  it("gives per customer exactly the orders and spend of the ground truth", async () => {
    const dir = mkdtempSync(join(tmpdir(), "regulars-simulate-import-"));
    dirs.push(dir);
    let env: Record<string, string>;
    let drop = async () => {};
    if (kind.database === "server") {
      const database = await freshDatabase("server");
      env = { DATABASE_URL: database.url };
      drop = () => database.drop();
    } else {
      env = { DATA_DIR: join(dir, "data") };
      expect(runCli(["db", "migrate"], env).code).toBe(0);
    }
    try {
      const csv = join(dir, "cafe.csv");
      const truthPath = join(dir, "truth.json");
      const simulated = runCli(["simulate", "--seed", "csv", "--shop", SHOP, "--months", "2", "--members", "250", "--locations", "3", "--until", "2025-11-01", "--csv", csv, "--ground-truth", truthPath], env);
      expect(simulated.code).toBe(0);
      const created = runCli(["shop", "create", SHOP, "--timezone", "Europe/London", "--currency", "GBP"], env);
      expect(created.stderr).toBe("");
      const imported = runCli(["import", "orders", csv, "--shop", SHOP, "--no-progress"], env);
      expect(imported.stderr).toBe("");
      expect(imported.code).toBe(0);

      const truth = truthFile.parse(JSON.parse(readFileSync(truthPath, "utf8")));
      const rows = await query(kind.database === "server" ? env.DATABASE_URL : undefined, env.DATA_DIR, (client) =>
        client.query<{ customer: string | null; orders: string; spend: string }>(
          `SELECT "customerId" AS customer, count(*) AS orders, to_char(sum("totalPrice"), 'FM999999990.00') AS spend
             FROM "Order" WHERE shop = $1 GROUP BY "customerId"`,
          [SHOP],
        ),
      );
      const stored = new Map(rows.map((row) => [row.customer, { orders: Number(row.orders), spend: row.spend }]));
      const total = rows.reduce((sum, row) => sum + Number(row.orders), 0);
      expect(total).toBe(truth.summary.orders - truth.summary.cancelledOrders);
      const differing = truth.customers.filter((customer) => {
        const held = stored.get(customer.id) ?? { orders: 0, spend: "0.00" };
        return held.orders !== customer.orders || held.spend !== (customer.orders === 0 ? "0.00" : customer.spend);
      });
      expect(differing.slice(0, 5)).toEqual([]);
    } finally {
      await drop();
    }
  });
});

async function query<T>(url: string | undefined, dataDir: string | undefined, run: (client: pg.Client) => Promise<{ rows: T[] }>): Promise<T[]> {
  const embedded = url ? undefined : await startEmbeddedDatabase({ dataDir: dataDir ?? "" });
  const client = new pg.Client({ connectionString: url ?? embedded?.url });
  await client.connect();
  try {
    return (await run(client)).rows;
  } finally {
    await client.end();
    await embedded?.stop();
  }
}
