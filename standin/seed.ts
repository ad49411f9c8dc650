import { gid, type ResourceType } from "./ids.ts";
import { fromCents, toCents } from "./money.ts";
import { createRandom, type Random } from "./prng.ts";
import { FIRST_NAMES, LAST_NAMES, LOCATION_NAMES, MENU, type MenuCategory, type MenuItem } from "./seed-data.ts";
import type { LineItemInput, ShopState, StandinStore } from "./store.ts";
import { localParts, zonedTimeToUtc } from "./time.ts";
import type { Location } from "./types.ts";

/**
 * A believable cafe history, the same for the same seed: mostly POS sales,
 * weekday-morning regulars who come back every 5–10 days (a quarter of them
 * lapse), weekend visitors, one-off visitors, online bean buyers, walk-in
 * guests without a customer record, and a few cancelled or refunded orders.
 * Pass `until` to make it independent of today's date.
 */

export type Persona = "weekdayRegular" | "weekendRegular" | "occasional" | "online";

export interface SeedCafeOptions {
  customers: number;
  days: number;
  seed: string | number;
  /** The moment the history ends (default: the store's clock). */
  until?: Date | string;
  name?: string;
  ianaTimezone?: string;
  currencyCode?: string;
  /** Shop locations to spread visits over (1–3). */
  locations?: number;
}

export interface SeedSummary {
  shop: ShopState;
  customers: number;
  orders: number;
  guestOrders: number;
  cancelledOrders: number;
  refundedOrders: number;
  personas: Record<Persona, number>;
}

interface Visit {
  at: Date;
  customerIndex: number | null;
  lines: LineItemInput[];
  sourceName: "pos" | "web";
  location: Location | null;
  pickupAt: string | null;
  discount: boolean;
}

interface Day {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday … 6 = Saturday */
  weekday: number;
}

const PERSONA_WEIGHTS: readonly (readonly [Persona, number])[] = [
  ["weekdayRegular", 32],
  ["weekendRegular", 18],
  ["occasional", 35],
  ["online", 15],
];

