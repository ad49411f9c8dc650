import { fromCents } from "../../standin/money";
import type { DaypartLabel } from "./dayparts";
import type { DuplicateTruth } from "./duplicates";
import { hasPlantedPartner, type SimOrder } from "./history";
import { PARTNER_PASTRY, PARTNER_SHARE } from "./menu";
import type { SimCustomer } from "./population";
import { RETURN_WINDOWS, returnWithinDays, truePattern, visitsPerWeek, type Persona, type ReturnWindow } from "./rhythms";

/**
 * What the generator planted, for tests and benchmarks to check the analytics
 * against. Patterns and return probabilities come from each customer's rhythm
 * (exact, see `rhythms.ts`); counts and money from the orders generated.
 * Money is a decimal string; cancelled orders are left out of `orders` and
 * `spend`, and refunds of the others are reported beside them, not netted.
 */

export interface CustomerTruth {
  id: string;
  email: string;
  persona: Persona;
  /** The daypart label most of their visits carry. */
  pattern: DaypartLabel;
  /** Long-run share of their visits that carry it. */
  patternShare: number;
  /** P(the next visit comes within N local days of a visit), N = 7, 12, 30. */
  returnWithin: Record<`${ReturnWindow}`, number>;
  rhythm: { weekdays: number[]; visitProbability: number; lapseProbability: number; visitsPerWeek: number };
  member: boolean;
  /** Still coming at the end of the window (their last visit was not their final one). */
  active: boolean;
  orders: number;
  spend: string;
  cancelledOrders: number;
  refunded: string;
  /** Distinct (local day, location) pairs of their orders; online deliveries count as one place. */
  visits: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  /** The SKU of the pastry planted as their usual drink's partner (commuters and students); null for the others. */
  partner: string | null;
}

export interface GroundTruth {
  shop: { domain: string; timezone: string; currency: string; locations: { id: string; name: string }[] };
  window: { from: string; until: string; days: number };
  generator: { seed: string; members: number; guestsShare: number };
  returnWindows: readonly ReturnWindow[];
  summary: {
    customers: number;
    members: number;
    /** Every order placed: guests' and cancelled ones included (one row each in the orders table). */
    orders: number;
    guestOrders: number;
    cancelledOrders: number;
    /** Orders with a partial refund after the sale. */
    refundedOrders: number;
    webOrders: number;
    /** Totals of the orders that were not cancelled. */
    sales: string;
    /** Partial refunds of those orders. */
    refunded: string;
    personas: Record<Persona, { customers: number; orders: number }>;
    patterns: Partial<Record<DaypartLabel, number>>;
  };
  customers: CustomerTruth[];
  /** Planted duplicate records, hard negatives and card scans (duplicates.ts). */
  duplicates: DuplicateTruth;
  /** The planted item affinity: drink SKU → partner pastry SKU, added to that share of a carrier's visits. */
  affinity: { share: number; partners: Record<string, string> };
}

export interface TruthInput {
  shop: GroundTruth["shop"];
  window: GroundTruth["window"];
  generator: GroundTruth["generator"];
  customers: readonly SimCustomer[];
  orders: readonly SimOrder[];
  /** Customers whose rhythm ended inside the window. */
  lapsed: ReadonlySet<number>;
  duplicates?: DuplicateTruth;
}

interface Tally {
  orders: number;
  spendCents: number;
  cancelled: number;
  refundedCents: number;
  visits: Set<string>;
  first: number | null;
  last: number | null;
}

export function groundTruth(input: TruthInput): GroundTruth {
  const tallies = input.customers.map((): Tally => ({ orders: 0, spendCents: 0, cancelled: 0, refundedCents: 0, visits: new Set(), first: null, last: null }));
  const personas: GroundTruth["summary"]["personas"] = {
    commuter: { customers: 0, orders: 0 },
    bruncher: { customers: 0, orders: 0 },
    student: { customers: 0, orders: 0 },
    irregular: { customers: 0, orders: 0 },
  };
  let guestOrders = 0;
  let cancelledOrders = 0;
  let refundedOrders = 0;
  let webOrders = 0;
  let salesCents = 0;
  let refundedCents = 0;
  for (const order of input.orders) {
    if (order.channel === "web") webOrders++;
    if (order.cancellation) cancelledOrders++;
    if (order.refund) refundedOrders++;
    if (!order.cancellation) {
      salesCents += order.totalCents;
      refundedCents += order.refund?.amountCents ?? 0;
    }
    if (order.customerIndex === null) {
      guestOrders++;
      continue;
    }
    const tally = tallies[order.customerIndex];
    const customer = input.customers[order.customerIndex];
    if (!tally || !customer) continue;
    if (order.cancellation) {
      tally.cancelled++;
      continue;
    }
    personas[customer.persona].orders++;
    tally.orders++;
    tally.spendCents += order.totalCents;
    tally.refundedCents += order.refund?.amountCents ?? 0;
    tally.visits.add(`${order.dayIndex}:${order.locationIndex ?? "online"}`);
    tally.first ??= order.at;
    tally.last = order.at;
  }
  const patterns: GroundTruth["summary"]["patterns"] = {};
  const customers = input.customers.map((customer): CustomerTruth => {
    const tally = tallies[customer.index] ?? { orders: 0, spendCents: 0, cancelled: 0, refundedCents: 0, visits: new Set(), first: null, last: null };
    const pattern = truePattern(customer.rhythm);
    personas[customer.persona].customers++;
    patterns[pattern.label] = (patterns[pattern.label] ?? 0) + 1;
    return {
      id: customer.id,
      email: customer.email,
      persona: customer.persona,
      pattern: pattern.label,
      patternShare: pattern.share,
      returnWithin: { "7": returnWithinDays(customer.rhythm, 7), "12": returnWithinDays(customer.rhythm, 12), "30": returnWithinDays(customer.rhythm, 30) },
      rhythm: {
        weekdays: customer.rhythm.weekdays,
        visitProbability: customer.rhythm.visitProbability,
        lapseProbability: customer.rhythm.lapseProbability,
        visitsPerWeek: visitsPerWeek(customer.rhythm),
      },
      member: customer.memberSince !== null,
      active: !input.lapsed.has(customer.index),
      orders: tally.orders,
      spend: fromCents(tally.spendCents),
      cancelledOrders: tally.cancelled,
      refunded: fromCents(tally.refundedCents),
      visits: tally.visits.size,
      firstOrderAt: tally.first === null ? null : new Date(tally.first).toISOString(),
      lastOrderAt: tally.last === null ? null : new Date(tally.last).toISOString(),
      partner: hasPlantedPartner(customer) ? (PARTNER_PASTRY[customer.usualDrink.sku] ?? null) : null,
    };
  });
  return {
    shop: input.shop,
    window: input.window,
    generator: input.generator,
    returnWindows: RETURN_WINDOWS,
    summary: {
      customers: customers.length,
      members: customers.filter((customer) => customer.member).length,
      orders: input.orders.length,
      guestOrders,
      cancelledOrders,
      refundedOrders,
      webOrders,
      sales: fromCents(salesCents),
      refunded: fromCents(refundedCents),
      personas,
      patterns,
    },
    customers,
    duplicates: input.duplicates ?? { pairs: [], hardNegatives: [], cardScans: [] },
    affinity: { share: PARTNER_SHARE, partners: { ...PARTNER_PASTRY } },
  };
}
