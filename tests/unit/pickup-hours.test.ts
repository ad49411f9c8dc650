import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clockLabel, clockMinutes, localDayBounds, parseLocalDate, slotGrid, timingReason, wallClockAt, type OpeningInterval } from "../../app/pickup/hours";

const day = (text: string) => {
  const date = parseLocalDate(text);
  if (!date) throw new Error(`bad date ${text}`);
  return date;
};
const everyDay = (opens: string, closes: string): OpeningInterval[] => [1, 2, 3, 4, 5, 6, 7].map((weekday) => ({ weekday, opens, closes }));
const grid = (date: string, hours: OpeningInterval[], slot: number, zone: string) =>
  slotGrid(day(date), hours, slot, zone).map((s) => [clockLabel(s.minute), s.start.toISOString()]);

describe("pickup slot grid", () => {
  it("parses clock times, 24:00 as the end of the day, and refuses impossible ones", () => {
    expect(["00:00", "07:30", "23:59", "24:00"].map(clockMinutes)).toEqual([0, 450, 1439, 1440]);
    expect(["7:30", "24:01", "25:00", "07:60", "0730", ""].map(clockMinutes)).toEqual([null, null, null, null, null, null]);
    expect([parseLocalDate("2026-02-29"), parseLocalDate("2026-13-01"), parseLocalDate("02/03/2026")]).toEqual([null, null, null]);
  });

  it("lays slots from opening time to closing time in the shop's zone, on a grid from midnight", () => {
    // Monday 2 March 2026; New York is UTC-5 in winter.
    expect(grid("2026-03-02", [{ weekday: 1, opens: "07:05", closes: "08:00" }], 15, "America/New_York")).toEqual([
      ["07:15", "2026-03-02T12:15:00.000Z"],
      ["07:30", "2026-03-02T12:30:00.000Z"],
      ["07:45", "2026-03-02T12:45:00.000Z"],
    ]);
    // Split hours, and nothing on a weekday without hours (Tuesday).
    const split = [
      { weekday: 1, opens: "12:00", closes: "12:20" },
      { weekday: 1, opens: "07:00", closes: "07:20" },
    ];
    expect(grid("2026-03-02", split, 10, "UTC").map(([label]) => label)).toEqual(["07:00", "07:10", "12:00", "12:10"]);
    expect(grid("2026-03-03", split, 10, "UTC")).toEqual([]);
  });

  it("leaves out the hour skipped when clocks go forward (Europe/London, 29 March 2026)", () => {
    expect(grid("2026-03-29", everyDay("00:00", "03:00"), 30, "Europe/London")).toEqual([
      ["00:00", "2026-03-29T00:00:00.000Z"],
      ["00:30", "2026-03-29T00:30:00.000Z"],
      ["02:00", "2026-03-29T01:00:00.000Z"],
      ["02:30", "2026-03-29T01:30:00.000Z"],
    ]);
    // A morning the day after: 08:00 BST is 07:00 UTC.
    expect(grid("2026-03-30", everyDay("08:00", "08:20"), 10, "Europe/London")).toEqual([
      ["08:00", "2026-03-30T07:00:00.000Z"],
      ["08:10", "2026-03-30T07:10:00.000Z"],
    ]);
  });

  it("has the repeated hour twice when clocks go back (Europe/London, 25 October 2026)", () => {
    expect(grid("2026-10-25", everyDay("00:30", "02:30"), 30, "Europe/London")).toEqual([
      ["00:30", "2026-10-24T23:30:00.000Z"],
      ["01:00", "2026-10-25T00:00:00.000Z"],
      ["01:30", "2026-10-25T00:30:00.000Z"],
      ["01:00", "2026-10-25T01:00:00.000Z"],
      ["01:30", "2026-10-25T01:30:00.000Z"],
      ["02:00", "2026-10-25T02:00:00.000Z"],
    ]);
    const { start, end } = localDayBounds(day("2026-10-25"), "Europe/London");
    expect(end.getTime() - start.getTime()).toBe(25 * 3_600_000);
    expect(wallClockAt(new Date("2026-10-25T01:00:00Z"), "Europe/London")).toMatchObject({ minute: 60, wholeMinute: true });
  });

  it("the day clocks change in the southern hemisphere (Australia/Sydney, 5 April 2026) has 25 hours of slots", () => {
    const slots = slotGrid(day("2026-04-05"), everyDay("00:00", "24:00"), 60, "Australia/Sydney");
    expect(slots).toHaveLength(25);
    const starts = slots.map((s) => s.start.getTime());
    expect(new Set(starts).size).toBe(25);
    expect(starts.every((t, i) => i === 0 || t - (starts[i - 1] ?? 0) === 3_600_000)).toBe(true);
  });

  it("every slot is a distinct instant whose wall clock is its label, on the grid, inside the hours (any zone, any day)", () => {
    const zones = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham", "UTC"];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: 0, max: 3 * 366 }),
        fc.constantFrom(5, 10, 15, 30, 60),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 1, max: 24 }),
        (zone, dayOffset, slotMinutes, opensHour, length) => {
          const localDate = new Date(Date.UTC(2026, 0, 1) + dayOffset * 86_400_000);
          const closesHour = Math.min(24, opensHour + length);
          const hours = everyDay(`${String(opensHour).padStart(2, "0")}:00`, `${String(closesHour).padStart(2, "0")}:00`);
          const slots = slotGrid(localDate, hours, slotMinutes, zone);
          const starts = slots.map((slot) => slot.start.getTime());
          expect(starts.every((t, i) => i === 0 || t > (starts[i - 1] ?? 0))).toBe(true);
          for (const slot of slots) {
            const wall = wallClockAt(slot.start, zone);
            expect([wall.localDate.getTime(), wall.minute, wall.wholeMinute]).toEqual([localDate.getTime(), slot.minute, true]);
            expect(slot.minute % slotMinutes).toBe(0);
            expect(slot.minute >= opensHour * 60 && slot.minute < closesHour * 60).toBe(true);
          }
          // On an ordinary day, exactly one slot per grid step of the opening hours.
          const { start, end } = localDayBounds(localDate, zone);
          if (end.getTime() - start.getTime() === 86_400_000) expect(slots).toHaveLength(((closesHour - opensHour) * 60) / slotMinutes);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives the reason a slot cannot be ordered for by time", () => {
    const settings = { slotMinutes: 10, leadMinutes: 10, cutoffMinutes: 15 };
    const now = new Date("2026-03-02T08:01:00Z");
    const slot = (iso: string, minute: number) => ({ start: new Date(iso), minute, closes: 900 });
    expect(timingReason(slot("2026-03-02T08:00:00Z", 480), settings, now)).toBe("past");
    expect(timingReason(slot("2026-03-02T08:10:00Z", 490), settings, now)).toBe("lead");
    expect(timingReason(slot("2026-03-02T08:20:00Z", 500), settings, now)).toBeNull();
    expect(timingReason(slot("2026-03-02T14:45:00Z", 885), settings, now)).toBeNull();
    expect(timingReason(slot("2026-03-02T14:50:00Z", 890), settings, now)).toBe("cutoff");
  });
});
