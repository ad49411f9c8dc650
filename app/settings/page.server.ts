import type { Database } from "../db/prisma.server";
import { listAuditEvents, parseAuditCursor, type AuditPage } from "../audit/audit.server";
import { EXPORT_TABLE_NAMES } from "./export.server";
import { clockText, daypartsText, parseSettingsForm, type SettingsErrors, type SettingsField, type SettingsForm } from "./settings";
import { loadSettings, saveSettings } from "./settings.server";

/** What the Settings page loads and submits, every read and write scoped by the signed-in shop. */

export interface SettingsPage {
  shopTimezone: string;
  fields: Required<SettingsForm>;
  problems: string[];
  audit: AuditPage;
  /** The cursor this page of the audit log starts after (null: the newest). */
  auditBefore: string | null;
  exportTables: string[];
}

export async function settingsPage(db: Database, shop: string, auditBefore: string | null): Promise<SettingsPage> {
  const view = await loadSettings(db, shop);
  const before = parseAuditCursor(auditBefore);
  const s = view.settings;
  return {
    shopTimezone: view.shopTimezone,
    fields: {
      timezone: s.timezoneOverride ?? "",
      dayparts: daypartsText(s.dayparts),
      quietStart: clockText(s.quietStartMinute),
      quietEnd: clockText(s.quietEndMinute),
      pushCapCount: String(s.pushCapCount),
      pushCapDays: String(s.pushCapDays),
      programHoldoutPercent: String(s.programHoldoutPercent),
      reportRecipients: s.reportRecipients.join(", "),
      reportWeekday: String(s.reportWeekday),
      reportTime: clockText(s.reportMinute),
      dataRetentionDays: s.dataRetentionDays === null ? "" : String(s.dataRetentionDays),
    },
    problems: view.problems,
    audit: await listAuditEvents(db, shop, { before }),
    auditBefore: before ? auditBefore : null,
    exportTables: [...EXPORT_TABLE_NAMES],
  };
}

const FORM_FIELDS = ["timezone", "dayparts", "quietStart", "quietEnd", "pushCapCount", "pushCapDays", "programHoldoutPercent", "reportRecipients", "reportWeekday", "reportTime", "dataRetentionDays"] as const;

export type SettingsSubmit = { ok: true; changed: SettingsField[]; message: string } | { ok: false; errors: SettingsErrors };

/** Validates the whole form; stores and audits it only when every field is right. */
export async function submitSettings(db: Database, shop: string, actor: string, form: FormData): Promise<SettingsSubmit> {
  const fields: SettingsForm = {};
  for (const name of FORM_FIELDS) {
    const value = form.get(name);
    fields[name] = typeof value === "string" ? value.slice(0, 10_000) : "";
  }
  const parsed = parseSettingsForm(fields);
  if (!parsed.ok) return parsed;
  const { changed } = await saveSettings(db, shop, actor, parsed.settings);
  return { ok: true, changed, message: changed.length === 0 ? "Nothing changed." : `Saved: ${changed.map(describeField).join(", ")}.` };
}

const FIELD_WORDS: Record<SettingsField, string> = {
  timezoneOverride: "time zone",
  dayparts: "dayparts",
  quietStartMinute: "quiet hours start",
  quietEndMinute: "quiet hours end",
  pushCapCount: "frequency cap",
  pushCapDays: "frequency cap days",
  programHoldoutPercent: "program holdout",
  reportRecipients: "report recipients",
  reportWeekday: "report day",
  reportMinute: "report time",
  dataRetentionDays: "data retention",
};

export function describeField(field: SettingsField): string {
  return FIELD_WORDS[field];
}
