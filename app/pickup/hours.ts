import { offsetAt, zonedWallTimeToInstant } from "../imports/local-time";

/**
 * Opening hours and the slot grid of a pickup location, in shop-local wall
 * time. Pure: no database, no clock.
 *
 * The grid is anchored at local midnight: a slot starts at a local minute
 * that is a multiple of the slot length (which divides a day), inside an
 * opening interval [opens, closes). On the day clocks go forward, starts in
 * the skipped hour do not exist and are left out; on the day they go back,
 * starts in the repeated hour exist twice and are two slots (two instants
 * with the same label), so every slot is a distinct instant.
 */

export const DAY_MINUTES = 1440;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** 1 = Monday … 7 = Sunday (ISO 8601), as the settings store weekdays. */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

export const WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;

export interface OpeningInterval {
  weekday: number;
  /** "HH:MM", shop-local. */
  opens: string;
  /** "HH:MM" (or "24:00"), shop-local; later than `opens` on the same day. */
  closes: string;
}

/** Minutes since midnight of "HH:MM" ("24:00" allowed, as the end of the day); null when malformed. */
export function clockMinutes(text: string): number | null {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  if (!match) return null;
  const hours = Number(match[1]);
  const minutes = Number(match[2]);
  if (minutes > 59) return null;
  if (hours === 24 && minutes === 0) return DAY_MINUTES;
  if (hours > 23) return null;
  return hours * 60 + minutes;
}

/** "07:05" for 425. */
export function clockLabel(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

/** ISO weekday of a local date (a Date at UTC midnight of the local day). */
export function isoWeekdayOf(localDate: Date): IsoWeekday {
  const day = localDate.getUTCDay();
  return (day === 0 ? 7 : day) as IsoWeekday;
}

/** The intervals open on a weekday, as minute ranges [opens, closes), sorted. */
export function intervalsOn(hours: readonly OpeningInterval[], weekday: number): Array<{ opens: number; closes: number }> {
  const ranges: Array<{ opens: number; closes: number }> = [];
  for (const entry of hours) {
    if (entry.weekday !== weekday) continue;
    const opens = clockMinutes(entry.opens);
    const closes = clockMinutes(entry.closes);
    if (opens === null || closes === null || closes <= opens) continue;
    ranges.push({ opens, closes });
  }
  return ranges.sort((a, b) => a.opens - b.opens);
}

/** "YYYY-MM-DD" → local date (UTC midnight), or null when it is not a real calendar date. */
export function parseLocalDate(text: string): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return null;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text ? date : null;
}

export function localDateText(localDate: Date): string {
  return localDate.toISOString().slice(0, 10);
}

/** Where an instant falls on the shop's wall clock: its local date and minute of the day, and whether it is a whole minute. */
export function wallClockAt(instant: Date, timeZone: string): { localDate: Date; minute: number; wholeMinute: boolean } {
  const wall = instant.getTime() + offsetAt(instant.getTime(), timeZone);
  const dayStart = Math.floor(wall / DAY_MS) * DAY_MS;
  const intoDay = wall - dayStart;
  return { localDate: new Date(dayStart), minute: Math.floor(intoDay / MINUTE_MS), wholeMinute: intoDay % MINUTE_MS === 0 };
}

export interface GridSlot {
  start: Date;
  /** Local minute of the day the slot starts at. */
  minute: number;
  /** Local minute the interval it belongs to closes at. */
  closes: number;
}

/**
 * Every slot start of a local date's opening hours, as instants in time
 * order. A wall time skipped by a clock change has no slot; a repeated one
 * has two.
 */
export function slotGrid(localDate: Date, hours: readonly OpeningInterval[], slotMinutes: number, timeZone: string): GridSlot[] {
  const slots: GridSlot[] = [];
  for (const { opens, closes } of intervalsOn(hours, isoWeekdayOf(localDate))) {
    const first = Math.ceil(opens / slotMinutes) * slotMinutes;
    for (let minute = first; minute < closes; minute += slotMinutes) {
      const wallMs = localDate.getTime() + minute * MINUTE_MS;
      const placed = zonedWallTimeToInstant(wallMs, timeZone);
      if (placed.resolution === "gap") continue;
      slots.push({ start: new Date(placed.epochMs), minute, closes });
      if (placed.resolution === "overlap") {
        // The same wall time again, after the clocks went back.
        const later = wallMs - offsetAt(wallMs + DAY_MS, timeZone);
        if (later > placed.epochMs && later - placed.epochMs < DAY_MS) slots.push({ start: new Date(later), minute, closes });
      }
    }
  }
  return slots.sort((a, b) => a.start.getTime() - b.start.getTime());
}

/** The first and last instant of a local date: [start, end). */
export function localDayBounds(localDate: Date, timeZone: string): { start: Date; end: Date } {
  const start = zonedWallTimeToInstant(localDate.getTime(), timeZone).epochMs;
  const end = zonedWallTimeToInstant(localDate.getTime() + DAY_MS, timeZone).epochMs;
  return { start: new Date(start), end: new Date(end) };
}

export type SlotClosedReason = "past" | "too-far" | "lead" | "cutoff" | "full";

/** Members can take slots up to this many days ahead. */
export const MAX_DAYS_AHEAD = 14;

export interface SlotTiming {
  slotMinutes: number;
  leadMinutes: number;
  cutoffMinutes: number;
}

/**
 * Why a slot on the grid cannot be ordered for (by time alone), or null:
 * it has started ("past"), it is more than MAX_DAYS_AHEAD days away
 * ("too-far"), it starts sooner than the preparation lead time ("lead"), or
 * it starts within the cut-off before its interval closes.
 */
export function timingReason(slot: GridSlot, settings: SlotTiming, now: Date): Exclude<SlotClosedReason, "full"> | null {
  const startMs = slot.start.getTime();
  if (startMs <= now.getTime()) return "past";
  if (startMs > now.getTime() + MAX_DAYS_AHEAD * DAY_MS) return "too-far";
  if (startMs < now.getTime() + settings.leadMinutes * MINUTE_MS) return "lead";
  if (slot.minute > slot.closes - settings.cutoffMinutes) return "cutoff";
  return null;
}
