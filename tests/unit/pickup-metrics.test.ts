import { describe, expect, it } from "vitest";
import { computePickupMetrics, peakHoursOf, peakHoursText, PickupMetricsInputError, serviceFigures, type ServiceRow, type TrafficRow } from "../../app/pickup/metrics";

const traffic = (locationId: string, day: string, hour: number, quarter: number, orders: number, pickups = 0): TrafficRow => ({ locationId, day, hour, quarter, orders, pickups });
const service = (locationId: string, hour: number, fields: Partial<ServiceRow>): ServiceRow => ({
  locationId,
  hour,
  pickups: 0,
  readied: 0,
  onTime: 0,
  readyMinutes: 0,
  pickedUp: 0,
  pickedUpMinutes: 0,
  noShows: 0,
  ...fields,
});

describe("peak hours", () => {
  it.each([
    // [orders by hour, share, peak hours]
    [{ 7: 10, 8: 30, 9: 20, 14: 40 }, 0.25, [14]],
    [{ 7: 10, 8: 30, 9: 20, 14: 40 }, 0.5, [8, 14]],
    [{ 7: 25, 8: 25, 9: 25, 10: 25 }, 0.25, [7]], // exactly a quarter: one hour, the earlier of the ties
    [{ 7: 24, 8: 26, 9: 25, 10: 25 }, 0.25, [8]],
    [{ 7: 10, 8: 10, 9: 10, 10: 10, 11: 10 }, 0.25, [7, 8]],
    [{ 7: 0, 8: 0 }, 0.25, []],
    [{}, 0.25, []],
    [{ 6: 1, 23: 3 }, 1, [6, 23]],
  ])("%o at share %d → %o", (byHour, share, expected) => {
    const map = new Map(Object.entries(byHour).map(([hour, n]) => [Number(hour), n]));
    expect(peakHoursOf(map, share)).toEqual(expected);
  });

  it.each([0, -0.1, 1.5, Number.NaN])("refuses share %d", (share) => {
    expect(() => peakHoursOf(new Map([[8, 1]]), share)).toThrow(PickupMetricsInputError);
  });

  it("names spans of consecutive hours", () => {
    expect(peakHoursText([8, 7, 12, 23])).toBe("07:00–09:00, 12:00–13:00, 23:00–24:00");
    expect(peakHoursText([])).toBe("—");
  });
});

describe("service figures", () => {
  it("averages over readied and picked-up orders only, early is negative", () => {
    const figures = serviceFigures([
      service("1", 8, { pickups: 4, readied: 3, onTime: 2, readyMinutes: -6 + 4 - 1, pickedUp: 2, pickedUpMinutes: 3 + 9, noShows: 1 }),
      service("1", 9, { pickups: 1, readied: 1, onTime: 0, readyMinutes: 7, pickedUp: 0, pickedUpMinutes: 0 }),
    ]);
    expect(figures).toEqual({ pickupOrders: 5, readied: 4, onTimeRate: 0.5, avgMinutesToReady: 1, avgMinutesToPickedUp: 6, noShows: 1 });
  });

  it("has no rate without readied orders", () => {
    expect(serviceFigures([service("1", 8, { pickups: 2, noShows: 2 })])).toMatchObject({ onTimeRate: null, avgMinutesToReady: null, avgMinutesToPickedUp: null, noShows: 2 });
  });
});

describe("location metrics", () => {
  const rows: TrafficRow[] = [
    // Two trading days at location 1: 08:00 is the busiest hour (12 of 20 orders).
    traffic("1", "2026-03-02", 8, 0, 4, 1),
    traffic("1", "2026-03-02", 8, 1, 2, 1),
    traffic("1", "2026-03-03", 8, 0, 6, 2),
    traffic("1", "2026-03-02", 12, 2, 5, 0),
    traffic("1", "2026-03-03", 15, 3, 3, 1),
    // Location 2: one order.
    traffic("2", "2026-03-02", 10, 0, 1, 0),
  ];
  const serviceRows = [service("1", 8, { pickups: 4, readied: 4, onTime: 3, readyMinutes: 4, pickedUp: 4, pickedUpMinutes: 20 }), service("1", 15, { pickups: 1, readied: 1, onTime: 0, readyMinutes: 10, noShows: 0 })];
  const [high, market, station] = computePickupMetrics({ traffic: rows, service: serviceRows, locations: new Map([["1", "High Street"], ["2", "Station"], ["3", "Market"]]) });

  it("reports every location, named, in name order", () => {
    expect([high?.name, market?.name, station?.name]).toEqual(["High Street", "Market", "Station"]);
  });

  it("finds the peak, its prepaid share and its rate per quarter-hour", () => {
    expect(high).toMatchObject({
      orders: 20,
      pickupOrders: 5,
      peakHours: [8],
      peakOrders: 12,
      peakPickupOrders: 4,
      peakPickupShare: 4 / 12,
      tradingDays: 2,
      // 12 orders over 2 days × 1 hour × 4 quarters.
      ordersPer15MinAtPeak: 1.5,
      busiest15MinAtPeak: 6,
    });
    expect(high?.all).toMatchObject({ pickupOrders: 5, readied: 5, onTimeRate: 0.6, avgMinutesToReady: 14 / 5 });
    expect(high?.peak).toMatchObject({ pickupOrders: 4, onTimeRate: 0.75, avgMinutesToReady: 1, avgMinutesToPickedUp: 5 });
    expect(high?.hours.map((h) => [h.hour, h.orders, h.peak])).toEqual([
      [8, 12, true],
      [12, 5, false],
      [15, 3, false],
    ]);
    expect(high?.hours.find((h) => h.hour === 15)).toMatchObject({ pickupShare: 1 / 3, onTimeRate: 0, avgMinutesToReady: 10 });
  });

  it("a location without orders has no peak and no rates", () => {
    expect(station?.orders).toBe(1);
    expect(market).toMatchObject({ orders: 0, peakHours: [], peakPickupShare: null, ordersPer15MinAtPeak: null, busiest15MinAtPeak: 0, tradingDays: 0, hours: [] });
  });
});
