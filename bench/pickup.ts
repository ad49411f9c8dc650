/**
 * bench:pickup — slot availability for one location over one day
 * (`listSlots`, app/pickup/slots.server.ts: the shop's zone, the location's
 * settings and the day's PickupSlot counters, three indexed reads) with
 * 10,000 historical pickup orders and their holds seeded for that location,
 * and as many again for another shop. Beside it, in the same run:
 *
 *   - bare: the one indexed query for the same rows (the day's PickupSlot
 *     rows by primary key range) on a plain `pg` client — the floor;
 *   - counted: the same availability computed from the orders and holds
 *     themselves (no counter table), for the capacity design's decision
 *     (docs/decisions/0019-pickup-capacity.md).
 *
 *   npm run bench:pickup [-- --orders 10000 --calls 2000]
 *
 * Database: a fresh database on BENCH_DATABASE_URL (else DATABASE_URL, else
 * postgresql://postgres@127.0.0.1:5432/postgres), dropped afterwards. Calls
 * run one after another (latency, not throughput). Ends with one line of JSON.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { applyMigrations } from "../app/db/migrations.server";
import { createPrismaClient, type Database } from "../app/db/prisma.server";
import { newHoldId } from "../app/pickup/holds.server";
import { localDayBounds, parseLocalDate, slotGrid } from "../app/pickup/hours";
import { savePickupSettings, setMenu } from "../app/pickup/settings.server";
import { listSlots } from "../app/pickup/slots.server";

const { values } = parseArgs({ options: { orders: { type: "string", default: "10000" }, calls: { type: "string", default: "2000" } } });
const ORDERS = positiveInt("--orders", values.orders);
const CALLS = positiveInt("--calls", values.calls);
const WARMUP = Math.min(200, CALLS);
const SERVER_URL = process.env.BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
const SHOP = "bench-cafe.myshopify.com";
const OTHER = "bench-other.myshopify.com";
const LOCATION = "1001";
const TIMEZONE = "Europe/London";
/** The day measured: the last of the seeded history, a Friday. */
const DAY = "2026-11-27";
const HISTORY_DAYS = 120;
const HOURS = [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens: "07:00", closes: "19:00" }));
const SETTINGS = { enabled: true, hours: HOURS, slotMinutes: 10, capacityOrders: 8, capacityItems: 20, leadMinutes: 10, cutoffMinutes: 15, holdMinutes: 10 };

function fail(message: string): never {
  console.error(`bench:pickup: ${message}`);
  process.exit(2);
}

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) fail(`${flag} must be a positive integer (got ${JSON.stringify(value)})`);
  return n;
}

const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;
const load = () => round(loadavg()[0] ?? 0);

/** A small deterministic generator, so every run seeds the same history. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SeededOrder {
  orderId: string;
  holdId: string;
  slotStart: Date;
  drinks: number;
}

/** Orders spread over the history's slots (more in the morning peak), each with its converted hold; some abandoned holds besides. */
function history(seed: number, orders: number): { orders: SeededOrder[]; abandoned: SeededOrder[] } {
  const next = random(seed);
  const last = parseLocalDate(DAY);
  if (!last) throw new Error("bad day");
  const slots = Array.from({ length: HISTORY_DAYS }, (_, i) => slotGrid(new Date(last.getTime() - i * 86_400_000), HOURS, SETTINGS.slotMinutes, TIMEZONE)).flat();
  const peak = slots.filter((slot) => slot.minute >= 7 * 60 && slot.minute < 10 * 60);
  const pick = () => {
    const pool = next() < 0.6 ? peak : slots;
    const slot = pool[Math.floor(next() * pool.length)];
    if (!slot) throw new Error("no slot");
    return slot.start;
  };
  const make = (i: number, prefix: string): SeededOrder => ({ orderId: `${prefix}${i + 1}`, holdId: newHoldId(), slotStart: pick(), drinks: 1 + Math.floor(next() * 3) });
  return { orders: Array.from({ length: orders }, (_, i) => make(i, "")), abandoned: Array.from({ length: Math.round(orders / 5) }, (_, i) => make(i, "a")) };
}

