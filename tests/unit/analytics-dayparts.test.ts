import { describe, expect, it } from "vitest";
import {
  DEFAULT_DAYPARTS,
  InvalidDaypartsError,
  daypartAt,
  dayKindOf,
  isIanaTimeZone,
  parseDayparts,
  visitLabel,
} from "../../app/analytics/dayparts";
import { addDays, daysBetween, localDateOf, memberTiming } from "../../app/analytics/local-dates";
import { DAYPART_HOURS, daypartLabel } from "../../app/simulate/dayparts";

const minute = (h: number, m = 0) => h * 60 + m;

describe("default dayparts", () => {
  it("are DESIGN.md's: morning 06–11, midday 11–14, afternoon 14–17, evening 17–22", () => {
    expect(DEFAULT_DAYPARTS).toEqual([
      { name: "morning", from: 6, to: 11 },
      { name: "midday", from: 11, to: 14 },
      { name: "afternoon", from: 14, to: 17 },
      { name: "evening", from: 17, to: 22 },
    ]);
    expect(parseDayparts(DEFAULT_DAYPARTS)).toEqual(DEFAULT_DAYPARTS);
  });

  it("are the simulator's too: the generator and the analytics agree on every hour", () => {
    expect(DAYPART_HOURS.morning).toEqual([6, 11]);
    for (let weekday = 0; weekday < 7; weekday++) {
      for (let hour = 0; hour < 24; hour++) {
        expect(visitLabel(DEFAULT_DAYPARTS, weekday, minute(hour, 30))).toBe(daypartLabel(weekday, hour));
      }
    }
  });
});

describe("visit labels", () => {
  it.each([
    [1, minute(6), "weekday-morning"],
    [1, minute(10, 59), "weekday-morning"],
    [1, minute(11), "weekday-midday"],
    [5, minute(13, 59), "weekday-midday"],
    [3, minute(14), "weekday-afternoon"],
    [2, minute(21, 59), "weekday-evening"],
    [6, minute(8, 30), "weekend-morning"],
    [0, minute(12), "weekend-midday"],
    [0, minute(22), null],
    [4, minute(5, 59), null],
    [4, 0, null],
  ])("weekday %i at minute %i is %s", (weekday, minuteOfDay, label) => {
    expect(visitLabel(DEFAULT_DAYPARTS, weekday, minuteOfDay)).toBe(label);
  });

  it("follows a shop's own dayparts, to the minute", () => {
    const dayparts = parseDayparts([
      { name: "breakfast", from: 5.5, to: 10.5 },
      { name: "late", from: 20, to: 24 },
    ]);
    expect(visitLabel(dayparts, 2, minute(5, 29))).toBeNull();
    expect(visitLabel(dayparts, 2, minute(5, 30))).toBe("weekday-breakfast");
    expect(visitLabel(dayparts, 2, minute(10, 29))).toBe("weekday-breakfast");
    expect(visitLabel(dayparts, 2, minute(10, 30))).toBeNull();
    expect(visitLabel(dayparts, 6, minute(23, 59))).toBe("weekend-late");
    expect(daypartAt(dayparts, minute(12))).toBeNull();
  });

  it("counts Saturday and Sunday as the weekend", () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(dayKindOf)).toEqual(["weekend", "weekday", "weekday", "weekday", "weekday", "weekday", "weekend"]);
  });
});

describe("daypart validation", () => {
  const problems = (input: unknown): string => {
    try {
      parseDayparts(input);
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidDaypartsError);
      return (error as InvalidDaypartsError).message;
    }
    throw new Error("expected the dayparts to be rejected");
  };

  it.each([
    ["not a list", { morning: [6, 11] }, /dayparts must be a list/],
    ["an empty list", [], /at least one daypart/],
    ["a missing name", [{ from: 6, to: 11 }], /\[0\]\.name: name must be a string/],
    ["an upper-case name", [{ name: "Morning", from: 6, to: 11 }], /\[0\]\.name: name must be lower-case/],
    ["a name with SQL in it", [{ name: "x'; drop table", from: 6, to: 11 }], /\[0\]\.name: name must be lower-case/],
    ["an hour past 24", [{ name: "late", from: 22, to: 25 }], /\[0\]\.to: to must be between 0 and 24/],
    ["a negative hour", [{ name: "early", from: -1, to: 6 }], /\[0\]\.from: from must be between 0 and 24/],
    ["an hour in text", [{ name: "early", from: "6", to: 9 }], /\[0\]\.from: from must be a number of hours/],
    ["a fraction of a minute", [{ name: "early", from: 6.001, to: 9 }], /whole number of minutes/],
    ["an unknown field", [{ name: "early", from: 6, to: 9, colour: "red" }], /unknown field colour/],
    ["an end before the start", [{ name: "late", from: 22, to: 2 }], /"late" must end after it starts/],
    ["a name used twice", [{ name: "a", from: 6, to: 9 }, { name: "a", from: 10, to: 12 }], /"a" is named twice/],
    [
      "overlapping dayparts",
      [{ name: "morning", from: 6, to: 11 }, { name: "brunch", from: 10.5, to: 13 }],
      /"brunch" \(10:30–13:00\) overlaps "morning" \(06:00–11:00\)/,
    ],
  ])("rejects %s with a clear message", (_what, input, message) => {
    expect(problems(input)).toMatch(message);
  });

  it("accepts dayparts that touch, in any order, and gaps between them", () => {
    const dayparts = parseDayparts([
      { name: "evening", from: 17, to: 22 },
      { name: "morning", from: 0, to: 11 },
      { name: "midday", from: 11, to: 14 },
    ]);
    expect(dayparts.map((d) => d.name)).toEqual(["evening", "morning", "midday"]);
  });
});

describe("local dates", () => {
  it("knows IANA zones", () => {
    expect(isIanaTimeZone("Europe/London")).toBe(true);
    expect(isIanaTimeZone("UTC")).toBe(true);
    expect(isIanaTimeZone("Mars/Olympus_Mons")).toBe(false);
    expect(isIanaTimeZone("GMT+1")).toBe(false);
  });

  it("gives the shop-local date of an instant across a daylight-saving change", () => {
    // London moves to BST at 01:00 UTC on 29 March 2026.
    expect(localDateOf(new Date("2026-03-28T23:30:00Z"), "Europe/London").toISOString()).toBe("2026-03-28T00:00:00.000Z");
    expect(localDateOf(new Date("2026-03-31T23:30:00Z"), "Europe/London").toISOString()).toBe("2026-04-01T00:00:00.000Z");
    expect(localDateOf(new Date("2026-03-09T03:30:00Z"), "America/New_York").toISOString()).toBe("2026-03-08T00:00:00.000Z");
  });

  it("computes recency and tenure as of a local date, and refuses an instant", () => {
    const feature = { firstVisitOn: new Date("2026-01-05T00:00:00Z"), lastVisitOn: new Date("2026-03-01T00:00:00Z") };
    expect(memberTiming(feature, new Date("2026-03-01T00:00:00Z"))).toEqual({ recencyDays: 0, tenureDays: 55 });
    expect(memberTiming(feature, addDays(new Date("2026-03-01T00:00:00Z"), 12))).toEqual({ recencyDays: 12, tenureDays: 67 });
    expect(() => memberTiming(feature, new Date("2026-03-01T09:00:00Z"))).toThrow(/asOf must be a local date/);
    expect(daysBetween(new Date("2026-03-28T00:00:00Z"), new Date("2026-03-30T00:00:00Z"))).toBe(2);
  });
});