export function seedCafe(store: StandinStore, shopDomain: string, options: SeedCafeOptions): SeedSummary {
  const random = createRandom(`${options.seed}:${shopDomain}`);
  const shop =
    store.findShop(shopDomain) ??
    store.addShop({
      domain: shopDomain,
      name: options.name,
      ianaTimezone: options.ianaTimezone ?? "Europe/London",
      currencyCode: options.currencyCode ?? "GBP",
      locationName: LOCATION_NAMES[0],
    });
  const wantedLocations = Math.min(Math.max(options.locations ?? 2, 1), LOCATION_NAMES.length);
  for (let i = shop.locations.length; i < wantedLocations; i++) store.addLocation(shopDomain, { name: LOCATION_NAMES[i] ?? `Counter ${i + 1}` });
  const locations = shop.locations.slice(0, wantedLocations);
  const zone = shop.info.ianaTimezone;
  const until = new Date(options.until ?? store.now());
  const days = calendar(until, options.days, zone);
  const menu = catalogue(store);
  const at = (day: Day, minuteOfDay: number) =>
    zonedTimeToUtc({ year: day.year, month: day.month, day: day.day, hour: Math.floor(minuteOfDay / 60), minute: Math.floor(minuteOfDay % 60), second: random.int(0, 59) }, zone);
  const pickLocation = (home: Location) => (random.chance(0.9) ? home : random.pick(locations));
  const homeLocation = () => (random.chance(0.75) || locations.length === 1 ? locations[0] : random.pick(locations.slice(1)));

  const visits: Visit[] = [];
  const personas: Record<Persona, number> = { weekdayRegular: 0, weekendRegular: 0, occasional: 0, online: 0 };
  const profiles = Array.from({ length: options.customers }, (_, index) => {
    const persona = random.weighted(PERSONA_WEIGHTS);
    personas[persona]++;
    const home = homeLocation() ?? null;
    const usualDrink = random.pick(menu.drink);
    const usualPastry = random.pick(menu.pastry);
    const member = random.chance(persona === "weekdayRegular" ? 0.5 : 0.15);
    const joinDay = persona === "weekdayRegular" && random.chance(0.6) ? random.int(0, 6) : random.int(0, Math.max(0, options.days - 1));
    const visit = (day: Day, minute: number, lines: LineItemInput[], sourceName: "pos" | "web" = "pos") => {
      const pickup = sourceName === "web" && lines.some((line) => !line.sku?.startsWith("BEAN") && line.sku !== "CUP");
      visits.push({
        at: at(day, minute),
        customerIndex: index,
        lines,
        sourceName,
        location: sourceName === "pos" || pickup ? (home ? pickLocation(home) : null) : null,
        pickupAt: pickup ? `${String(Math.floor((minute + 10) / 60)).padStart(2, "0")}:${String(Math.floor((minute + 10) % 60)).padStart(2, "0")}` : null,
        discount: member && random.chance(0.25),
      });
    };

    if (persona === "weekdayRegular") {
      const gap = random.float(5, 10);
      const lapseDay = random.chance(0.25) ? random.int(joinDay + 14, options.days + 14) : Number.POSITIVE_INFINITY;
      const preferredMinute = random.int(7 * 60, 10 * 60);
      for (let d = joinDay; d < options.days && d < lapseDay; d += Math.max(1, Math.round(random.normal(gap, gap * 0.35)))) {
        let dayIndex = d;
        const weekday = days[dayIndex]?.weekday ?? 1;
        if ((weekday === 0 || weekday === 6) && random.chance(0.85)) dayIndex += weekday === 6 ? 2 : 1;
        const day = days[dayIndex];
        if (!day) break;
        const lines = [line(usualDrink, 1)];
        if (random.chance(0.35)) lines.push(line(usualPastry, 1));
        if (random.chance(0.08)) lines.push(line(random.pick(menu.drink), 1));
        visit(day, clampMinute(random.normal(preferredMinute, 15)), lines, random.chance(0.08) ? "web" : "pos");
      }
    } else if (persona === "weekendRegular") {
      const everyWeeks = random.int(1, 4);
      const preferSunday = random.chance(0.5);
      for (let d = joinDay; d < options.days; d += 7 * everyWeeks) {
        const offset = [0, 1, 2, 3, 4, 5, 6].find((k) => days[d + k]?.weekday === (preferSunday ? 0 : 6));
        const day = offset === undefined ? undefined : days[d + offset];
        if (!day || random.chance(0.2)) continue;
        const lines = Array.from({ length: random.int(2, 3) }, () => line(random.pick(menu.drink), 1));
        if (random.chance(0.5)) lines.push(line(random.pick(menu.brunch), random.int(1, 2)));
        else lines.push(line(random.pick(menu.pastry), random.int(1, 2)));
        visit(day, random.int(9 * 60 + 30, 15 * 60), lines);
      }
    } else if (persona === "occasional") {
      const count = random.weighted([[1, 55], [2, 30], [3, 15]] as const);
      for (let i = 0; i < count; i++) {
        const day = days[random.int(joinDay, options.days - 1)];
        if (day) visit(day, daypartMinute(random), walkInBasket(random, menu));
      }
    } else {
      for (let d = joinDay; d < options.days; d += random.int(18, 40)) {
        const day = days[d];
        if (!day) break;
        const lines = [line(random.pick(menu.retail.filter((item) => item.sku.startsWith("BEAN"))), random.int(1, 2))];
        if (random.chance(0.15)) lines.push(line(menu.retail.find((item) => item.sku === "CUP") ?? usualDrink, 1));
        visit(day, random.int(7 * 60, 22 * 60), lines, "web");
      }
    }
    return { persona, joinDay, member };
  });

  // Walk-ins who never gave a name: the bulk of a counter's sales.
  const guestsPerDay = Math.max(3, Math.round(options.customers * 0.12));
  for (const day of days) {
    const weekend = day.weekday === 0 || day.weekday === 6;
    const count = Math.round(guestsPerDay * (weekend ? 1.4 : 1) * random.float(0.7, 1.3));
    for (let i = 0; i < count; i++) {
      const web = random.chance(0.04);
      visits.push({
        at: at(day, daypartMinute(random)),
        customerIndex: null,
        lines: web ? [line(random.pick(menu.retail), 1)] : walkInBasket(random, menu),
        sourceName: web ? "web" : "pos",
        location: web ? null : random.chance(0.7) ? (locations[0] ?? null) : random.pick(locations),
        pickupAt: null,
        discount: false,
      });
    }
  }

  const inWindow = visits.filter((visit) => visit.at.getTime() <= until.getTime()).sort((a, b) => a.at.getTime() - b.at.getTime());
  const firstVisit = new Map<number, Date>();
  const lastVisit = new Map<number, Date>();
  for (const visit of inWindow) {
    if (visit.customerIndex === null) continue;
    if (!firstVisit.has(visit.customerIndex)) firstVisit.set(visit.customerIndex, visit.at);
    lastVisit.set(visit.customerIndex, visit.at);
  }

  const customerIds = profiles.map((profile, index) => {
    const first = FIRST_NAMES[index % FIRST_NAMES.length] ?? "Alex";
    const last = LAST_NAMES[Math.floor(index / FIRST_NAMES.length + index) % LAST_NAMES.length] ?? "Smith";
    const firstSeen = firstVisit.get(index);
    const createdAt = firstSeen
      ? new Date(firstSeen.getTime() - random.int(0, profile.persona === "online" ? 5 * 86_400 : 180) * 1000)
      : at(days[profile.joinDay] ?? days[0] ?? { year: 2024, month: 1, day: 1, weekday: 1 }, random.int(8 * 60, 20 * 60));
    const hasPhone = random.chance(0.6);
    const customer = store.addCustomer(shopDomain, {
      firstName: first,
      lastName: last,
      email: `${first}.${last}.${index + 1}@example.com`.toLowerCase(),
      phone: hasPhone ? `+447700${String(900000 + index).padStart(6, "0")}` : null,
      createdAt: createdAt.getTime() > until.getTime() ? until : createdAt,
      updatedAt: lastVisit.get(index) ?? (createdAt.getTime() > until.getTime() ? until : createdAt),
      tags: profile.member ? ["member"] : [],
      emailMarketingConsent: random.chance(profile.persona === "weekdayRegular" ? 0.7 : 0.5) ? "subscribed" : "not_subscribed",
      smsMarketingConsent: hasPhone ? (random.chance(0.25) ? "subscribed" : "not_subscribed") : null,
    });
    return customer.id;
  });

  let cancelledOrders = 0;
  let refundedOrders = 0;
  let guestOrders = 0;
  for (const visit of inWindow) {
    const customerId = visit.customerIndex === null ? null : (customerIds[visit.customerIndex] ?? null);
    if (customerId === null) guestOrders++;
    const lines = visit.discount
      ? visit.lines.map((item, index) => (index === 0 ? { ...item, discount: fromCents(Math.round(toCents(item.price) * item.quantity * 0.1)) } : item))
      : visit.lines;
    const order = store.addOrder(shopDomain, {
      lineItems: lines,
      customerId,
      locationId: visit.location?.id ?? null,
      sourceName: visit.sourceName,
      createdAt: visit.at,
      noteAttributes: visit.pickupAt ? [{ name: "pickup_at", value: visit.pickupAt }] : [],
      taxRate: 0.2,
    });
    const later = (minSeconds: number, maxSeconds: number) =>
      new Date(Math.min(until.getTime(), visit.at.getTime() + random.int(minSeconds, maxSeconds) * 1000));
    if (random.chance(0.012)) {
      store.cancelOrder(shopDomain, order.id, { at: later(60, 1200), reason: random.chance(0.8) ? "customer" : "other" });
      cancelledOrders++;
    } else if (random.chance(0.02)) {
      const first = order.lineItems[0];
      if (first) store.refundOrder(shopDomain, order.id, { at: later(60, 7200), note: "Wrong order", lineItems: [{ lineItemId: first.id, quantity: 1 }] });
      refundedOrders++;
    }
  }

  return { shop, customers: customerIds.length, orders: inWindow.length, guestOrders, cancelledOrders, refundedOrders, personas };
}

