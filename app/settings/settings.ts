import { z } from "zod";
import { DEFAULT_DAYPARTS, InvalidDaypartsError, isIanaTimeZone, parseDayparts, type DaypartSetting } from "../analytics/dayparts";

/**
 * The shop settings the owner edits on the Settings page, as a form sends
 * them (all text) and as they are stored (ShopSettings). Parsing returns a
 * message per field naming what is wrong; nothing is stored unless every
 * field is right.
 */

export const RETENTION_MIN_DAYS = 30;
export const RETENTION_MAX_DAYS = 3650;
export const MAX_REPORT_RECIPIENTS = 20;
export const WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;

/** What ShopSettings holds for the fields of this page. */
export interface EditableSettings {
  timezoneOverride: string | null;
  /** null: the default dayparts. */
  dayparts: DaypartSetting[] | null;
  quietStartMinute: number;
  quietEndMinute: number;
  pushCapCount: number;
  pushCapDays: number;
  programHoldoutPercent: number;
  reportRecipients: string[];
  reportWeekday: number;
  reportMinute: number;
  dataRetentionDays: number | null;
}

export const SETTINGS_DEFAULTS: EditableSettings = {
  timezoneOverride: null,
  dayparts: null,
  quietStartMinute: 1260,
  quietEndMinute: 420,
  pushCapCount: 1,
  pushCapDays: 3,
  programHoldoutPercent: 5,
  reportRecipients: [],
  reportWeekday: 1,
  reportMinute: 480,
  dataRetentionDays: null,
};

export type SettingsField = keyof EditableSettings;
export type SettingsErrors = Partial<Record<SettingsField, string>>;
export type SettingsParse = { ok: true; settings: EditableSettings } | { ok: false; errors: SettingsErrors };

/** "HH:MM" of a minute of the day. */
export function clockText(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

/** A minute of the day from "HH:MM" (00:00–23:59), or null. */
export function parseClock(text: string): number | null {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text.trim());
  return match ? Number(match[1]) * 60 + Number(match[2]) : null;
}

/** Dayparts as the form shows them: one per line, "morning 06:00-11:00". */
export function daypartsText(dayparts: readonly DaypartSetting[] | null): string {
  return (dayparts ?? DEFAULT_DAYPARTS).map((d) => `${d.name} ${clockText(Math.round(d.from * 60))}-${d.to === 24 ? "24:00" : clockText(Math.round(d.to * 60))}`).join("\n");
}

function parseDaypartLines(text: string): { dayparts: DaypartSetting[] | null } | { error: string } {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);
  if (lines.length === 0) return { dayparts: null };
  if (lines.length > 12) return { error: "at most 12 dayparts, one per line" };
  const raw: Array<{ name: string; from: number; to: number }> = [];
  for (const [index, line] of lines.entries()) {
    const match = /^(\S+)\s+(\d{2}:\d{2})\s*[-–]\s*(\d{2}:\d{2})$/.exec(line);
    const from = match?.[2] ? parseClock(match[2]) : null;
    const to = match?.[3] === "24:00" ? 1440 : match?.[3] ? parseClock(match[3]) : null;
    if (!match?.[1] || from === null || to === null) return { error: `line ${index + 1} must read "name HH:MM-HH:MM", e.g. "morning 06:00-11:00" (got ${JSON.stringify(line.slice(0, 60))})` };
    raw.push({ name: match[1], from: from / 60, to: to / 60 });
  }
  try {
    const dayparts = parseDayparts(raw);
    // The defaults written out are still the defaults: stored as null, so they follow the product's.
    return { dayparts: JSON.stringify(dayparts) === JSON.stringify(DEFAULT_DAYPARTS) ? null : dayparts };
  } catch (error) {
    if (error instanceof InvalidDaypartsError) return { error: error.problems.join("; ") };
    throw error;
  }
}

const email = z.email({ error: "is not an email address" });

function parseRecipients(text: string): { recipients: string[] } | { error: string } {
  const entries = text.split(/[\s,;]+/).map((entry) => entry.trim()).filter((entry) => entry.length > 0);
  if (entries.length > MAX_REPORT_RECIPIENTS) return { error: `at most ${MAX_REPORT_RECIPIENTS} recipients (got ${entries.length})` };
  const recipients: string[] = [];
  for (const entry of entries) {
    if (entry.length > 254 || !email.safeParse(entry).success) return { error: `${JSON.stringify(entry.slice(0, 80))} is not an email address` };
    const lower = entry.toLowerCase();
    if (!recipients.includes(lower)) recipients.push(lower);
  }
  return { recipients };
}

