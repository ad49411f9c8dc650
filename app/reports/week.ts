import { addDays, localDateOf } from "../analytics/local-dates";

/**
 * ISO weeks ("2026-W09": Monday to Sunday, week 1 holds the year's first
 * Thursday) in the shop's local calendar. A report covers one such week of
 * shop-local days; the local dates are Dates at UTC midnight, as the
 * analytics pass them around (app/analytics/local-dates.ts).
 */

export interface IsoWeek {
  /** "YYYY-Www" */
  key: string;
  year: number;
  week: number;
  /** Monday, inclusive. */
  monday: Date;
  /** Sunday, inclusive. */
  sunday: Date;
  /** The Monday after: the exclusive end. */
  end: Date;
}

export class WeekFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "WeekFormatError";
  }
}

const WEEK_PATTERN = /^(\d{4})-W(\d{2})$/;

/** Weeks in an ISO year: 53 when 28 December falls in week 53, i.e. the year has 53 Thursdays-led weeks. */
export function weeksInYear(year: number): number {
  return isoWeekOf(new Date(Date.UTC(year, 11, 28))).week;
}

/** Parses "YYYY-Www", refusing week 00, weeks past the year's last and anything else. */
export function parseIsoWeek(text: string): IsoWeek {
  const match = WEEK_PATTERN.exec(text);
  if (!match) throw new WeekFormatError(`a week must be written YYYY-Www, e.g. 2026-W09 (got ${JSON.stringify(text)})`);
  const year = Number(match[1]);
  const week = Number(match[2]);
  const last = weeksInYear(year);
  if (week < 1 || week > last) throw new WeekFormatError(`${year} has ISO weeks W01 to W${String(last).padStart(2, "0")} (got ${JSON.stringify(text)})`);
  // 4 January is always in week 1.
  const jan4 = new Date(Date.UTC(year, 0, 4));
  const mondayOfWeek1 = addDays(jan4, -((jan4.getUTCDay() + 6) % 7));
  return weekFromMonday(addDays(mondayOfWeek1, (week - 1) * 7));
}

/** The ISO week a local date (UTC midnight) falls in. */
export function isoWeekOf(localDate: Date): IsoWeek {
  const monday = addDays(localDate, -((localDate.getUTCDay() + 6) % 7));
  return weekFromMonday(monday);
}

function weekFromMonday(monday: Date): IsoWeek {
  const thursday = addDays(monday, 3);
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1);
  const week = Math.floor((thursday.getTime() - jan1) / (7 * 86_400_000)) + 1;
  return { key: `${year}-W${String(week).padStart(2, "0")}`, year, week, monday, sunday: addDays(monday, 6), end: addDays(monday, 7) };
}

export function previousWeek(week: IsoWeek): IsoWeek {
  return weekFromMonday(addDays(week.monday, -7));
}

/** The last ISO week that is over in the shop's zone at `now`: the week before the current local week. */
export function lastFullWeek(now: Date, timeZone: string): IsoWeek {
  return previousWeek(isoWeekOf(localDateOf(now, timeZone)));
}

/** True when the week has not ended yet in the shop's zone at `now` (its Sunday is today or later). */
export function isUnfinished(week: IsoWeek, now: Date, timeZone: string): boolean {
  return week.end.getTime() > localDateOf(now, timeZone).getTime();
}

export function localDateText(date: Date): string {
  return date.toISOString().slice(0, 10);
}
