import { localParts, zonedTimeToUtc } from "../../standin/time";
import { daypartLabel, type DaypartLabel } from "./dayparts";

/**
 * The shop's local calendar. Everything the simulation plants (which day, which
 * daypart) is a local wall-clock fact, turned into an instant through the IANA
 * zone, so a 08:30 commuter stays at 08:30 across a daylight-saving change.
 */

export interface LocalDay {
  /** Position in the simulated window, 0 = first day. */
  index: number;
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const DAY_MS = 86_400_000;

/** The `count` local days that end with the local day containing `until`, oldest first. */
export function localDays(until: Date, count: number, timeZone: string): LocalDay[] {
  const end = localParts(until, timeZone);
  return Array.from({ length: count }, (_, index) => {
    const date = new Date(Date.UTC(end.year, end.month - 1, end.day - (count - 1 - index)));
    return { index, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), weekday: date.getUTCDay() };
  });
}

/** How many local days `months` calendar months back from `until`'s local day span (that day included). */
export function daysInMonthsBefore(until: Date, months: number, timeZone: string): number {
  const end = localParts(until, timeZone);
  const last = Date.UTC(end.year, end.month - 1, end.day);
  const first = Date.UTC(end.year, end.month - 1 - months, end.day);
  return Math.round((last - first) / DAY_MS);
}

/** The instant a wall clock in the zone shows `minuteOfDay` (plus seconds) on that local day. */
export function localInstant(day: LocalDay, minuteOfDay: number, second: number, timeZone: string): Date {
  return zonedTimeToUtc(
    { year: day.year, month: day.month, day: day.day, hour: Math.floor(minuteOfDay / 60), minute: minuteOfDay % 60, second },
    timeZone,
  );
}

/** Local midnight starting today in the zone: a default end that stays the same all day. */
export function startOfLocalDay(now: Date, timeZone: string): Date {
  const p = localParts(now, timeZone);
  return zonedTimeToUtc({ year: p.year, month: p.month, day: p.day, hour: 0, minute: 0 }, timeZone);
}

/** The local calendar date ("2025-03-30") and daypart label of an instant. */
export function localFacts(at: Date, timeZone: string): { date: string; weekday: number; hour: number; minute: number; label: DaypartLabel | null } {
  const p = localParts(at, timeZone);
  const weekday = new Date(Date.UTC(p.year, p.month - 1, p.day)).getUTCDay();
  const date = `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
  return { date, weekday, hour: p.hour, minute: p.minute, label: daypartLabel(weekday, p.hour) };
}

/** Whole local calendar days from one local date ("2025-03-30") to another. */
export function daysBetween(fromDate: string, toDate: string): number {
  return Math.round((Date.parse(`${toDate}T00:00:00Z`) - Date.parse(`${fromDate}T00:00:00Z`)) / DAY_MS);
}
