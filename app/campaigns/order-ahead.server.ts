import type { Database } from "../db/prisma.server";
import { PickupError } from "../pickup/errors";
import { localDateText } from "../pickup/hours";
import { pickupMetrics } from "../pickup/metrics.server";
import { getPickupSettings, listPickupLocations } from "../pickup/settings.server";
import { listSlots, shopTimeZone } from "../pickup/slots.server";
import type { CampaignRecord } from "./campaigns.server";
import { addDays, localDateOf } from "./local-clock";
import { MEMBER_LOOKBACK_DAYS, PEAK_LOOKBACK_DAYS, placeMember, slotKey, type MemberVisit, type OrderAheadBook, type PickupPlace, type PlacementResult, type SlotOption } from "./order-ahead";

/**
 * Reads what the order-ahead placement needs (app/campaigns/order-ahead.ts)
 * for one batch of members, before any transaction: the shop's
 * pickup-enabled locations with their peak hours (from the last
 * PEAK_LOOKBACK_DAYS of orders) and slot tables for the days an invitation
 * can aim at (listSlots: capacity left as of now), and the members' recent
 * visits and usual times. All scoped by shop.
 */

export function isOrderAhead(campaign: Pick<CampaignRecord, "offer">): boolean {
  return campaign.offer?.type === "order-ahead";
}

export async function loadOrderAheadBook(db: Database, shop: string, input: { customerIds: readonly string[]; days: readonly Date[]; now: Date }): Promise<OrderAheadBook> {
  const { now } = input;
  const timezone = await shopTimeZone(db, shop);
  const today = localDateOf(now, timezone);
  const ids = [...new Set(input.customerIds)];
  const days = [...new Set(input.days.map((day) => localDateText(day)))].sort();
  const [locations, metrics, visitRows, featureRows] = await Promise.all([
    listPickupLocations(db, shop, { enabledOnly: true }),
    pickupMetrics(db, shop, { from: addDays(today, -PEAK_LOOKBACK_DAYS), to: today }),
    db.$queryRaw<Array<{ customerId: string; locationKey: string; localMinute: number }>>`
      SELECT "customerId", "locationKey", "localMinute" FROM "Visit"
      WHERE shop = ${shop} AND "customerId" = ANY(${ids}::text[]) AND "localDate" >= ${addDays(today, -MEMBER_LOOKBACK_DAYS)}::date`,
    db.$queryRaw<Array<{ customerId: string; usualMinute: number | null }>>`
      SELECT "customerId", "usualMinute" FROM "MemberFeature" WHERE shop = ${shop} AND "customerId" = ANY(${ids}::text[])`,
  ]);
  const peakHours = new Map(metrics.locations.map((location) => [location.locationId, location.peakHours]));
  const places = new Map<string, PickupPlace>();
  for (const location of locations) {
    const settings = await getPickupSettings(db, shop, location.locationId);
    const tables = new Map<string, SlotOption[]>();
    for (const date of days) {
      try {
        const table = await listSlots(db, { shop, locationId: location.locationId, date, now });
        tables.set(date, table.slots.map((slot) => ({ start: slot.start, label: slot.label, open: slot.open, orders: slot.orders, items: slot.items })));
      } catch (error) {
        if (!(error instanceof PickupError)) throw error;
      }
    }
    places.set(location.locationId, {
      locationId: location.locationId,
      name: location.name,
      leadMinutes: settings.leadMinutes,
      capacityOrders: settings.capacityOrders,
      capacityItems: settings.capacityItems,
      peakHours: peakHours.get(location.locationId) ?? [],
      days: tables,
    });
  }
  const visits = new Map<string, MemberVisit[]>();
  for (const row of visitRows) visits.set(row.customerId, [...(visits.get(row.customerId) ?? []), { locationKey: row.locationKey, localMinute: row.localMinute }]);
  return { timezone, places, visits, usualMinutes: new Map(featureRows.map((row) => [row.customerId, row.usualMinute])), invited: new Map() };
}

/**
 * The local days a decision pass can aim at: the timing of every kind tries
 * today and the next day, and an invitation sent late in the day aims at the
 * visit the day after; a broadcast from its send time on.
 */
export function decisionDays(campaign: Pick<CampaignRecord, "kind" | "startsAt">, today: Date, timezone: string): Date[] {
  const days = [today, addDays(today, 1), addDays(today, 2)];
  if (campaign.kind === "broadcast" && campaign.startsAt) {
    const first = localDateOf(campaign.startsAt, timezone);
    days.push(first, addDays(first, 1), addDays(first, 2));
  }
  return days;
}

/**
 * At send time, each due recipient's slot is chosen again with the capacity
 * left now (places may have been taken since the decision). A member with no
 * slot left near their time is not sent the invitation.
 */
export async function placeDueInvitations(db: Database, shop: string, due: ReadonlyArray<{ customerId: string; scheduledFor: Date | null }>, now: Date): Promise<Map<string, PlacementResult>> {
  const placements = new Map<string, PlacementResult>();
  if (due.length === 0) return placements;
  const timezone = await shopTimeZone(db, shop);
  const sendTimes = due.map((recipient) => (recipient.scheduledFor && recipient.scheduledFor > now ? recipient.scheduledFor : now));
  const days = sendTimes.flatMap((sendAt) => {
    const day = localDateOf(sendAt, timezone);
    return [day, addDays(day, 1)];
  });
  const book = await loadOrderAheadBook(db, shop, { customerIds: due.map((recipient) => recipient.customerId), days, now });
  due.forEach((recipient, index) => {
    const placed = placeMember(book, recipient.customerId, sendTimes[index] ?? now);
    if (placed.ok) {
      const key = slotKey(placed.locationId, placed.slotStart);
      book.invited.set(key, (book.invited.get(key) ?? 0) + 1);
    }
    placements.set(recipient.customerId, placed);
  });
  return placements;
}
