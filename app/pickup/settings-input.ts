import { z } from "zod";
import { clockMinutes, DAY_MINUTES, WEEKDAY_NAMES, type OpeningInterval } from "./hours";

/**
 * A location's pickup settings as the owner enters them (admin form, CLI),
 * validated into the shape PickupSettings stores. Pure: no database.
 */

/** Slot lengths from 5 to 60 minutes that divide a day, so the grid repeats every day. */
export const SLOT_LENGTHS = [5, 6, 8, 9, 10, 12, 15, 16, 18, 20, 24, 30, 36, 40, 45, 48, 60] as const;
export const MAX_INTERVALS_PER_DAY = 4;
export const MAX_CAPACITY_ORDERS = 1_000;
export const MAX_CAPACITY_ITEMS = 10_000;
export const MAX_LEAD_MINUTES = 24 * 60;
export const MAX_HOLD_MINUTES = 30;

const clock = (what: string) =>
  z
    .string({ error: `${what} must be a time like 07:30` })
    .refine((text) => clockMinutes(text) !== null, { error: (issue) => `${what} must be a time like 07:30 (got ${JSON.stringify(issue.input)})` });

const wholeNumber = (what: string, min: number, max: number) =>
  z
    .number({ error: `${what} must be a whole number` })
    .int(`${what} must be a whole number`)
    .min(min, `${what} must be at least ${min}`)
    .max(max, `${what} must be at most ${max}`);

const openingInterval = z.object({
  weekday: z
    .number({ error: "weekday must be 1 (Monday) to 7 (Sunday)" })
    .int("weekday must be 1 (Monday) to 7 (Sunday)")
    .min(1, "weekday must be 1 (Monday) to 7 (Sunday)")
    .max(7, "weekday must be 1 (Monday) to 7 (Sunday)"),
  opens: clock("opening time"),
  closes: clock("closing time"),
});

export const pickupSettingsInput = z.object({
  enabled: z.boolean({ error: "enabled must be true or false" }),
  hours: z.array(openingInterval, { error: "hours must be a list of opening times" }).max(7 * MAX_INTERVALS_PER_DAY, `at most ${MAX_INTERVALS_PER_DAY} opening intervals per day`),
  slotMinutes: wholeNumber("slot length", 5, 60).refine((minutes) => DAY_MINUTES % minutes === 0, {
    error: `slot length must divide a day evenly: ${SLOT_LENGTHS.join(", ")} minutes`,
  }),
  capacityOrders: wholeNumber("orders per slot", 1, MAX_CAPACITY_ORDERS).nullable(),
  capacityItems: wholeNumber("drinks per slot", 1, MAX_CAPACITY_ITEMS).nullable(),
  leadMinutes: wholeNumber("preparation lead time", 0, MAX_LEAD_MINUTES),
  cutoffMinutes: wholeNumber("order cut-off", 0, MAX_LEAD_MINUTES),
  holdMinutes: wholeNumber("hold time", 1, MAX_HOLD_MINUTES),
});

/**
 * Rules across fields, checked on the raw input so that they are reported
 * together with any problem of a single field.
 */
