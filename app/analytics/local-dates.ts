/**
 * Shop-local calendar dates as the analytics pass them around: a JS Date at
 * UTC midnight of the local day (what Prisma returns for `@db.Date`).
 */

const DAY_MS = 86_400_000;

/** The shop-local date of an instant in an IANA zone, as UTC midnight of that date. */
export function localDateOf(instant: Date, timeZone: string): Date {
  const parts = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(instant);
  const part = (type: "year" | "month" | "day") => Number(parts.find((p) => p.type === type)?.value);
  return new Date(Date.UTC(part("year"), part("month") - 1, part("day")));
}

export function addDays(localDate: Date, days: number): Date {
  return new Date(localDate.getTime() + days * DAY_MS);
}

/** Whole days from one local date to another (negative when `to` is earlier). */
export function daysBetween(from: Date, to: Date): number {
  return Math.round((to.getTime() - from.getTime()) / DAY_MS);
}

/** True for a Date at UTC midnight: the form a local date takes. */
export function isLocalDate(value: Date): boolean {
  return !Number.isNaN(value.getTime()) && value.getTime() % DAY_MS === 0;
}

export interface MemberTiming {
  /** Days since the last visit (0 = visited on the as-of day). */
  recencyDays: number;
  /** Days since the first visit. */
  tenureDays: number;
}

/**
 * Recency and tenure of a member as of a local date. They change every day
 * without any new visit, so they are computed when read, not stored.
 */
export function memberTiming(feature: { firstVisitOn: Date; lastVisitOn: Date }, asOf: Date): MemberTiming {
  if (!isLocalDate(asOf)) throw new RangeError(`asOf must be a local date (UTC midnight), got ${asOf.toISOString()}`);
  return { recencyDays: daysBetween(feature.lastVisitOn, asOf), tenureDays: daysBetween(feature.firstVisitOn, asOf) };
}
