import { z } from "zod";
import { buildCatalogue, type Catalogue } from "./baskets";
import { daysInMonthsBefore, localDays, type LocalDay } from "./calendar";
import { groundTruth, type GroundTruth } from "./ground-truth";
import { generateHistory, type SimOrder } from "./history";
import { createIdAllocator, type IdAllocator } from "./ids";
import { locationName } from "./menu";
import { createProfileSwitch, planDuplicates, secondRecords } from "./duplicates";
import { drawPopulation, type SimCustomer } from "./population";
import { createRandom } from "./random";

/**
 * `simulateCafe`: a whole cafe history from a seed — customers with rhythms,
 * guests, orders across locations and channels — plus the ground truth it
 * planted. Pure: the same options give the same simulation, byte for byte.
 */

const shopDomain = z.string().regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, "must be a SHOP.myshopify.com domain");

export const ianaTimeZone = z.string().refine(isTimeZone, "must be an IANA time zone such as Europe/London");

export const simulateOptions = z.object({
  seed: z.union([z.string().min(1), z.number()]).transform(String),
  shop: shopDomain,
  /** Local days of history, ending with the local day that contains `until`; or give `months`. */
  days: z.number().int().min(1).max(3660).optional(),
  /** Calendar months of history before `until` (instead of `days`). */
  months: z.number().int().min(1).max(120).optional(),
  /** The end of the history: nothing later happens. */
  until: z.date(),
  /** Customers with a customer record (some of whom join the membership). */
  members: z.number().int().min(0).max(1_000_000),
  /** Share of orders placed by walk-in guests without a customer record. */
  guestsShare: z.number().min(0).max(0.95).default(0.2),
  locations: z.number().int().min(1).max(20).default(2),
  timezone: ianaTimeZone.default("Europe/London"),
  currency: z.string().regex(/^[A-Z]{3}$/, "must be a three-letter ISO 4217 code").default("GBP"),
  /** Share of people who keep a second customer record (duplicates.ts); 0 plants none. */
  duplicateShare: z.number().min(0).max(0.5).default(0.03),
})
  .refine((options) => (options.days === undefined) !== (options.months === undefined), { message: "give either days or months", path: ["days"] })
  .transform(({ months, ...options }) => ({ ...options, days: options.days ?? daysInMonthsBefore(options.until, months ?? 1, options.timezone) }));

export type SimulateOptions = z.input<typeof simulateOptions>;
export type SimulateSettings = z.output<typeof simulateOptions>;

export interface SimLocation {
  index: number;
  id: string;
  name: string;
}

export interface Simulation {
  settings: SimulateSettings;
  days: LocalDay[];
  locations: SimLocation[];
  catalogue: Catalogue;
  customers: SimCustomer[];
  /** In time order; `order.index` is the position here. */
  orders: SimOrder[];
  groundTruth: GroundTruth;
}

export function simulateCafe(options: SimulateOptions, ids: IdAllocator = createIdAllocator()): Simulation {
  const settings = simulateOptions.parse(options);
  const stream = (part: string) => createRandom(`${settings.seed}:${settings.shop}:${part}`);
  const until = settings.until.getTime();
  const days = localDays(settings.until, settings.days, settings.timezone);
  const locations = Array.from({ length: settings.locations }, (_, index) => ({ index, id: String(ids.next("Location")), name: locationName(index) }));
  const catalogue = buildCatalogue(ids);
  const population = drawPopulation({
    count: settings.members,
    days,
    locations: settings.locations,
    timeZone: settings.timezone,
    catalogue,
    random: stream("population"),
    ids,
    until,
  });
  // Planted duplicate records and look-alikes (duplicates.ts), from streams of their own.
  const planted = planDuplicates(population, stream("duplicates"), settings.duplicateShare);
  const profiles = createProfileSwitch(planted, stream("profiles"), until);
  const history = generateHistory({
    days,
    customers: planted.customers,
    catalogue,
    locations: settings.locations,
    timeZone: settings.timezone,
    guestsShare: settings.guestsShare,
    until,
    random: stream("visits"),
    affinity: stream("affinities"),
    ids,
    profiles,
  });
  const duplicates = secondRecords(planted, profiles, history.orders, {
    ids,
    random: stream("second-records"),
    timeZone: settings.timezone,
    locationIds: locations.map((location) => location.id),
    lapsed: history.lapsed,
  });
  const customers = duplicates.customers;
  const first = days[0];
  const truth = groundTruth({
    shop: { domain: settings.shop, timezone: settings.timezone, currency: settings.currency, locations: locations.map(({ id, name }) => ({ id, name })) },
    window: { from: first ? `${first.year}-${pad(first.month)}-${pad(first.day)}` : "", until: settings.until.toISOString(), days: settings.days },
    generator: { seed: settings.seed, members: settings.members, guestsShare: settings.guestsShare },
    customers,
    orders: history.orders,
    lapsed: duplicates.lapsed,
    duplicates: duplicates.truth,
  });
  return { settings, days, locations, catalogue, customers, orders: history.orders, groundTruth: truth };
}

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: value });
    return value.includes("/") || value === "UTC";
  } catch {
    return false;
  }
}
