/**
 * Pickup metrics from per-bucket counts (pure: the rows come from
 * app/pickup/metrics.server.ts). Per location and shop-local hour:
 *
 * - orders: the location's orders of the hour. A counter order counts at its
 *   processed time; a pickup order at its slot time, the hour it is served
 *   (the hour whose queue it would otherwise have stood in). Cancelled orders
 *   count nowhere.
 * - peak hours: the location's busiest hours of the range, taken from the
 *   busiest down (ties: the earlier hour first) until they hold at least
 *   `peakShare` of the location's orders (default a quarter: the hours holding
 *   the top quartile of orders). At least one hour when there are orders.
 * - prepaid share at peak: pickup orders / all orders in the peak hours.
 * - on time: a pickup order marked ready at or before its slot start; the
 *   rate is over the orders that were marked ready.
 * - minutes from slot to ready and to picked up: mean of (readyAt − slot
 *   start) and (pickedUpAt − slot start); negative = before the slot.
 * - orders per 15 minutes at peak: the peak hours' orders over the peak
 *   quarter-hours of the days the location traded (days with any order);
 *   and the busiest single quarter-hour of the peak.
 * - no-shows: pickup orders marked no-show.
 */

export const DEFAULT_PEAK_SHARE = 0.25;

/** Orders of one location in one quarter-hour of one local day. */
export interface TrafficRow {
  locationId: string;
  /** Shop-local date, YYYY-MM-DD. */
  day: string;
  /** Shop-local hour 0–23 (wall clock: the repeated hour when clocks go back is one hour). */
  hour: number;
  /** Quarter of the hour, 0–3. */
  quarter: number;
  orders: number;
  pickups: number;
}

/** Pickup service figures of one location and local hour (of the slot). */
export interface ServiceRow {
  locationId: string;
  hour: number;
  pickups: number;
  readied: number;
  onTime: number;
  /** Sum over readied orders of (readyAt − slot start), minutes. */
  readyMinutes: number;
  pickedUp: number;
  /** Sum over picked-up orders of (pickedUpAt − slot start), minutes. */
  pickedUpMinutes: number;
  noShows: number;
}

export interface ServiceFigures {
  pickupOrders: number;
  readied: number;
  /** Share of readied pickup orders ready by their slot time; null when none was readied. */
  onTimeRate: number | null;
  avgMinutesToReady: number | null;
  avgMinutesToPickedUp: number | null;
  noShows: number;
}

export interface HourFigures extends ServiceFigures {
  hour: number;
  orders: number;
  /** Pickup orders / orders of the hour; null without orders. */
  pickupShare: number | null;
  peak: boolean;
}

export interface LocationPickupMetrics {
  locationId: string;
  name: string;
  orders: number;
  pickupOrders: number;
  /** Local hours 0–23, ascending. */
  peakHours: number[];
  peakOrders: number;
  peakPickupOrders: number;
  /** Share of peak-hour orders that were prepaid pickups; null without peak orders. */
  peakPickupShare: number | null;
  /** Days in the range with any order at the location. */
  tradingDays: number;
  /** Mean orders per quarter-hour of the peak hours on trading days; null without peak hours. */
  ordersPer15MinAtPeak: number | null;
  /** The most orders in any one quarter-hour of the peak hours. */
  busiest15MinAtPeak: number;
  /** Service figures over all of the location's pickup orders, and over those of the peak hours. */
  all: ServiceFigures;
  peak: ServiceFigures;
  /** Hours with any order or pickup, ascending. */
  hours: HourFigures[];
}

export class PickupMetricsInputError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = "PickupMetricsInputError";
  }
}

export function checkPeakShare(value: number): number {
  if (!Number.isFinite(value) || value <= 0 || value > 1) throw new PickupMetricsInputError("peakShare", `peakShare must be a share above 0 and at most 1 (got ${value})`);
  return value;
}

/** The hours holding at least `share` of the orders, busiest first (ties: earlier first), returned ascending. */
export function peakHoursOf(ordersByHour: ReadonlyMap<number, number>, share: number = DEFAULT_PEAK_SHARE): number[] {
  checkPeakShare(share);
  const total = [...ordersByHour.values()].reduce((sum, n) => sum + n, 0);
  if (total <= 0) return [];
  const ranked = [...ordersByHour.entries()].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const chosen: number[] = [];
  let held = 0;
  for (const [hour, n] of ranked) {
    chosen.push(hour);
    held += n;
    // Integer comparison: held / total >= share without rounding surprises at exact quarters.
    if (held >= share * total - 1e-9) break;
  }
  return chosen.sort((a, b) => a - b);
}

const EMPTY_SERVICE: ServiceRow = { locationId: "", hour: 0, pickups: 0, readied: 0, onTime: 0, readyMinutes: 0, pickedUp: 0, pickedUpMinutes: 0, noShows: 0 };

function sumService(rows: readonly ServiceRow[]): ServiceRow {
  return rows.reduce(
    (sum, row) => ({
      ...sum,
      pickups: sum.pickups + row.pickups,
      readied: sum.readied + row.readied,
      onTime: sum.onTime + row.onTime,
      readyMinutes: sum.readyMinutes + row.readyMinutes,
      pickedUp: sum.pickedUp + row.pickedUp,
      pickedUpMinutes: sum.pickedUpMinutes + row.pickedUpMinutes,
      noShows: sum.noShows + row.noShows,
    }),
    EMPTY_SERVICE,
  );
}

