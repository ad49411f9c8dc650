import type { RecipientDecision } from "./decision";
import { addDays, instantAt, localDateOf } from "./local-clock";
import { LOCATION_NAME_MAX_CHARS } from "./notification";

/**
 * The "order ahead" invitation (offer type `order-ahead`), pure: who is a
 * peak visitor, and which pickup slot their invitation names. Eligibility
 * (consent, caps, quiet hours, timing) has already decided whether and when
 * the member may be messaged; this only adds the pickup side:
 *
 * 1. The member's pickup location is the pickup-enabled location of most of
 *    their recent visits. No visit at one: `no-pickup-location`.
 * 2. Their visits cluster in the peak when at least MIN_PEAK_VISITS of their
 *    visits there, and at least MIN_PEAK_VISIT_SHARE of them, began in the
 *    location's peak hours (app/pickup/metrics.ts). Otherwise:
 *    `not-peak-visitor`.
 * 3. The slot: on the visit the invitation is timed before (their usual time,
 *    the first one after the send time), among slots within SLOT_WINDOW_MINUTES
 *    of it that are open, not full, and still orderable when the invitation
 *    arrives (start ≥ send time + the location's lead time). Quiet slots come
 *    first (under QUIET_UTILISATION of capacity used), then the nearest to the
 *    usual time, then the least used, then the earlier. None:
 *    `no-pickup-capacity`.
 *
 * An invitation holds no place (only a hold does), so invitations already
 * pointed at a slot in the same pass count towards its use when ranking:
 * a batch of invitations spreads over the quiet slots instead of all naming
 * the same one. Whether a slot is full counts real places only.
 */

export const ORDER_AHEAD_SKIP_REASONS = ["no-pickup-location", "not-peak-visitor", "no-pickup-capacity"] as const;
export type OrderAheadSkipReason = (typeof ORDER_AHEAD_SKIP_REASONS)[number];

/** Peak hours are read from this many days of orders before today. */
export const PEAK_LOOKBACK_DAYS = 28;
/** A member's visits are read this far back. */
export const MEMBER_LOOKBACK_DAYS = 56;
export const MIN_PEAK_VISITS = 3;
export const MIN_PEAK_VISIT_SHARE = 0.5;
/** Slots this close to the member's usual time are considered. */
export const SLOT_WINDOW_MINUTES = 30;
/** A slot with less than this share of its capacity used is quiet. */
export const QUIET_UTILISATION = 0.5;

const MINUTE_MS = 60_000;

export interface MemberVisit {
  locationKey: string;
  /** Local minute of the day of the visit's first order. */
  localMinute: number;
}

export interface SlotOption {
  start: Date;
  /** Shop-local "HH:MM". */
  label: string;
  open: boolean;
  orders: number;
  items: number;
}

export interface PickupPlace {
  locationId: string;
  name: string;
  leadMinutes: number;
  capacityOrders: number | null;
  capacityItems: number | null;
  /** Peak hours (local 0–23) of the location. */
  peakHours: readonly number[];
  /** The slot table per shop-local date (YYYY-MM-DD). */
  days: ReadonlyMap<string, readonly SlotOption[]>;
}

/** What a pass knows: the shop's pickup locations and its members' visits and usual times. Mutable `invited` spreads one pass's invitations. */
export interface OrderAheadBook {
  timezone: string;
  places: ReadonlyMap<string, PickupPlace>;
  visits: ReadonlyMap<string, readonly MemberVisit[]>;
  usualMinutes: ReadonlyMap<string, number | null>;
  /** Invitations pointed at each slot in this pass, by `${locationId}|${startMs}`. */
  invited: Map<string, number>;
}

export interface Placement {
  ok: true;
  locationId: string;
  locationName: string;
  slotStart: Date;
  slotLabel: string;
}

export type PlacementResult = Placement | { ok: false; reason: OrderAheadSkipReason };