async function seed(db: Database, client: pg.Client, shop: string, seedValue: number): Promise<void> {
  await db.shop.create({ data: { domain: shop, timezone: TIMEZONE, currency: "GBP" } });
  const saved = await savePickupSettings(db, shop, LOCATION, SETTINGS, { locationName: "High Street" });
  if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
  const menu = await setMenu(db, shop, [{ variantId: "40001", productId: "30001", title: "Oat latte", price: "3.60" }]);
  if (!menu.ok) throw new Error(JSON.stringify(menu.errors));
  const { orders, abandoned } = history(seedValue, ORDERS);
  const holds = [
    ...orders.map((o) => ({ ...o, status: "converted", orderId: o.orderId as string | null })),
    ...abandoned.map((o, i) => ({ ...o, status: i % 2 === 0 ? "expired" : "released", orderId: null })),
  ];
  const items = JSON.stringify([{ variantId: "40001", productId: "30001", title: "Oat latte", quantity: 1, price: "3.6000", isDrink: true }]);
  await client.query(
    `INSERT INTO "PickupHold" (shop, id, "locationId", "slotStart", "customerId", items, "itemCount", "drinkCount", status, "expiresAt", "orderId", "createdAt", "updatedAt")
     SELECT $1, h.id, $2, h.slot, NULL, $3::jsonb, h.drinks, h.drinks, h.status, h.slot - interval '30 minutes', h.order_id, h.slot - interval '40 minutes', h.slot
     FROM unnest($4::text[], $5::timestamp[], $6::int[], $7::text[], $8::text[]) AS h(id, slot, drinks, status, order_id)`,
    [shop, LOCATION, items, holds.map((h) => h.holdId), holds.map((h) => h.slotStart.toISOString()), holds.map((h) => h.drinks), holds.map((h) => h.status), holds.map((h) => h.orderId)],
  );
  const states = ["picked-up", "picked-up", "picked-up", "ready", "no-show"];
  await client.query(
    `INSERT INTO "PickupOrder" (shop, "orderId", "locationId", "slotStart", "holdId", "customerId", items, state, "createdAt", "updatedAt")
     SELECT $1, o.order_id, $2, o.slot, o.hold_id, NULL, '[{"title":"Oat latte","quantity":1}]'::jsonb, o.state, o.slot - interval '35 minutes', o.slot
     FROM unnest($3::text[], $4::timestamp[], $5::text[], $6::text[]) AS o(order_id, slot, hold_id, state)`,
    [shop, LOCATION, orders.map((o) => o.orderId), orders.map((o) => o.slotStart.toISOString()), orders.map((o) => o.holdId), orders.map((_, i) => states[i % states.length] ?? "picked-up")],
  );
  // The counters as the counting rule keeps them: converted holds (each with its order).
  await client.query(
    `INSERT INTO "PickupSlot" (shop, "locationId", "slotStart", orders, items)
     SELECT shop, "locationId", "slotStart", count(*), sum("drinkCount") FROM "PickupHold"
     WHERE shop = $1 AND status IN ('held', 'converted') GROUP BY 1, 2, 3`,
    [shop],
  );
  await client.query(`ANALYZE "PickupHold"; ANALYZE "PickupOrder"; ANALYZE "PickupSlot"`);
}