function crossFieldErrors(input: unknown): FieldErrors {
  const errors: FieldErrors = {};
  if (typeof input !== "object" || input === null) return errors;
  const get = (key: string): unknown => Reflect.get(input, key);
  if (get("capacityOrders") === null && get("capacityItems") === null) {
    errors.capacityOrders = "set orders per slot, drinks per slot, or both: a slot needs a limit";
  }
  const hours = get("hours");
  if (!Array.isArray(hours)) return errors;
  if (get("enabled") === true && hours.length === 0) errors.hours = "add opening hours before turning pickup on";
  const intervals = (hours as unknown[]).map((entry, index) => {
    const field = (key: string): unknown => (typeof entry === "object" && entry !== null ? Reflect.get(entry, key) : undefined);
    const opensText = field("opens");
    const closesText = field("closes");
    const opens = typeof opensText === "string" ? clockMinutes(opensText) : null;
    const closes = typeof closesText === "string" ? clockMinutes(closesText) : null;
    return { index, weekday: field("weekday"), opens, closes, opensText, closesText };
  });
  for (const entry of intervals) {
    if (entry.opens === null || entry.closes === null) continue;
    if (entry.opens === DAY_MINUTES) errors[`hours.${entry.index}.opens`] ??= "opening time must be before 24:00";
    else if (entry.closes <= entry.opens) {
      errors[`hours.${entry.index}.closes`] ??= `closing time ${String(entry.closesText)} must be after opening time ${String(entry.opensText)}`;
    }
  }
  for (let weekday = 1; weekday <= 7; weekday++) {
    const day = intervals
      .filter((entry) => entry.weekday === weekday && entry.opens !== null && entry.closes !== null && entry.closes > entry.opens)
      .sort((a, b) => (a.opens ?? 0) - (b.opens ?? 0));
    const name = WEEKDAY_NAMES[weekday - 1] ?? String(weekday);
    if (day.length > MAX_INTERVALS_PER_DAY) errors.hours ??= `${name} has ${day.length} opening intervals; at most ${MAX_INTERVALS_PER_DAY}`;
    for (let i = 1; i < day.length; i++) {
      const previous = day[i - 1];
      const current = day[i];
      if (previous && current && (current.opens ?? 0) < (previous.closes ?? 0)) errors[`hours.${current.index}.opens`] ??= `${name}'s opening intervals overlap`;
    }
  }
  return errors;
}

export type PickupSettingsInput = z.infer<typeof pickupSettingsInput>;

/** The defaults of a location without settings (the schema's column defaults). */
export const DEFAULT_PICKUP_SETTINGS: PickupSettingsInput = {
  enabled: false,
  hours: [],
  slotMinutes: 10,
  capacityOrders: 5,
  capacityItems: null,
  leadMinutes: 10,
  cutoffMinutes: 15,
  holdMinutes: 10,
};

/** Field path ("hours.2.closes") → message, first problem per field. */
export type FieldErrors = Record<string, string>;

export type ParsedSettings = { ok: true; value: PickupSettingsInput } | { ok: false; errors: FieldErrors };

export function parsePickupSettings(input: unknown): ParsedSettings {
  const parsed = pickupSettingsInput.safeParse(input);
  const errors: FieldErrors = {};
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const key = issue.path.length > 0 ? issue.path.map(String).join(".") : "settings";
    errors[key] ??= issue.message;
  }
  for (const [key, message] of Object.entries(crossFieldErrors(input))) errors[key] ??= message;
  if (parsed.success && Object.keys(errors).length === 0) return { ok: true, value: { ...parsed.data, hours: sortHours(parsed.data.hours) } };
  return { ok: false, errors };
}

function sortHours(hours: OpeningInterval[]): OpeningInterval[] {
  return [...hours].sort((a, b) => a.weekday - b.weekday || (clockMinutes(a.opens) ?? 0) - (clockMinutes(b.opens) ?? 0));
}

/**
 * One weekday's hours as the owner types them: "07:00-11:00, 12:00-15:00"
 * (an en dash works too), empty for closed.
 */
export function parseDayHours(weekday: number, text: string): { ok: true; value: OpeningInterval[] } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { ok: true, value: [] };
  const intervals: OpeningInterval[] = [];
  for (const part of trimmed.split(",")) {
    const match = /^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$/.exec(part);
    if (!match?.[1] || !match[2]) return { ok: false, message: `write hours like 07:00-11:00, 12:00-15:00 (got ${JSON.stringify(part.trim())})` };
    intervals.push({ weekday, opens: match[1].padStart(5, "0"), closes: match[2].padStart(5, "0") });
  }
  return { ok: true, value: intervals };
}

/** A weekday's intervals back as text, for the form. */
export function dayHoursText(hours: readonly OpeningInterval[], weekday: number): string {
  return hours
    .filter((entry) => entry.weekday === weekday)
    .map((entry) => `${entry.opens}-${entry.closes}`)
    .join(", ");
}

/**
 * The admin form's fields → settings input: `enabled` ("on"), `hours.1` …
 * `hours.7` (one text per weekday), numbers as text, and empty capacity for
 * "no limit". Problems with the text itself are reported per field.
 */
