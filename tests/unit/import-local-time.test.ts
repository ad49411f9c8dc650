import { describe, expect, it } from "vitest";
import { parseOrderedAt } from "../../app/imports/local-time";

describe("ordered_at: an instant with an offset, or shop-local time", () => {
  it.each([
    ["2026-03-02T08:15:00Z", "2026-03-02T08:15:00.000Z"],
    ["2026-03-02T08:15:00+00:00", "2026-03-02T08:15:00.000Z"],
    ["2026-03-02T09:15:00+01:00", "2026-03-02T08:15:00.000Z"],
    ["2026-03-02T03:15:00-0500", "2026-03-02T08:15:00.000Z"],
    ["2026-03-02T13:45+05:30", "2026-03-02T08:15:00.000Z"],
    ["2026-03-02 08:15:00.25Z", "2026-03-02T08:15:00.250Z"],
    ["2026-03-02t08:15:00.123456z", "2026-03-02T08:15:00.123Z"],
  ])("%s carries its own offset (shop zone ignored)", (text, iso) => {
    const result = parseOrderedAt(text, "America/New_York");
    expect(result).toEqual({ ok: true, value: { at: new Date(iso), resolution: "offset" } });
  });

  // Wall-clock times in the shop's zone, including the hour skipped in spring (gap: moved
  // forward by the gap's length) and the hour repeated in autumn (overlap: the first one).
  it.each([
    ["Europe/London", "2026-01-15T08:00", "2026-01-15T08:00:00.000Z", "exact"],
    ["Europe/London", "2026-07-15 08:00:00", "2026-07-15T07:00:00.000Z", "exact"],
    ["Europe/London", "2026-03-29T00:59:59", "2026-03-29T00:59:59.000Z", "exact"],
    ["Europe/London", "2026-03-29T01:00", "2026-03-29T01:00:00.000Z", "gap"],
    ["Europe/London", "2026-03-29T01:30", "2026-03-29T01:30:00.000Z", "gap"],
    ["Europe/London", "2026-03-29T02:00", "2026-03-29T01:00:00.000Z", "exact"],
    ["Europe/London", "2026-10-25T00:59:59.999", "2026-10-24T23:59:59.999Z", "exact"],
    ["Europe/London", "2026-10-25T01:00", "2026-10-25T00:00:00.000Z", "overlap"],
    ["Europe/London", "2026-10-25T01:30", "2026-10-25T00:30:00.000Z", "overlap"],
    ["Europe/London", "2026-10-25T02:00", "2026-10-25T02:00:00.000Z", "exact"],
    ["America/New_York", "2026-03-08T02:30", "2026-03-08T07:30:00.000Z", "gap"],
    ["America/New_York", "2026-11-01T01:30", "2026-11-01T05:30:00.000Z", "overlap"],
    ["America/New_York", "2026-11-01T02:30", "2026-11-01T07:30:00.000Z", "exact"],
    // Lord Howe Island moves its clocks by half an hour.
    ["Australia/Lord_Howe", "2026-10-04T02:15", "2026-10-03T15:45:00.000Z", "gap"],
    ["Australia/Lord_Howe", "2026-04-05T01:45", "2026-04-04T14:45:00.000Z", "overlap"],
    ["Asia/Kolkata", "2026-07-01T12:00", "2026-07-01T06:30:00.000Z", "exact"],
    ["Pacific/Chatham", "2026-01-01T00:00", "2025-12-31T10:15:00.000Z", "exact"],
    ["UTC", "2026-03-29T01:30", "2026-03-29T01:30:00.000Z", "exact"],
  ])("%s %s → %s (%s)", (zone, text, iso, resolution) => {
    expect(parseOrderedAt(text, zone)).toEqual({ ok: true, value: { at: new Date(iso), resolution } });
  });

  it("a skipped time lands after the gap in shop time: 01:30 on London's spring-forward day reads 02:30 BST", () => {
    const result = parseOrderedAt("2026-03-29T01:30", "Europe/London");
    if (!result.ok) throw new Error(result.message);
    const shown = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/London", timeStyle: "short" }).format(result.value.at);
    expect(shown).toBe("02:30");
  });

  it.each([
    ["2026-03-02", "needs a time of day"],
    ["02/03/2026 08:15", "must be ISO 8601"],
    ["2026-3-2T08:15", "must be ISO 8601"],
    ["2026-03-02T08", "must be ISO 8601"],
    ["2026-03-02T08:15:00 +01:00", "must be ISO 8601"],
    ["yesterday", "must be ISO 8601"],
    ["2026-02-29T08:15", "has no day 29 in 2026-02"],
    ["2026-13-01T08:15", "has no month 13"],
    ["2026-04-31T08:15", "has no day 31 in 2026-04"],
    ["2026-03-02T24:00", "impossible time of day"],
    ["2026-03-02T08:60", "impossible time of day"],
    ["2026-03-02T08:15:60", "impossible time of day"],
    ["2026-03-02T08:15+15:00", "impossible UTC offset"],
    ["1969-12-31T23:59:59Z", "is before 1970"],
  ])("refuses %s (%s)", (text, message) => {
    const result = parseOrderedAt(text, "Europe/London");
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });

  it("accepts 29 February in a leap year", () => {
    expect(parseOrderedAt("2028-02-29T08:00Z", "UTC").ok).toBe(true);
  });
});