async function measure(label: string, run: () => Promise<unknown>): Promise<{ p50: number; p95: number; p99: number; mean: number }> {
  for (let i = 0; i < WARMUP; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < CALLS; i++) {
    const started = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? Number.NaN;
  const result = { p50: round(at(0.5), 3), p95: round(at(0.95), 3), p99: round(at(0.99), 3), mean: round(times.reduce((s, t) => s + t, 0) / times.length, 3) };
  console.log(`${label.padEnd(44)} p50 ${result.p50} ms  p95 ${result.p95} ms  p99 ${result.p99} ms  (load ${load()})`);
  return result;
}

async function main(): Promise<void> {
  const name = `regulars_bench_pickup_${process.pid}`;
  const admin = new pg.Client({ connectionString: SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(SERVER_URL);
  url.pathname = `/${name}`;
  const db = createPrismaClient(url.toString());
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await applyMigrations(url.toString());
    await client.connect();
    const seeding = Date.now();
    await seed(db, client, SHOP, 1);
    await seed(db, client, OTHER, 2);
    const rows = await client.query<{ orders: string; holds: string; slots: string }>(
      `SELECT (SELECT count(*) FROM "PickupOrder" WHERE shop = $1) AS orders, (SELECT count(*) FROM "PickupHold" WHERE shop = $1) AS holds, (SELECT count(*) FROM "PickupSlot" WHERE shop = $1) AS slots`,
      [SHOP],
    );
    const seeded = rows.rows[0];
    console.log(`seeded ${seeded?.orders} pickup orders, ${seeded?.holds} holds and ${seeded?.slots} slot counters for ${SHOP} (and as many for another shop) in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);

    const localDate = parseLocalDate(DAY);
    if (!localDate) throw new Error("bad day");
    const { start, end } = localDayBounds(localDate, TIMEZONE);
    // "Now" is the morning of the day measured: the table has past, lead, open, full and cut-off slots.
    const now = new Date(start.getTime() + 8.5 * 3_600_000);
    const table = await listSlots(db, { shop: SHOP, locationId: LOCATION, date: DAY, now });
    const full = table.slots.filter((slot) => slot.reason === "full").length;
    const taken = table.slots.reduce((sum, slot) => sum + slot.orders, 0);
    console.log(`${DAY}: ${table.slots.length} slots, ${taken} places taken, ${full} full, ${table.slots.filter((s) => s.open).length} open at 08:30`);

    const slots = await measure("listSlots (zone + settings + counters)", () => listSlots(db, { shop: SHOP, locationId: LOCATION, date: DAY, now }));
    const bareSql = `SELECT "slotStart", orders, items FROM "PickupSlot" WHERE shop = $1 AND "locationId" = $2 AND "slotStart" >= $3 AND "slotStart" < $4`;
    const bareParams = [SHOP, LOCATION, start.toISOString(), end.toISOString()];
    const bare = await measure("bare indexed query (pg, day's PickupSlot rows)", () => client.query(bareSql, bareParams));
    const countedSql = `
      SELECT "slotStart", count(*) AS orders, sum(drinks) AS items FROM (
        SELECT "slotStart", "drinkCount" AS drinks FROM "PickupHold"
        WHERE shop = $1 AND "locationId" = $2 AND "slotStart" >= $3 AND "slotStart" < $4 AND status IN ('held', 'converted')
        UNION ALL
        SELECT o."slotStart", jsonb_array_length(o.items) FROM "PickupOrder" o
        WHERE o.shop = $1 AND o."locationId" = $2 AND o."slotStart" >= $3 AND o."slotStart" < $4 AND o.flag IS NOT NULL
      ) places GROUP BY 1`;
    const counted = await measure("counted from holds and orders (pg)", () => client.query(countedSql, bareParams));

    const summary = {
      bench: "pickup",
      orders: ORDERS,
      calls: CALLS,
      slots_per_day: table.slots.length,
      p50_ms: slots.p50,
      p95_ms: slots.p95,
      p99_ms: slots.p99,
      bare_p50_ms: bare.p50,
      bare_p95_ms: bare.p95,
      counted_p95_ms: counted.p95,
      load: load(),
    };
    console.log(JSON.stringify(summary));
  } finally {
    await client.end().catch(() => {});
    await db.$disconnect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
    await admin.end();
  }
}

await main();
