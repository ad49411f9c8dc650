/**
 * Time-zone arithmetic with nothing but Intl. Shopify's GraphQL answers in UTC
 * ("2024-05-01T07:42:10Z") while its REST webhook payloads carry the shop's
 * local offset ("2024-05-01T09:42:10+02:00"); the stand-in reproduces both so
 * the app's time-zone handling is exercised.
 */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function intlLocalParts(date: Date, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(date)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Milliseconds the zone's wall clock is ahead of UTC at the whole second of `ms`, by Intl. */
function intlOffsetMs(ms: number, timeZone: string): number {
  const second = Math.floor(ms / 1000) * 1000;
  const p = intlLocalParts(new Date(second), timeZone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - second;
}

/**
 * Intl is slow (a simulated cafe formats hundreds of thousands of times), and
 * a zone's offset only changes at transitions, which fall on quarter hours.
 * So offsets are cached per zone and UTC quarter hour, and a quarter hour whose
 * two ends disagree (a transition inside it) is never cached.
 */
const QUARTER_HOUR_MS = 900_000;
const offsetCache = new Map<string, number>();

function offsetMs(ms: number, timeZone: string): number {
  const quarter = Math.floor(ms / QUARTER_HOUR_MS);
  const key = `${timeZone}|${quarter}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  const start = intlOffsetMs(quarter * QUARTER_HOUR_MS, timeZone);
  const end = intlOffsetMs((quarter + 1) * QUARTER_HOUR_MS - 1000, timeZone);
  if (start !== end) return intlOffsetMs(ms, timeZone);
  if (offsetCache.size >= 200_000) offsetCache.clear();
  offsetCache.set(key, start);
  return start;
}

export function localParts(date: Date, timeZone: string): LocalParts {
  const wall = new Date(Math.floor(date.getTime() / 1000) * 1000 + offsetMs(date.getTime(), timeZone));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
  };
}

/** Minutes the zone is ahead of UTC at that instant (negative west of Greenwich). */
export function offsetMinutes(date: Date, timeZone: string): number {
  return Math.round(offsetMs(date.getTime(), timeZone) / 60_000);
}

/** The instant at which the wall clock in `timeZone` shows the given local time. */
export function zonedTimeToUtc(
  local: { year: number; month: number; day: number; hour: number; minute: number; second?: number },
  timeZone: string,
): Date {
  const guess = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second ?? 0);
  const first = guess - offsetMinutes(new Date(guess), timeZone) * 60_000;
  // Near a DST change the offset at the guess and at the answer differ; one more step settles it.
  const second = guess - offsetMinutes(new Date(first), timeZone) * 60_000;
  return new Date(second);
}

const pad = (value: number, width = 2) => String(Math.abs(value)).padStart(width, "0");

/** "2024-05-01T07:42:10Z": GraphQL DateTime. */
export function isoSeconds(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** "2024-05-01T09:42:10+02:00": REST timestamps, in the shop's zone. */
export function formatInZone(iso: string, timeZone: string): string {
  const date = new Date(iso);
  const p = localParts(date, timeZone);
  const offset = offsetMinutes(date, timeZone);
  const sign = offset < 0 ? "-" : "+";
  return (
    `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `${sign}${pad(Math.trunc(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`
  );
}

export function formatNullableInZone(iso: string | null, timeZone: string): string | null {
  return iso === null ? null : formatInZone(iso, timeZone);
}

export function addSeconds(iso: string, seconds: number): string {
  return isoSeconds(new Date(new Date(iso).getTime() + seconds * 1000));
}
