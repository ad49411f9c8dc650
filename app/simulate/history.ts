import type { Channel } from "../sync/types";
import {
  basketCents,
  brunchBasket,
  commuterBasket,
  onlineRetailBasket,
  refundCents,
  studentBasket,
  walkInBasket,
  withMemberDiscount,
  withPartners,
  type BasketLine,
  type Catalogue,
} from "./baskets";
import { localInstant, type LocalDay } from "./calendar";
import { OPEN_MINUTES } from "./dayparts";
import type { ProfileSwitch } from "./duplicates";
import type { IdAllocator } from "./ids";
import type { SimCustomer } from "./population";
import type { Random } from "./random";
import { visitMinute } from "./rhythms";
import { assertNever } from "../lib/assert-never";

/**
 * The orders: each day, every customer still coming may visit (their rhythm
 * decides), then walk-in guests fill the till up to the guest share. A few
 * sales are voided and rung up again, a few partly refunded, online orders are
 * collected or shipped later. Nothing that would happen after `until` is kept.
 */

export interface SimLine {
  /** Shopify's numeric line item id, as text. */
  id: string;
  item: BasketLine["item"];
  quantity: number;
  discountCents: number;
}

export interface SimRefund {
  id: string;
  at: number;
  transactionId: number;
  lines: { lineIndex: number; quantity: number; refundLineId: number }[];
  amountCents: number;
}

export interface SimOrder {
  index: number;
  id: string;
  /** Shopify's order number: #1001, #1002, … in time order. */
  number: number;
  customerIndex: number | null;
  dayIndex: number;
  /** The local wall-clock second of the day it was rung up at (08:30:15 → 30615). */
  localSecond: number;
  /** When it was placed (ms, whole seconds). */
  at: number;
  locationIndex: number | null;
  channel: Channel;
  /** "HH:MM" for an order-ahead pickup. */
  pickupAt: string | null;
  lines: SimLine[];
  totalCents: number;
  discountCents: number;
  /** Collected (pickup) or shipped (online retail): a later orders/updated. */
  fulfilledAt: number | null;
  /** A partial refund after the sale. */
  refund: SimRefund | null;
  /** Voided at the till: refunded in full, and rung up again as the next order. */
  cancellation: { at: number; reason: "customer" | "other"; refund: SimRefund } | null;
}

export interface HistoryInput {
  days: readonly LocalDay[];
  customers: readonly SimCustomer[];
  catalogue: Catalogue;
  locations: number;
  timeZone: string;
  guestsShare: number;
  until: number;
  random: Random;
  /** Draws of the planted item affinity, apart from `random` (menu.ts PARTNER_PASTRY). */
  affinity: Random;
  ids: IdAllocator;
  /** Which customer record each visit is filed under (planted duplicates, duplicates.ts); the person's own without it. */
  profiles?: ProfileSwitch;
}

interface Draft {
  customerIndex: number | null;
  dayIndex: number;
  localSecond: number;
  at: number;
  locationIndex: number | null;
  channel: Channel;
  pickupAt: string | null;
  lines: BasketLine[];
  fulfilledAt: number | null;
  refundAt: number | null;
  cancellation: { at: number; reason: "customer" | "other" } | null;
}

const CANCEL_RATE = 0.012;
const REFUND_RATE = 0.02;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export interface History {
  orders: SimOrder[];
  /** Indexes of customers whose last visit came inside the window. */
  lapsed: Set<number>;
}

export function generateHistory(input: HistoryInput): History {
  const { random, customers } = input;
  const lapsed = new Set<number>();
  const guestRatio = input.guestsShare / (1 - input.guestsShare);
  const drafts: Draft[] = [];
  for (const day of input.days) {
    const today: Draft[] = [];
    for (const customer of customers) {
      if (lapsed.has(customer.index) || customer.startDay > day.index) continue;
      if (!customer.rhythm.weekdays.includes(day.weekday) || !random.chance(customer.rhythm.visitProbability)) continue;
      const visit = filedUnder(input, customerVisit(input, customer, day));
      today.push(...visit);
      const lapses = random.chance(customer.rhythm.lapseProbability);
      if (lapses && (visit[0]?.at ?? Infinity) <= input.until) lapsed.add(customer.index);
    }
    const guests = Math.round(today.length * guestRatio * random.float(0.85, 1.15));
    for (let i = 0; i < guests; i++) today.push(...guestVisit(input, day));
    today.sort((a, b) => a.at - b.at);
    for (const draft of today) if (draft.at <= input.until) drafts.push(draft);
  }
  return { orders: drafts.map((draft, index) => numbered(input, draft, index)), lapsed };
}