function wholeNumber(text: string, label: string, min: number, max: number): { value: number } | { error: string } {
  const trimmed = text.trim();
  if (!/^\d{1,6}$/.test(trimmed)) return { error: `${label} must be a whole number from ${min} to ${max}` };
  const value = Number(trimmed);
  if (value < min || value > max) return { error: `${label} must be from ${min} to ${max} (got ${value})` };
  return { value };
}

/** The form's fields, by name. Missing fields read as empty text. */
export type SettingsForm = Partial<Record<"timezone" | "dayparts" | "quietStart" | "quietEnd" | "pushCapCount" | "pushCapDays" | "programHoldoutPercent" | "reportRecipients" | "reportWeekday" | "reportTime" | "dataRetentionDays", string>>;

export function parseSettingsForm(form: SettingsForm): SettingsParse {
  const errors: SettingsErrors = {};
  const text = (name: keyof SettingsForm) => form[name] ?? "";
  const settings: EditableSettings = { ...SETTINGS_DEFAULTS };

  const zone = text("timezone").trim();
  if (zone === "") settings.timezoneOverride = null;
  else if (zone.length > 64 || !isIanaTimeZone(zone)) errors.timezoneOverride = `"${zone.slice(0, 64)}" is not an IANA time zone such as Europe/London (leave it empty to follow the shop's)`;
  else settings.timezoneOverride = zone;

  const dayparts = parseDaypartLines(text("dayparts"));
  if ("error" in dayparts) errors.dayparts = dayparts.error;
  else settings.dayparts = dayparts.dayparts;

  const quietStart = parseClock(text("quietStart"));
  const quietEnd = parseClock(text("quietEnd"));
  if (quietStart === null) errors.quietStartMinute = "quiet hours start must be a time HH:MM";
  else settings.quietStartMinute = quietStart;
  if (quietEnd === null) errors.quietEndMinute = "quiet hours end must be a time HH:MM";
  else settings.quietEndMinute = quietEnd;

  const capCount = wholeNumber(text("pushCapCount"), "pushes per member", 1, 100);
  if ("error" in capCount) errors.pushCapCount = capCount.error;
  else settings.pushCapCount = capCount.value;
  const capDays = wholeNumber(text("pushCapDays"), "days of the cap", 1, 90);
  if ("error" in capDays) errors.pushCapDays = capDays.error;
  else settings.pushCapDays = capDays.value;
  const holdout = wholeNumber(text("programHoldoutPercent"), "program holdout", 0, 50);
  if ("error" in holdout) errors.programHoldoutPercent = holdout.error;
  else settings.programHoldoutPercent = holdout.value;

  const recipients = parseRecipients(text("reportRecipients"));
  if ("error" in recipients) errors.reportRecipients = recipients.error;
  else settings.reportRecipients = recipients.recipients;
  const weekday = wholeNumber(text("reportWeekday"), "report weekday", 1, 7);
  if ("error" in weekday) errors.reportWeekday = weekday.error;
  else settings.reportWeekday = weekday.value;
  const reportMinute = parseClock(text("reportTime"));
  if (reportMinute === null) errors.reportMinute = "report time must be a time HH:MM";
  else settings.reportMinute = reportMinute;

  const retention = text("dataRetentionDays").trim();
  if (retention === "") settings.dataRetentionDays = null;
  else {
    const days = wholeNumber(retention, "retention", RETENTION_MIN_DAYS, RETENTION_MAX_DAYS);
    if ("error" in days) errors.dataRetentionDays = `${days.error} days (leave it empty to keep everything)`;
    else settings.dataRetentionDays = days.value;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, settings };
}

/** The fields whose value differs, each with its old and new value. */
export function settingsChanges(before: EditableSettings, after: EditableSettings): Partial<Record<SettingsField, { from: unknown; to: unknown }>> {
  const changes: Partial<Record<SettingsField, { from: unknown; to: unknown }>> = {};
  for (const field of Object.keys(SETTINGS_DEFAULTS) as SettingsField[]) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) changes[field] = { from: before[field], to: after[field] };
  }
  return changes;
}
