import type { FieldResult } from "./types";

/**
 * `ordered_at` as another POS writes it: an ISO 8601 instant with an offset,
 * or a wall-clock time without one, read in the shop's IANA time zone.
 *
 * Wall-clock times that do not exist (the hour skipped when clocks go forward)
 * or exist twice (the hour repeated when they go back) are resolved as
 * Temporal's "compatible" disambiguation and RFC 5545 do: a skipped time moves
 * forward by the length of the gap, a repeated time takes its first (earlier)
 * occurrence. A POS clock cannot show a skipped time, so such a row most likely
 * came from a clock that had not changed yet; refusing the whole file for it
 * would help nobody.
 */

export type LocalTimeResolution = "exact" | "gap" | "overlap";

export interface OrderedAt {
  at: Date;
  /** How a wall-clock time was placed; "offset" when the text carried its own offset. */
  resolution: LocalTimeResolution | "offset";
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const DAY_MS = 86_400_000;
const MIN_YEAR = 1970;

export function parseOrderedAt(text: string, timeZone: string): FieldResult<OrderedAt> {
  const match = ISO.exec(text);
  if (!match) {
    if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return fail("needs a time of day, e.g. 2026-03-02T08:15:00");
    return fail("must be ISO 8601, e.g. 2026-03-02T08:15:00+00:00 or 2026-03-02 08:15 (shop time)");
  }
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, offH, offM] = match;
  const fields = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: s === undefined ? 0 : Number(s),
    millisecond: fraction === undefined ? 0 : Number(fraction.padEnd(3, "0").slice(0, 3)),
  };
  const invalid = checkCalendar(fields);
  if (invalid) return fail(invalid);
  const wallMs = Date.UTC(fields.year, fields.month - 1, fields.day, fields.hour, fields.minute, fields.second, fields.millisecond);
  if (zulu) return { ok: true, value: { at: new Date(wallMs), resolution: "offset" } };
  if (sign) {
    const hours = Number(offH);
    const minutes = offM === undefined ? 0 : Number(offM);
    if (hours > 14 || minutes > 59) return fail(`has an impossible UTC offset ${sign}${offH}:${offM ?? "00"}`);
    const offsetMs = (sign === "-" ? -1 : 1) * (hours * 60 + minutes) * 60_000;
    return { ok: true, value: { at: new Date(wallMs - offsetMs), resolution: "offset" } };
  }
  const local = zonedWallTimeToInstant(wallMs, timeZone);
  return { ok: true, value: { at: new Date(local.epochMs), resolution: local.resolution } };
}

interface WallFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function checkCalendar(f: WallFields): string | null {
  if (f.year < MIN_YEAR) return `is before ${MIN_YEAR}`;
  if (f.month < 1 || f.month > 12) return `has no month ${f.month}`;
  const daysInMonth = new Date(Date.UTC(f.year, f.month, 0)).getUTCDate();
  if (f.day < 1 || f.day > daysInMonth) return `has no day ${f.day} in ${f.year}-${String(f.month).padStart(2, "0")}`;
  if (f.hour > 23 || f.minute > 59 || f.second > 59) return "has an impossible time of day";
  return null;
}

/**
 * The instant at which the zone's clocks showed `wallMs` (wall-clock fields
 * written as if they were UTC). Tries the offsets in force a day either side:
 * one fits normally, two fit in a repeated hour, none in a skipped hour.
 */
export function zonedWallTimeToInstant(wallMs: number, timeZone: string): { epochMs: number; resolution: LocalTimeResolution } {
  const before = offsetAt(wallMs - DAY_MS, timeZone);
  const after = offsetAt(wallMs + DAY_MS, timeZone);
  const fits = [...new Set([before, after])]
    .map((offset) => wallMs - offset)
    .filter((candidate) => wallClockOf(candidate, timeZone) === wallMs)
    .sort((a, b) => a - b);
  const [earliest] = fits;
  if (earliest !== undefined) return { epochMs: earliest, resolution: fits.length > 1 ? "overlap" : "exact" };
  // Skipped: read with the offset from before the change, the clock lands past the gap.
  return { epochMs: wallMs - before, resolution: "gap" };
}

/** Milliseconds the zone's clock is ahead of UTC at an instant. */
export function offsetAt(epochMs: number, timeZone: string): number {
  // A file holds many orders per hour: the offset is looked up once per zone and hour,
  // unless the hour contains a change of offset, which is then resolved to the second.
  const hour = Math.floor(epochMs / HOUR_MS);
  const key = `${timeZone}|${hour}`;
  let known = hourOffsets.get(key);
  if (known === undefined) {
    const start = exactOffsetAt(hour * HOUR_MS, timeZone);
    known = start === exactOffsetAt((hour + 1) * HOUR_MS - 1000, timeZone) ? start : null;
    if (hourOffsets.size >= MAX_CACHED_HOURS) hourOffsets.clear();
    hourOffsets.set(key, known);
  }
  return known ?? exactOffsetAt(epochMs, timeZone);
}

const HOUR_MS = 3_600_000;
const MAX_CACHED_HOURS = 200_000;
const hourOffsets = new Map<string, number | null>();

function exactOffsetAt(epochMs: number, timeZone: string): number {
  const whole = epochMs - mod(epochMs, 1000);
  const parts: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(whole))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second) - whole;
}

/** The zone's wall-clock reading at an instant, written as if it were UTC. */
function wallClockOf(epochMs: number, timeZone: string): number {
  return epochMs + offsetAt(epochMs, timeZone);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, found);
  }
  return found;
}

function mod(n: number, m: number): number {
  return ((n % m) + m) % m;
}

function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}
