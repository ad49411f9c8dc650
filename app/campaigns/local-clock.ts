import { addDays, localDateOf } from "../analytics/local-dates";
import { offsetAt, zonedWallTimeToInstant } from "../imports/local-time";

/**
 * The shop's wall clock, for timing messages: local minute of an instant,
 * the instant of a local date and minute, and quiet hours. Local dates are
 * JS Dates at UTC midnight of the shop-local day (app/analytics/local-dates).
 *
 * On the days clocks change, a wall-clock time that does not exist (skipped
 * hour) moves forward by the gap and one that exists twice takes its first
 * occurrence, as Temporal's "compatible" disambiguation does.
 */

const MINUTE_MS = 60_000;
const DAY_MINUTES = 1440;

export { addDays, localDateOf };

/** Minutes since local midnight (0–1439) at an instant. */
export function localMinuteOf(instant: Date, timeZone: string): number {
  const wall = instant.getTime() + offsetAt(instant.getTime(), timeZone);
  return Math.floor((((wall % 86_400_000) + 86_400_000) % 86_400_000) / MINUTE_MS);
}

/** The instant the shop's clock shows `minute` (0–1439) on a local date. */
export function instantAt(localDate: Date, minute: number, timeZone: string): Date {
  if (!Number.isInteger(minute) || minute < 0 || minute >= DAY_MINUTES) throw new RangeError(`minute of the day must be 0–1439 (got ${minute})`);
  return new Date(zonedWallTimeToInstant(localDate.getTime() + minute * MINUTE_MS, timeZone).epochMs);
}

/** Quiet hours as shop-local minutes [start, end); start > end wraps midnight, start = end means none. */
export interface QuietHours {
  startMinute: number;
  endMinute: number;
}

export function isQuietMinute(minute: number, quiet: QuietHours): boolean {
  const { startMinute: start, endMinute: end } = quiet;
  if (start === end) return false;
  return start < end ? minute >= start && minute < end : minute >= start || minute < end;
}

export function isQuiet(instant: Date, quiet: QuietHours, timeZone: string): boolean {
  return isQuietMinute(localMinuteOf(instant, timeZone), quiet);
}

/**
 * The first moment at or after `instant` outside quiet hours: the instant
 * itself, or the end of the quiet spell it falls in (today's end when quiet
 * hours wrap and it is past midnight, tomorrow's when it is before midnight).
 */
export function nextAllowedMoment(instant: Date, quiet: QuietHours, timeZone: string): Date {
  const minute = localMinuteOf(instant, timeZone);
  if (!isQuietMinute(minute, quiet)) return instant;
  const today = localDateOf(instant, timeZone);
  const endsTomorrow = quiet.startMinute > quiet.endMinute && minute >= quiet.startMinute;
  const endDay = endsTomorrow ? addDays(today, 1) : today;
  // A quiet end inside a skipped hour lands past the gap, which is outside quiet hours too.
  const end = instantAt(endDay, quiet.endMinute, timeZone);
  if (end.getTime() > instant.getTime()) return end;
  // In the repeated hour after clocks go back, the end's first occurrence has passed: take the second.
  const wall = endDay.getTime() + quiet.endMinute * MINUTE_MS;
  return new Date(Math.max(instant.getTime(), wall - offsetAt(instant.getTime(), timeZone)));
}

/** "07:00", for messages. */
export function clockText(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}
