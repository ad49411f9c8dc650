import { describe, expect, it } from "vitest";
import { isoWeekOf, isUnfinished, lastFullWeek, localDateText, parseIsoWeek, previousWeek, weeksInYear } from "../../app/reports/week";

const day = (text: string) => new Date(`${text}T00:00:00Z`);

describe("ISO weeks of the shop's calendar", () => {
  it.each([
    ["2026-03-02", "2026-W10", "2026-03-02", "2026-03-08"],
    ["2026-03-08", "2026-W10", "2026-03-02", "2026-03-08"],
    // 1 January 2027 is a Friday: it belongs to the last week of 2026.
    ["2027-01-01", "2026-W53", "2026-12-28", "2027-01-03"],
    // 29 December 2025 is a Monday in week 1 of 2026.
    ["2025-12-29", "2026-W01", "2025-12-29", "2026-01-04"],
    ["2024-12-30", "2025-W01", "2024-12-30", "2025-01-05"],
  ])("%s is in %s (%s to %s)", (date, key, monday, sunday) => {
    const week = isoWeekOf(day(date));
    expect(week.key).toBe(key);
    expect(localDateText(week.monday)).toBe(monday);
    expect(localDateText(week.sunday)).toBe(sunday);
    expect(parseIsoWeek(key).key).toBe(key);
    expect(localDateText(parseIsoWeek(key).monday)).toBe(monday);
  });

  it("knows which years have 53 weeks", () => {
    expect(weeksInYear(2026)).toBe(53);
    expect(weeksInYear(2025)).toBe(52);
    expect(weeksInYear(2020)).toBe(53);
  });

  it.each([
    ["2026-9", /written YYYY-Www/],
    ["2026-W9", /written YYYY-Www/],
    ["2026W09", /written YYYY-Www/],
    ["2026-w09", /written YYYY-Www/],
    ["2026-W00", /2026 has ISO weeks W01 to W53/],
    ["2025-W53", /2025 has ISO weeks W01 to W52/],
    ["2026-W54", /2026 has ISO weeks W01 to W53/],
  ])("refuses %s", (text, message) => {
    expect(() => parseIsoWeek(text)).toThrow(message);
  });

  it("steps back across a year boundary", () => {
    expect(previousWeek(parseIsoWeek("2026-W01")).key).toBe("2025-W52");
    expect(previousWeek(parseIsoWeek("2027-W01")).key).toBe("2026-W53");
  });

  it("the last full week is the one before the shop's current local week", () => {
    // Monday 08:00 in London is the first Monday of W10: W09 is the last full week.
    expect(lastFullWeek(new Date("2026-03-02T08:00:00Z"), "Europe/London").key).toBe("2026-W09");
    // Sunday 23:30 UTC is already Monday in Auckland, still Sunday in London.
    const instant = new Date("2026-03-01T23:30:00Z");
    expect(lastFullWeek(instant, "Europe/London").key).toBe("2026-W08");
    expect(lastFullWeek(instant, "Pacific/Auckland").key).toBe("2026-W09");
  });

  it("a week is unfinished until its Sunday is over on the shop's clock", () => {
    const w09 = parseIsoWeek("2026-W09");
    expect(isUnfinished(w09, new Date("2026-03-01T23:30:00Z"), "Europe/London")).toBe(true);
    expect(isUnfinished(w09, new Date("2026-03-01T23:30:00Z"), "Pacific/Auckland")).toBe(false);
    expect(isUnfinished(parseIsoWeek("2030-W01"), new Date("2026-03-02T00:00:00Z"), "UTC")).toBe(true);
  });
});