export function settingsFromForm(form: { get(name: string): unknown }): ParsedSettings {
  const errors: FieldErrors = {};
  const hours: OpeningInterval[] = [];
  for (let weekday = 1; weekday <= 7; weekday++) {
    const text = form.get(`hours.${weekday}`);
    const day = parseDayHours(weekday, typeof text === "string" ? text : "");
    if (day.ok) hours.push(...day.value);
    else errors[`hours.${weekday}`] = day.message;
  }
  const number = (name: string, nullable: boolean): number | null | string => {
    const raw = form.get(name);
    const text = typeof raw === "string" ? raw.trim() : "";
    if (text === "" && nullable) return null;
    return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  };
  const parsed = parsePickupSettings({
    enabled: form.get("enabled") === "on" || form.get("enabled") === "true",
    hours,
    slotMinutes: number("slotMinutes", false),
    capacityOrders: number("capacityOrders", true),
    capacityItems: number("capacityItems", true),
    leadMinutes: number("leadMinutes", false),
    cutoffMinutes: number("cutoffMinutes", false),
    holdMinutes: number("holdMinutes", false),
  });
  if (parsed.ok && Object.keys(errors).length === 0) return parsed;
  const all = parsed.ok ? errors : { ...formErrors(parsed.errors, hours), ...errors };
  return { ok: false, errors: all };
}

/** Maps an hours entry's index back to its weekday's form field. */
function formErrors(errors: FieldErrors, hours: OpeningInterval[]): FieldErrors {
  const mapped: FieldErrors = {};
  for (const [key, message] of Object.entries(errors)) {
    const match = /^hours\.(\d+)/.exec(key);
    const entry = match ? hours[Number(match[1])] : undefined;
    const field = entry ? `hours.${entry.weekday}` : key;
    mapped[field] ??= message;
  }
  return mapped;
}

const DAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;

/**
 * A week's hours on one line, as an operator types them on the command line:
 * "mon-fri 07:00-15:00; sat 08:00-12:00, 13:00-16:00; sun closed". Days not
 * named are closed.
 */
export function parseWeekHours(text: string): { ok: true; value: OpeningInterval[] } | { ok: false; message: string } {
  const hours: OpeningInterval[] = [];
  const seen = new Set<number>();
  for (const part of text.split(";").map((p) => p.trim()).filter(Boolean)) {
    const match = /^([a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*,\s*[a-z]{3}(?:\s*-\s*[a-z]{3})?)*)\s+(.+)$/i.exec(part);
    if (!match?.[1] || !match[2]) return { ok: false, message: `write hours like "mon-fri 07:00-15:00; sat 08:00-12:00" (got ${JSON.stringify(part)})` };
    const days: number[] = [];
    for (const range of match[1].toLowerCase().split(",")) {
      const [from, to] = range.split("-").map((day) => (DAY_KEYS as readonly string[]).indexOf(day.trim()) + 1);
      if (!from || (to !== undefined && !to)) return { ok: false, message: `unknown day in ${JSON.stringify(range.trim())}; days are ${DAY_KEYS.join(", ")}` };
      const last = to ?? from;
      if (last < from) return { ok: false, message: `day range ${JSON.stringify(range.trim())} runs backwards` };
      for (let day = from; day <= last; day++) days.push(day);
    }
    for (const weekday of days) {
      if (seen.has(weekday)) return { ok: false, message: `${WEEKDAY_NAMES[weekday - 1]} is given twice` };
      seen.add(weekday);
      if (match[2].trim().toLowerCase() === "closed") continue;
      const day = parseDayHours(weekday, match[2]);
      if (!day.ok) return day;
      hours.push(...day.value);
    }
  }
  return { ok: true, value: hours };
}

/** "Mon 07:00-15:00; …; Sun closed". */
export function weekHoursText(hours: readonly OpeningInterval[]): string {
  return DAY_KEYS.map((key, index) => `${key[0]?.toUpperCase()}${key.slice(1)} ${dayHoursText(hours, index + 1) || "closed"}`).join("; ");
}