function customerVisit(input: HistoryInput, customer: SimCustomer, day: LocalDay): Draft[] {
  const { random, catalogue } = input;
  const localMinute = visitMinute(customer.rhythm, random);
  const second = random.int(0, 59);
  const at = localInstant(day, localMinute, second, input.timeZone).getTime();
  const usual = { drink: customer.usualDrink, pastry: customer.usualPastry };
  const member = customer.memberSince !== null && customer.memberSince <= at;
  const discounted = (lines: BasketLine[]) => (member && random.chance(0.25) ? withMemberDiscount(lines) : lines);
  const base = { customerIndex: customer.index, dayIndex: day.index, localSecond: localMinute * 60 + second, at };
  if (customer.beanBuyer && random.chance(0.6)) {
    const shipped = at + random.int(1, 3) * DAY_MS + random.int(0, 3600) * 1000;
    return withAftermath(input, { ...base, locationIndex: null, channel: "web", pickupAt: null, lines: discounted(onlineRetailBasket(random, catalogue)), fulfilledAt: shipped });
  }
  const orderAhead = random.chance(customer.orderAheadShare);
  const locationIndex = random.chance(0.9) ? customer.homeLocation : random.int(0, input.locations - 1);
  const lines = discounted(plantedAffinity(input, personaBasket(customer, random, catalogue, usual)));
  if (orderAhead) {
    const pickupMinute = localMinute + 15;
    const collected = at + (15 + random.int(0, 10)) * MINUTE_MS;
    return withAftermath(input, { ...base, locationIndex, channel: "web", pickupAt: clock(pickupMinute), lines, fulfilledAt: collected });
  }
  return withAftermath(input, { ...base, locationIndex, channel: "pos", pickupAt: null, lines, fulfilledAt: null });
}

function personaBasket(customer: SimCustomer, random: Random, catalogue: Catalogue, usual: { drink: BasketLine["item"]; pastry: BasketLine["item"] }): BasketLine[] {
  switch (customer.persona) {
    case "commuter":
      return commuterBasket(random, catalogue, usual);
    case "bruncher":
      return brunchBasket(random, catalogue);
    case "student":
      return studentBasket(random, catalogue, usual);
    case "irregular":
      return walkInBasket(random, catalogue);
    default:
      return assertNever(customer.persona, "persona");
  }
}

/** Every drink on a ticket may bring its planted partner pastry (menu.ts PARTNER_PASTRY), whoever orders it. */
function plantedAffinity(input: HistoryInput, lines: BasketLine[]): BasketLine[] {
  return withPartners(input.affinity, input.catalogue, lines);
}

/** Commuters and students order their usual drink (nearly) every visit, so they carry its partner as a habit; the ground truth names it. */
export function hasPlantedPartner(customer: SimCustomer): boolean {
  return customer.persona === "commuter" || customer.persona === "student";
}

/** A planted duplicate's visit may be filed under their second record. */
function filedUnder(input: HistoryInput, visit: Draft[]): Draft[] {
  const first = visit[0];
  if (!input.profiles || !first || first.customerIndex === null) return visit;
  const customerIndex = input.profiles.profileFor(first.customerIndex, first);
  return customerIndex === first.customerIndex ? visit : visit.map((draft) => ({ ...draft, customerIndex }));
}