export function serviceFigures(rows: readonly ServiceRow[]): ServiceFigures {
  const sum = sumService(rows);
  return {
    pickupOrders: sum.pickups,
    readied: sum.readied,
    onTimeRate: ratio(sum.onTime, sum.readied),
    avgMinutesToReady: ratio(sum.readyMinutes, sum.readied),
    avgMinutesToPickedUp: ratio(sum.pickedUpMinutes, sum.pickedUp),
    noShows: sum.noShows,
  };
}

function ratio(part: number, whole: number): number | null {
  return whole > 0 ? part / whole : null;
}

/**
 * Every location's figures from the gathered rows. `locations` lists the
 * locations to report (name by id) even when they had no order; a location
 * that appears only in the rows is reported under its id.
 */
export function computePickupMetrics(
  input: { traffic: readonly TrafficRow[]; service: readonly ServiceRow[]; locations: ReadonlyMap<string, string> },
  options: { peakShare?: number } = {},
): LocationPickupMetrics[] {
  const share = checkPeakShare(options.peakShare ?? DEFAULT_PEAK_SHARE);
  const ids = new Set<string>([...input.locations.keys(), ...input.traffic.map((r) => r.locationId), ...input.service.map((r) => r.locationId)]);
  return [...ids]
    .sort((a, b) => (input.locations.get(a) ?? a).localeCompare(input.locations.get(b) ?? b) || a.localeCompare(b))
    .map((locationId) =>
      locationMetrics(
        locationId,
        input.locations.get(locationId) ?? locationId,
        input.traffic.filter((r) => r.locationId === locationId),
        input.service.filter((r) => r.locationId === locationId),
        share,
      ),
    );
}

function locationMetrics(locationId: string, name: string, traffic: readonly TrafficRow[], service: readonly ServiceRow[], share: number): LocationPickupMetrics {
  const ordersByHour = new Map<number, number>();
  const pickupsByHour = new Map<number, number>();
  for (const row of traffic) {
    ordersByHour.set(row.hour, (ordersByHour.get(row.hour) ?? 0) + row.orders);
    pickupsByHour.set(row.hour, (pickupsByHour.get(row.hour) ?? 0) + row.pickups);
  }
  const peakHours = peakHoursOf(ordersByHour, share);
  const isPeak = (hour: number) => peakHours.includes(hour);
  const sumOf = (map: Map<number, number>, keep: (hour: number) => boolean) => [...map.entries()].filter(([hour]) => keep(hour)).reduce((sum, [, n]) => sum + n, 0);
  const orders = sumOf(ordersByHour, () => true);
  const peakOrders = sumOf(ordersByHour, isPeak);
  const peakPickupOrders = sumOf(pickupsByHour, isPeak);
  const tradingDays = new Set(traffic.filter((r) => r.orders > 0).map((r) => r.day)).size;

  // Quarter-hours of the same day and hour, summed: the busiest single one of the peak.
  const quarters = new Map<string, number>();
  for (const row of traffic) {
    if (!isPeak(row.hour)) continue;
    const key = `${row.day}|${row.hour}|${row.quarter}`;
    quarters.set(key, (quarters.get(key) ?? 0) + row.orders);
  }
  const peakQuarters = tradingDays * peakHours.length * 4;

  const hourKeys = new Set<number>([...ordersByHour.keys(), ...service.map((r) => r.hour)]);
  const hours: HourFigures[] = [...hourKeys]
    .sort((a, b) => a - b)
    .map((hour) => {
      const hourOrders = ordersByHour.get(hour) ?? 0;
      return {
        hour,
        orders: hourOrders,
        pickupShare: ratio(pickupsByHour.get(hour) ?? 0, hourOrders),
        peak: isPeak(hour),
        ...serviceFigures(service.filter((r) => r.hour === hour)),
      };
    });

  return {
    locationId,
    name,
    orders,
    pickupOrders: sumOf(pickupsByHour, () => true),
    peakHours,
    peakOrders,
    peakPickupOrders,
    peakPickupShare: ratio(peakPickupOrders, peakOrders),
    tradingDays,
    ordersPer15MinAtPeak: peakQuarters > 0 ? peakOrders / peakQuarters : null,
    busiest15MinAtPeak: Math.max(0, ...quarters.values()),
    all: serviceFigures(service),
    peak: serviceFigures(service.filter((r) => isPeak(r.hour))),
    hours,
  };
}

/** "07:00–09:00, 12:00–13:00" for hours [7, 8, 12]: consecutive hours joined into one span. */
export function peakHoursText(hours: readonly number[]): string {
  if (hours.length === 0) return "—";
  const sorted = [...hours].sort((a, b) => a - b);
  const spans: Array<[number, number]> = [];
  for (const hour of sorted) {
    const last = spans[spans.length - 1];
    if (last && last[1] === hour) last[1] = hour + 1;
    else spans.push([hour, hour + 1]);
  }
  const clock = (h: number) => `${String(h).padStart(2, "0")}:00`;
  return spans.map(([from, to]) => `${clock(from)}–${clock(to)}`).join(", ");
}
