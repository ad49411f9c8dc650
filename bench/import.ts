/**
 * bench:import — a CSV of order history (default 100,000 rows, ~2.5 items each,
 * a third of them guests, local times in the shop's zone) imported with
 * `importOrders` into the embedded database and into a PostgreSQL server, in one
 * run; beside it, the per-row writer (`upsertOrder` + `upsertCustomer`, one
 * transaction per order) timed on a sample and scaled to the same row count.
 *
 *   npm run bench:import [-- --rows 100000 --sample 2000]
 *
 * Server: BENCH_DATABASE_URL (else DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/postgres);
 * a fresh database is created and dropped. Ends with one line of JSON.
 */
import { createHash, randomBytes } from "node:crypto";
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { startEmbeddedDatabase } from "../app/db/embedded.server";
import { applyMigrations } from "../app/db/migrations.server";
import { createPrismaClient, type Database } from "../app/db/prisma.server";
import { importOrders } from "../app/imports/import-orders.server";
import { createStandaloneShop } from "../app/imports/standalone-shop.server";
import { upsertCustomer } from "../app/sync/customers.server";
import { upsertOrder } from "../app/sync/orders.server";

const { values } = parseArgs({ options: { rows: { type: "string", default: "100000" }, sample: { type: "string", default: "2000" } } });
const ROWS = Number(values.rows);
const SAMPLE = Math.min(Number(values.sample), ROWS);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const SHOP = "bench-cafe.myshopify.com";
const MENU = ["LATTE-OAT", "FLAT-WHITE", "CROISSANT", "BANANA-BREAD", "ESPRESSO", "TEA-EARL"];

/** A deterministic cafe history: the same file every run. */
function historyCsv(rows: number): string {
  let seed = 42;
  const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
  const lines = ["order_id,customer_id,ordered_at,total,channel,location,email,items"];
  const start = Date.UTC(2025, 0, 1, 7);
  for (let i = 0; i < rows; i++) {
    const guest = next() < 0.33;
    const customer = guest ? "" : String(1000 + Math.floor(next() * rows * 0.2));
    const at = new Date(start + Math.floor(next() * 540) * 86_400_000 + Math.floor(next() * 12 * 3600) * 1000);
    const local = at.toISOString().slice(0, 19);
    const items = Array.from({ length: 1 + Math.floor(next() * 3) }, () => `${MENU[Math.floor(next() * MENU.length)]}:${1 + Math.floor(next() * 2)}`);
    const email = guest || next() < 0.5 ? "" : `guest${customer}@example.com`;
    const orderId = next() < 0.5 ? `POS-${i}` : "";
    lines.push(`${orderId},${customer},${local},${(2 + next() * 12).toFixed(2)},${next() < 0.8 ? "pos" : "web"},Main St,${email},${items.join(";")}`);
  }
  return `${lines.join("\n")}\n`;
}

interface Timing {
  importSeconds: number;
  reimportSeconds: number;
  perRowSeconds: number;
}

async function measure(label: string, url: string, path: string, bytes: number, sha256: string): Promise<Timing> {
  const db = createPrismaClient(url);
  try {
    await createStandaloneShop(db, { domain: SHOP, timezone: "Europe/London", currency: "GBP" });
    const source = { fileName: "history.csv", bytes, sha256, open: () => createReadStream(path) };
    const started = performance.now();
    const report = await importOrders(db, SHOP, source, { origin: "cli" });
    const importSeconds = (performance.now() - started) / 1000;
    if (report.status !== "completed" || report.ordersNew !== ROWS) throw new Error(`${label}: import did not complete: ${JSON.stringify(report.errors.slice(0, 3))}`);
    console.error(`${label}: imported ${ROWS} rows in ${importSeconds.toFixed(2)} s`);
    const again = performance.now();
    const second = await importOrders(db, SHOP, source, { origin: "cli" });
    const reimportSeconds = (performance.now() - again) / 1000;
    if (second.ordersUnchanged !== ROWS) throw new Error(`${label}: re-import changed orders`);
    console.error(`${label}: re-imported (no change) in ${reimportSeconds.toFixed(2)} s`);
    const perRowSeconds = await perRowWriter(db);
    console.error(`${label}: per-row writer ${SAMPLE} orders in ${perRowSeconds.toFixed(2)} s`);
    return { importSeconds, reimportSeconds, perRowSeconds: (perRowSeconds * ROWS) / SAMPLE };
  } finally {
    await db.$disconnect();
  }
}

/** The same kind of rows through the shared sync writer, one order (and its customer) at a time. */
async function perRowWriter(db: Database): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < SAMPLE; i++) {
    const customerId = `per-row-${i % 500}`;
    await upsertCustomer(db, SHOP, { id: customerId, email: null, phone: null, firstName: null, lastName: null, emailMarketingState: null, emailMarketingAt: null, smsMarketingState: null, smsMarketingAt: null, tags: [], shopifyCreatedAt: null, shopifyUpdatedAt: null }, "import");
    const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000);
    await upsertOrder(db, SHOP, {
      id: `import:per-row-${i}`, name: null, customerId, locationId: "Main St", channel: "pos", sourceName: null, currency: "GBP",
      totalPrice: "4.50", subtotalPrice: null, totalDiscounts: null, financialStatus: null, processedAt: at, cancelledAt: null,
      noteAttributes: [], shopifyCreatedAt: null, shopifyUpdatedAt: at,
      lineItems: [
        { id: "1", productId: null, variantId: null, sku: "LATTE-OAT", title: "LATTE-OAT", quantity: 1, price: "0" },
        { id: "2", productId: null, variantId: null, sku: "CROISSANT", title: "CROISSANT", quantity: 1, price: "0" },
      ],
      refunds: [],
    }, "import");
  }
  return (performance.now() - started) / 1000;
}

async function main() {
  const folder = mkdtempSync(join(tmpdir(), "regulars-bench-import-"));
  const path = join(folder, "history.csv");
  const text = historyCsv(ROWS);
  writeFileSync(path, text);
  const bytes = Buffer.byteLength(text);
  const sha256 = createHash("sha256").update(text).digest("hex");
  console.error(`file: ${ROWS} rows, ${(bytes / 1024 / 1024).toFixed(1)} MB`);
  const results: Record<string, Timing> = {};
  try {
    const embedded = await startEmbeddedDatabase({ dataDir: "memory://" });
    try {
      await applyMigrations(embedded.url);
      results.embedded = await measure("embedded", embedded.url, path, bytes, sha256);
    } finally {
      await embedded.stop();
    }
    const name = `regulars_bench_${randomBytes(4).toString("hex")}`;
    const admin = new pg.Client({ connectionString: SERVER_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const url = new URL(SERVER_URL);
      url.pathname = `/${name}`;
      await applyMigrations(url.toString());
      results.postgres = await measure("postgres", url.toString(), path, bytes, sha256);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
  const pick = (key: keyof Timing) => Object.fromEntries(Object.entries(results).map(([k, v]) => [k, Number(v[key].toFixed(2))]));
  console.log(
    JSON.stringify({
      bench: "import",
      rows: ROWS,
      mb: Number((bytes / 1024 / 1024).toFixed(1)),
      import_seconds: pick("importSeconds"),
      reimport_seconds: pick("reimportSeconds"),
      per_row_writer_seconds_est: pick("perRowSeconds"),
    }),
  );
}

await main();