/** Walk-ins without a customer record: busiest in the morning, always at the counter. */
function guestVisit(input: HistoryInput, day: LocalDay): Draft[] {
  const { random } = input;
  const [from, to] = OPEN_MINUTES[random.weighted([["morning", 45], ["midday", 30], ["afternoon", 20], ["evening", 5]] as const)];
  const localMinute = random.int(from, to - 1);
  const second = random.int(0, 59);
  const at = localInstant(day, localMinute, second, input.timeZone).getTime();
  const locationIndex = input.locations === 1 || random.chance(0.7) ? 0 : random.int(0, input.locations - 1);
  const lines = plantedAffinity(input, walkInBasket(random, input.catalogue));
  const localSecond = localMinute * 60 + second;
  return withAftermath(input, { customerIndex: null, dayIndex: day.index, localSecond, at, locationIndex, channel: "pos", pickupAt: null, lines, fulfilledAt: null });
}

type Sale = Omit<Draft, "refundAt" | "cancellation">;

/**
 * A till void is rung up again a couple of minutes later, so the visit stands;
 * otherwise now and then one item is refunded. Changes after `until` have not
 * happened yet and are left out.
 */
function withAftermath(input: HistoryInput, sale: Sale): Draft[] {
  const { random, until } = input;
  const fulfilledAt = sale.fulfilledAt !== null && sale.fulfilledAt <= until ? sale.fulfilledAt : null;
  const draft: Draft = { ...sale, fulfilledAt, refundAt: null, cancellation: null };
  if (sale.channel === "pos" && random.chance(CANCEL_RATE)) {
    const reason = random.chance(0.8) ? "customer" : "other";
    const again = sale.at + random.int(120, 240) * 1000;
    if (again > until) return [draft];
    const replacement: Draft = { ...draft, at: again, localSecond: sale.localSecond + (again - sale.at) / 1000 };
    return [{ ...draft, cancellation: { at: again, reason } }, replacement];
  }
  if (random.chance(REFUND_RATE)) {
    let refundAt = sale.at + random.int(60, 7200) * 1000;
    if (refundAt === fulfilledAt) refundAt += 1000;
    if (refundAt <= until) draft.refundAt = refundAt;
  }
  return [draft];
}

function numbered(input: HistoryInput, draft: Draft, index: number): SimOrder {
  const { ids } = input;
  const lines: SimLine[] = draft.lines.map((entry) => ({ id: String(ids.next("LineItem")), item: entry.item, quantity: entry.quantity, discountCents: entry.discountCents }));
  const refundOf = (at: number, wanted: { lineIndex: number; quantity: number }[]): SimRefund => ({
    id: String(ids.next("Refund")),
    at,
    transactionId: ids.next("Refund") * 10,
    lines: wanted.map((want) => ({ ...want, refundLineId: ids.next("Refund") })),
    amountCents: wanted.reduce((sum, want) => sum + refundCents(draft.lines[want.lineIndex] ?? missingLine(), want.quantity), 0),
  });
  return {
    index,
    id: String(ids.next("Order")),
    number: 1001 + index,
    customerIndex: draft.customerIndex,
    dayIndex: draft.dayIndex,
    localSecond: draft.localSecond,
    at: draft.at,
    locationIndex: draft.locationIndex,
    channel: draft.channel,
    pickupAt: draft.pickupAt,
    lines,
    totalCents: basketCents(draft.lines),
    discountCents: draft.lines.reduce((sum, entry) => sum + entry.discountCents, 0),
    fulfilledAt: draft.fulfilledAt,
    refund: draft.refundAt === null ? null : refundOf(draft.refundAt, [{ lineIndex: 0, quantity: 1 }]),
    cancellation:
      draft.cancellation === null
        ? null
        : {
            at: draft.cancellation.at,
            reason: draft.cancellation.reason,
            refund: refundOf(draft.cancellation.at, draft.lines.map((entry, lineIndex) => ({ lineIndex, quantity: entry.quantity }))),
          },
  };
}

function missingLine(): never {
  throw new Error("refund of a line the order does not have");
}

function clock(minuteOfDay: number): string {
  return `${String(Math.floor(minuteOfDay / 60)).padStart(2, "0")}:${String(minuteOfDay % 60).padStart(2, "0")}`;
}