/** The local calendar days of the history, oldest first. */
function calendar(until: Date, count: number, zone: string): Day[] {
  const end = localParts(until, zone);
  return Array.from({ length: count }, (_, k) => {
    const date = new Date(Date.UTC(end.year, end.month - 1, end.day - (count - 1 - k)));
    return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), weekday: date.getUTCDay() };
  });
}

type Catalogue = Record<MenuCategory, (MenuItem & { productId: string; variantId: string })[]>;

function catalogue(store: StandinStore): Catalogue {
  const byCategory: Catalogue = { drink: [], pastry: [], brunch: [], retail: [] };
  const productIds = new Map<string, string>();
  const id = (type: ResourceType) => gid(type, store.nextId(type));
  for (const item of MENU) {
    const productId = productIds.get(item.title) ?? id("Product");
    productIds.set(item.title, productId);
    byCategory[item.category].push({ ...item, productId, variantId: id("ProductVariant") });
  }
  return byCategory;
}

function line(item: MenuItem & { productId: string; variantId: string }, quantity: number): LineItemInput {
  return {
    title: item.title,
    variantTitle: item.variantTitle ?? null,
    sku: item.sku,
    price: item.price,
    quantity,
    productId: item.productId,
    variantId: item.variantId,
  };
}

function walkInBasket(random: Random, menu: Catalogue): LineItemInput[] {
  const lines: LineItemInput[] = [];
  if (random.chance(0.92)) lines.push(line(random.pick(menu.drink), random.chance(0.15) ? 2 : 1));
  if (lines.length === 0 || random.chance(0.35)) lines.push(line(random.pick(random.chance(0.75) ? menu.pastry : menu.brunch), 1));
  return lines;
}

/** Opening hours 07:00–18:00, busiest in the morning. */
function daypartMinute(random: Random): number {
  const [from, to] = random.weighted([
    [[7 * 60, 11 * 60], 45],
    [[11 * 60, 14 * 60], 30],
    [[14 * 60, 17 * 60], 20],
    [[17 * 60, 18 * 60], 5],
  ] as const);
  return random.int(from, to - 1);
}

function clampMinute(minute: number): number {
  return Math.min(Math.max(Math.round(minute), 6 * 60 + 30), 17 * 60);
}

export function seedSummaryLine(summary: SeedSummary): string {
  const p = summary.personas;
  return (
    `${summary.shop.info.myshopifyDomain}: ${summary.customers} customers (${p.weekdayRegular} weekday regulars, ` +
    `${p.weekendRegular} weekend, ${p.occasional} occasional, ${p.online} online), ${summary.orders} orders ` +
    `(${summary.guestOrders} guests, ${summary.cancelledOrders} cancelled, ${summary.refundedOrders} refunded)`
  );
}

