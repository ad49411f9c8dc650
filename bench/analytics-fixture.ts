/**
 * The analytics benchmark's shop: a year of a large cafe's orders, generated
 * deterministically into one CSV file that both PostgreSQL (COPY) and DuckDB
 * (read_csv) load, so both sides compute on the same rows.
 *
 * Each customer follows a rhythm like the simulator's (app/simulate/rhythms.ts):
 * on each of their weekdays they come with probability p, and after each visit
 * they stop for good with probability λ. Some visits have a second order; some
 * online orders are pickups; 1 % of orders are cancelled and 2 % partly
 * refunded. Guest orders fill the file up to the requested order count.
 */
import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { createRandom, type Random } from "../app/simulate/random";

export const BENCH_SHOP = "bench-analytics.myshopify.com";
export const BENCH_TIMEZONE = "Europe/London";
export const ORDER_COLUMNS = [
  "shop",
  "id",
  "customerId",
  "locationId",
  "channel",
  "currency",
  "totalPrice",
  "refundedAmount",
  "processedAt",
  "cancelledAt",
  "noteAttributes",
  "shopifyUpdatedAt",
  "source",
  "updatedAt",
] as const;

interface Persona {
  share: number;
  weekdays: number[];
  p: [number, number];
  lapse: [number, number];
  minute: [number, number];
}

const PERSONAS: Persona[] = [
  { share: 0.35, weekdays: [1, 2, 3, 4, 5], p: [0.15, 0.5], lapse: [0.006, 0.025], minute: [7 * 60 + 15, 9 * 60 + 45] },
  { share: 0.2, weekdays: [0, 6], p: [0.25, 0.7], lapse: [0.012, 0.04], minute: [11 * 60 + 15, 13 * 60 + 30] },
  { share: 0.15, weekdays: [1, 2, 3, 4], p: [0.1, 0.4], lapse: [0.012, 0.04], minute: [14 * 60 + 15, 16 * 60 + 30] },
  { share: 0.3, weekdays: [0, 1, 2, 3, 4, 5, 6], p: [0.02, 0.1], lapse: [0.02, 0.06], minute: [7 * 60, 18 * 60 + 30] },
];

export interface AnalyticsFixture {
  file: string;
  members: number;
  orders: number;
  customerOrders: number;
  from: Date;
  /** The day after the last day of orders (UTC midnight of the local date). */
  until: Date;
}

/** UTC offset in minutes of the zone at a given instant (Intl, cached per day by the caller). */
function offsetMinutes(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((part) => part.type === type)?.value);
  const asUtc = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"));
  return Math.round((asUtc - instant.getTime()) / 60_000);
}

function pickPersona(random: Random): Persona {
  let roll = random.next();
  for (const persona of PERSONAS) {
    roll -= persona.share;
    if (roll < 0) return persona;
  }
  return PERSONAS[PERSONAS.length - 1]!;
}

export async function writeAnalyticsFixture(
  file: string,
  options: { members: number; orders: number; days: number; until: Date; /** The shop the rows belong to (default BENCH_SHOP). */ shop?: string },
): Promise<AnalyticsFixture> {
  const random = createRandom("bench-analytics");
  const { members, orders: targetOrders, days, until } = options;
  const shop = options.shop ?? BENCH_SHOP;
  const from = new Date(until.getTime() - days * 86_400_000);
  // Per local day: UTC offset at local noon, so a local minute maps to an instant (the cafe sells 07:00–19:00, far from the 01:00–02:00 switch).
  const dayOffsets = Array.from({ length: days }, (_, day) => offsetMinutes(new Date(from.getTime() + day * 86_400_000 + 12 * 3_600_000), BENCH_TIMEZONE));
  const out = createWriteStream(file);
  let buffer = "";
  let written = 0;
  let customerOrders = 0;
  let orderSeq = 0;
  const updatedAt = until.toISOString();

  async function emit(customerId: string, dayIndex: number, minute: number, channel: "pos" | "web", location: string, pickup: boolean): Promise<void> {
    orderSeq += 1;
    const localMs = from.getTime() + dayIndex * 86_400_000 + minute * 60_000 + random.int(0, 59) * 1000;
    const processed = new Date(localMs - dayOffsets[dayIndex]! * 60_000);
    const total = (random.int(250, 1800) / 100).toFixed(2);
    const cancelled = random.chance(0.01) ? new Date(processed.getTime() + 180_000).toISOString() : "";
    const refunded = !cancelled && random.chance(0.02) ? (Number(total) / 3).toFixed(2) : "0";
    const notes = pickup ? `"[{""name"":""pickup_at"",""value"":""${new Date(processed.getTime() + 20 * 60_000).toISOString()}""}]"` : "[]";
    buffer += `${shop},${orderSeq},${customerId},${location},${channel},GBP,${total},${refunded},${processed.toISOString()},${cancelled},${notes},${processed.toISOString()},backfill,${updatedAt}\n`;
    written += 1;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await once(out, "drain");
      buffer = "";
    }
  }

  const firstWeekday = from.getUTCDay();
  let withOrders = 0;
  while (withOrders < members && written < targetOrders) {
    const persona = pickPersona(random);
    const p = random.float(...persona.p);
    const lapse = random.float(...persona.lapse);
    const home = String(70_000 + random.int(1, 3));
    const visitDays: number[] = [];
    for (let day = random.chance(0.5) ? 0 : random.int(0, days - 1); day < days; day++) {
      if (!persona.weekdays.includes((firstWeekday + day) % 7) || !random.chance(p)) continue;
      visitDays.push(day);
      if (random.chance(lapse)) break;
    }
    if (visitDays.length === 0) continue;
    withOrders += 1;
    const customerId = String(1_000_000 + withOrders);
    for (const day of visitDays) {
      if (written >= targetOrders) break;
      const minute = random.int(...persona.minute);
      const online = random.chance(0.08);
      const pickup = online && random.chance(0.6);
      await emit(customerId, day, minute, online ? "web" : "pos", online && !pickup ? "" : home, pickup);
      customerOrders += 1;
      // A second order in the same visit (a pastry after the coffee).
      if (!online && random.chance(0.05) && written < targetOrders) {
        await emit(customerId, day, Math.min(minute + random.int(2, 20), 19 * 60), "pos", home, false);
        customerOrders += 1;
      }
    }
  }
  // Guests fill the rest: traffic that is counted but belongs to no member.
  while (written < targetOrders) {
    const day = random.int(0, days - 1);
    await emit("", day, random.int(7 * 60, 19 * 60 - 1), "pos", String(70_000 + random.int(1, 3)), false);
  }
  if (buffer) out.write(buffer);
  out.end();
  await once(out, "finish");
  return { file, members, orders: written, customerOrders, from, until };
}
