import { addDays, localDateOf } from "../analytics/local-dates";
import type { Database } from "../db/prisma.server";
import { PickupError } from "./errors";
import { localDateText } from "./hours";
import { holdItems, type HoldItem } from "./holds.server";
import { listMenu, listPickupLocations, type MenuItem, type PickupLocation } from "./settings.server";
import { listSlots, shopTimeZone } from "./slots.server";
import { menuSuggestions, type MenuSuggestion } from "../recommend/order-ahead.server";

/**
 * What the storefront's order-ahead page shows: the locations that take
 * orders ahead, the menu, the next open slots of the chosen location (today,
 * or the next day that has any), and a logged-in member's hold still running.
 */

/** How many days ahead the page looks for a day with open slots. */
const DAYS_TO_SEARCH = 7;
/** At most this many slots are offered at once. */
const SLOTS_SHOWN = 16;

export interface OfferedSlot {
  start: string;
  label: string;
  /** Shop-local date, YYYY-MM-DD. */
  date: string;
  ordersLeft: number | null;
}

export interface RunningHold {
  id: string;
  slotStart: string;
  slotLabel: string;
  expiresAt: string;
  checkoutUrl: string | null;
  items: HoldItem[];
}

export interface OrderAheadPage {
  shopName: string;
  currency: string;
  timezone: string;
  locations: PickupLocation[];
  location: PickupLocation | null;
  menu: MenuItem[];
  slots: OfferedSlot[];
  loggedIn: boolean;
  hold: RunningHold | null;
  /** The member's personal suggestions that are on this menu (app/recommend/), best first. */
  suggestions?: MenuSuggestion[];
}

/** How far before an invited slot the page starts listing. */
const PREFERRED_SLOT_CONTEXT_MS = 30 * 60_000;

export async function loadOrderAheadPage(
  db: Database,
  input: { shop: string; customerId: string | null; locationId?: string; now?: Date; preferredSlot?: Date },
): Promise<OrderAheadPage> {
  const now = input.now ?? new Date();
  const [shop, timezone, locations, menu] = await Promise.all([
    db.shop.findUnique({ where: { domain: input.shop }, select: { name: true, currency: true } }),
    shopTimeZone(db, input.shop),
    listPickupLocations(db, input.shop, { enabledOnly: true }),
    listMenu(db, input.shop),
  ]);
  const location = locations.find((candidate) => candidate.locationId === input.locationId) ?? locations[0] ?? null;
  const slots = location ? await nextOpenSlots(db, input.shop, location.locationId, timezone, now, input.preferredSlot) : [];
  const hold = input.customerId ? await runningHold(db, input.shop, input.customerId, timezone, now) : null;
  const available = menu.filter((item) => item.available);
  const suggestions = input.customerId ? await menuSuggestions(db, input.shop, input.customerId, available) : [];
  return {
    shopName: shop?.name ?? input.shop,
    currency: shop?.currency ?? "",
    timezone,
    locations,
    location,
    menu: available,
    slots,
    loggedIn: input.customerId !== null,
    hold,
    suggestions,
  };
}

/**
 * The first day with open slots, from today; or, for an invitation naming a
 * slot (`?slot=`), from that slot's day, starting half an hour before it so
 * the member sees it among its neighbours.
 */
async function nextOpenSlots(db: Database, shop: string, locationId: string, timezone: string, now: Date, preferred?: Date): Promise<OfferedSlot[]> {
  const today = localDateOf(now, timezone);
  const wanted = preferred && preferred.getTime() > now.getTime() ? preferred : undefined;
  const firstDay = wanted ? localDateOf(wanted, timezone) : today;
  const earliest = wanted ? wanted.getTime() - PREFERRED_SLOT_CONTEXT_MS : 0;
  for (let day = 0; day < DAYS_TO_SEARCH; day++) {
    const date = localDateText(addDays(firstDay, day));
    try {
      const table = await listSlots(db, { shop, locationId, date, now });
      const open = table.slots.filter((slot) => slot.open && slot.start.getTime() >= earliest).slice(0, SLOTS_SHOWN);
      if (open.length > 0) return open.map((slot) => ({ start: slot.start.toISOString(), label: slot.label, date, ordersLeft: slot.ordersLeft }));
    } catch (error) {
      if (error instanceof PickupError) return [];
      throw error;
    }
  }
  return [];
}

async function runningHold(db: Database, shop: string, customerId: string, timezone: string, now: Date): Promise<RunningHold | null> {
  const row = await db.pickupHold.findFirst({
    where: { shop, customerId, status: "held", expiresAt: { gt: now } },
    orderBy: { createdAt: "desc" },
  });
  if (!row) return null;
  const label = new Intl.DateTimeFormat("en-GB", { timeZone: timezone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(row.slotStart);
  return { id: row.id, slotStart: row.slotStart.toISOString(), slotLabel: label, expiresAt: row.expiresAt.toISOString(), checkoutUrl: row.checkoutUrl, items: holdItems(row.items) };
}
