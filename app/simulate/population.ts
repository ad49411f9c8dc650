import { usualOrder, type Catalogue, type CatalogueItem } from "./baskets";
import { localInstant, type LocalDay } from "./calendar";
import type { IdAllocator } from "./ids";
import { FIRST_NAMES, LAST_NAMES } from "./menu";
import type { Random } from "./random";
import { drawRhythm, type Persona, type Rhythm } from "./rhythms";

/**
 * The cafe's known customers (those with a customer record): who they are,
 * which rhythm they follow, and when they joined the membership, if they did.
 * Walk-in guests without a record are added per day by `history.ts`.
 */

export interface SimCustomer {
  index: number;
  /** Shopify's numeric customer id, as text. */
  id: string;
  persona: Persona;
  rhythm: Rhythm;
  firstName: string;
  lastName: string;
  email: string;
  phone: string | null;
  /** When the customer record was created (ms, whole seconds). */
  createdAt: number;
  /** First day of the window (its index) on which the rhythm runs; 0 for customers who came before it. */
  startDay: number;
  /** Index of the location they usually visit. */
  homeLocation: number;
  usualDrink: CatalogueItem;
  usualPastry: CatalogueItem;
  /** Share of visits ordered ahead online, for pickup. */
  orderAheadShare: number;
  /** Buys beans online now and then instead of visiting. */
  beanBuyer: boolean;
  /** When they joined the membership (the "member" tag); null if they never did. */
  memberSince: number | null;
  emailConsent: "subscribed" | "not_subscribed";
  smsConsent: "subscribed" | "not_subscribed" | null;
}

const PERSONA_WEIGHTS: readonly (readonly [Persona, number])[] = [
  ["commuter", 30],
  ["bruncher", 15],
  ["student", 15],
  ["irregular", 40],
];

const MEMBER_SHARE: Record<Persona, number> = { commuter: 0.5, bruncher: 0.25, student: 0.25, irregular: 0.1 };
const ORDER_AHEAD: Record<Persona, number> = { commuter: 0.08, bruncher: 0.02, student: 0.05, irregular: 0.03 };
/** Share of customers who were already coming when the window opens; the rest arrive during it. */
const ESTABLISHED_SHARE = 0.55;
const DAY_MS = 86_400_000;

export interface PopulationInput {
  count: number;
  days: readonly LocalDay[];
  locations: number;
  timeZone: string;
  catalogue: Catalogue;
  random: Random;
  ids: IdAllocator;
  until: number;
}

export function drawPopulation(input: PopulationInput): SimCustomer[] {
  const { random, catalogue, days } = input;
  const firstDay = days[0];
  if (!firstDay) return [];
  const windowStart = localInstant(firstDay, 0, 0, input.timeZone).getTime();
  return Array.from({ length: input.count }, (_, index): SimCustomer => {
    const persona = random.weighted(PERSONA_WEIGHTS);
    const rhythm = drawRhythm(persona, random);
    const established = days.length === 1 || random.chance(ESTABLISHED_SHARE);
    const startDay = established ? 0 : random.int(1, days.length - 1);
    const startLocalDay = days[startDay] ?? firstDay;
    // Before the cafe opens on their first day, so the record exists before their first order.
    const createdAt = Math.min(
      established
        ? windowStart - random.int(1, 730) * DAY_MS + random.int(8 * 3600, 18 * 3600) * 1000
        : localInstant(startLocalDay, random.int(6 * 60, 6 * 60 + 59), random.int(0, 59), input.timeZone).getTime(),
      // A window may end before the cafe opens on its last day; nobody is created after it.
      Math.floor(input.until / 1000) * 1000,
    );
    const firstName = random.pick(FIRST_NAMES);
    const lastName = random.pick(LAST_NAMES);
    const hasPhone = random.chance(0.6);
    return {
      index,
      id: String(input.ids.next("Customer")),
      persona,
      rhythm,
      firstName,
      lastName,
      email: `${firstName}.${lastName}.${index + 1}@example.com`.toLowerCase(),
      phone: hasPhone ? `+447700${String(900000 + index).padStart(6, "0")}` : null,
      createdAt,
      startDay,
      homeLocation: input.locations === 1 || random.chance(0.75) ? 0 : random.int(1, input.locations - 1),
      ...usualOrder(random, catalogue),
      orderAheadShare: ORDER_AHEAD[persona],
      beanBuyer: persona === "irregular" && random.chance(0.15),
      memberSince: random.chance(MEMBER_SHARE[persona]) ? memberSince(random, createdAt, established, windowStart, input.until) : null,
      emailConsent: random.chance(persona === "commuter" ? 0.7 : 0.5) ? "subscribed" : "not_subscribed",
      smsConsent: hasPhone ? (random.chance(0.25) ? "subscribed" : "not_subscribed") : null,
    };
  });
}

/** Half of the established members joined before the window; everyone else at some moment inside it. */
function memberSince(random: Random, createdAt: number, established: boolean, windowStart: number, until: number): number {
  if (established && random.chance(0.5)) return createdAt;
  const from = Math.max(createdAt, windowStart);
  return from + Math.floor(random.next() * Math.max(0, until - from) / 1000) * 1000;
}