/** The member's pickup location and their peak visits there, or why they are not a peak visitor. */
export function peakLocationOf(
  visits: readonly MemberVisit[],
  places: ReadonlyMap<string, Pick<PickupPlace, "peakHours">>,
): { ok: true; locationId: string; peakMinutes: number[] } | { ok: false; reason: "no-pickup-location" | "not-peak-visitor" } {
  const byLocation = new Map<string, MemberVisit[]>();
  for (const visit of visits) {
    if (!places.has(visit.locationKey)) continue;
    byLocation.set(visit.locationKey, [...(byLocation.get(visit.locationKey) ?? []), visit]);
  }
  const ranked = [...byLocation.entries()].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  const [first] = ranked;
  if (!first) return { ok: false, reason: "no-pickup-location" };
  const [locationId, atLocation] = first;
  const peakHours = places.get(locationId)?.peakHours ?? [];
  const peakMinutes = atLocation.filter((visit) => peakHours.includes(Math.floor(visit.localMinute / 60))).map((visit) => visit.localMinute);
  if (peakMinutes.length < MIN_PEAK_VISITS || peakMinutes.length < MIN_PEAK_VISIT_SHARE * atLocation.length) return { ok: false, reason: "not-peak-visitor" };
  return { ok: true, locationId, peakMinutes };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : Math.round(((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2);
}

/** The member's usual visit the invitation is timed before: the first one at `minute` at or after the send time. */
export function visitAfter(sendAt: Date, minute: number, timezone: string): Date {
  const day = localDateOf(sendAt, timezone);
  const today = instantAt(day, minute, timezone);
  return today >= sendAt ? today : instantAt(addDays(day, 1), minute, timezone);
}

/** How much of a slot is used, 0–1 (or more with invitations counted): the larger of orders and items against their limits; 0 without limits. */
export function utilisation(slot: Pick<SlotOption, "orders" | "items">, place: Pick<PickupPlace, "capacityOrders" | "capacityItems">, invited = 0): number {
  const shares: number[] = [];
  if (place.capacityOrders !== null && place.capacityOrders > 0) shares.push((slot.orders + invited) / place.capacityOrders);
  if (place.capacityItems !== null && place.capacityItems > 0) shares.push((slot.items + invited) / place.capacityItems);
  return shares.length === 0 ? 0 : Math.max(...shares);
}

/** The slot to name, or null when none near the target has room. */
export function chooseSlot(
  place: PickupPlace,
  target: Date,
  earliest: Date,
  invited: ReadonlyMap<string, number> = new Map(),
  windowMinutes: number = SLOT_WINDOW_MINUTES,
): SlotOption | null {
  const window = windowMinutes * MINUTE_MS;
  const candidates: Array<{ slot: SlotOption; quiet: boolean; distance: number; used: number }> = [];
  for (const slots of place.days.values()) {
    for (const slot of slots) {
      const distance = Math.abs(slot.start.getTime() - target.getTime());
      if (!slot.open || distance > window || slot.start < earliest) continue;
      const used = utilisation(slot, place, invited.get(slotKey(place.locationId, slot.start)) ?? 0);
      candidates.push({ slot, quiet: used < QUIET_UTILISATION, distance, used });
    }
  }
  candidates.sort(
    (a, b) => Number(b.quiet) - Number(a.quiet) || a.distance - b.distance || a.used - b.used || a.slot.start.getTime() - b.slot.start.getTime(),
  );
  return candidates[0]?.slot ?? null;
}

export function slotKey(locationId: string, start: Date): string {
  return `${locationId}|${start.getTime()}`;
}

/** Where and when a member sent an invitation at `sendAt` is invited to pick up. */
export function placeMember(book: OrderAheadBook, customerId: string, sendAt: Date): PlacementResult {
  const peak = peakLocationOf(book.visits.get(customerId) ?? [], book.places);
  if (!peak.ok) return peak;
  const place = book.places.get(peak.locationId);
  if (!place) return { ok: false, reason: "no-pickup-location" };
  const minute = book.usualMinutes.get(customerId) ?? median(peak.peakMinutes);
  const target = visitAfter(sendAt, minute, book.timezone);
  const earliest = new Date(sendAt.getTime() + place.leadMinutes * MINUTE_MS);
  const slot = chooseSlot(place, target, earliest, book.invited);
  if (!slot) return { ok: false, reason: "no-pickup-capacity" };
  return { ok: true, locationId: place.locationId, locationName: place.name, slotStart: slot.start, slotLabel: slot.label };
}

/**
 * The decision pass's step for an order-ahead campaign: every member
 * eligibility let through (treatment or holdout, so both arms are the same
 * people) is placed; one who cannot be is skipped with the reason. Members
 * already skipped by eligibility keep their reason.
 */
export function placeDecisions(book: OrderAheadBook, decisions: readonly RecipientDecision[]): RecipientDecision[] {
  return decisions.map((decision) => {
    const through = decision.status === "scheduled" || decision.skipReason === "holdout";
    if (!through || decision.scheduledFor === null) return decision;
    const placed = placeMember(book, decision.customerId, decision.scheduledFor);
    if (!placed.ok) return { ...decision, variantId: null, status: "skipped", skipReason: placed.reason, scheduledFor: null, deferredByQuietHours: false };
    if (decision.status === "scheduled") {
      const key = slotKey(placed.locationId, placed.slotStart);
      book.invited.set(key, (book.invited.get(key) ?? 0) + 1);
    }
    return decision;
  });
}

/** The invitation's link with the location and slot: the order-ahead page opens on them. */
export function linkWithSlot(path: string, placement: Pick<Placement, "locationId" | "slotStart">): string {
  const hashAt = path.indexOf("#");
  const base = hashAt === -1 ? path : path.slice(0, hashAt);
  const hash = hashAt === -1 ? "" : path.slice(hashAt);
  const query = `location=${encodeURIComponent(placement.locationId)}&slot=${encodeURIComponent(placement.slotStart.toISOString())}`;
  return `${base}${base.includes("?") ? "&" : "?"}${query}${hash}`;
}

/** Placeholder values an order-ahead invitation may use. */
export function placementValues(placement: Placement): Record<string, string> {
  const name = placement.locationName;
  // Authoring measured the message with the name at its longest allowed length.
  return { slotTime: placement.slotLabel, locationName: name.length > LOCATION_NAME_MAX_CHARS ? `${name.slice(0, LOCATION_NAME_MAX_CHARS - 1)}…` : name };
}
