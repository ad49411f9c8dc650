import { Prisma } from "../db/generated/client";
import { InvalidDaypartsError, parseDayparts, type DaypartSetting } from "../analytics/dayparts";
import type { Database } from "../db/prisma.server";
import { recordAudit } from "../audit/audit.server";
import { kpiTargetsSchema, resolveKpiTargets, type KpiTargets } from "../reports/kpis";
import { SETTINGS_DEFAULTS, settingsChanges, type EditableSettings, type SettingsField } from "./settings";

/**
 * Reading and writing the owner's settings (ShopSettings). A save writes the
 * row and its audit event in one transaction, and only when something
 * changed, so submitting the same form twice records one change.
 */

export class SettingsShopNotFoundError extends Error {
  constructor(readonly shop: string) {
    super(`shop ${shop} is not known to Regulars`);
    this.name = "SettingsShopNotFoundError";
  }
}

export interface SettingsView {
  shopTimezone: string;
  settings: EditableSettings;
  /** A stored value that cannot be used, shown so the owner can fix it. */
  problems: string[];
}

export async function loadSettings(db: Database, shop: string): Promise<SettingsView> {
  const [shopRow, row] = await Promise.all([db.shop.findUnique({ where: { domain: shop }, select: { timezone: true } }), db.shopSettings.findUnique({ where: { shop } })]);
  if (!shopRow) throw new SettingsShopNotFoundError(shop);
  const problems: string[] = [];
  let dayparts: DaypartSetting[] | null = null;
  if (row?.dayparts !== null && row?.dayparts !== undefined) {
    try {
      dayparts = parseDayparts(row.dayparts);
    } catch (error) {
      if (!(error instanceof InvalidDaypartsError)) throw error;
      problems.push(`The stored dayparts cannot be used (${error.problems.join("; ")}); the defaults are shown.`);
    }
  }
  const settings: EditableSettings = row
    ? {
        timezoneOverride: row.timezoneOverride,
        dayparts,
        quietStartMinute: row.quietStartMinute,
        quietEndMinute: row.quietEndMinute,
        pushCapCount: row.pushCapCount,
        pushCapDays: row.pushCapDays,
        programHoldoutPercent: row.programHoldoutPercent,
        reportRecipients: row.reportRecipients,
        reportWeekday: row.reportWeekday,
        reportMinute: row.reportMinute,
        dataRetentionDays: row.dataRetentionDays,
      }
    : { ...SETTINGS_DEFAULTS };
  return { shopTimezone: shopRow.timezone, settings, problems };
}

export interface SaveOutcome {
  changed: SettingsField[];
}

/** Stores validated settings (parseSettingsForm) and audits what changed; nothing is written when nothing changed. */
export async function saveSettings(db: Database, shop: string, actor: string, next: EditableSettings): Promise<SaveOutcome> {
  const current = await loadSettings(db, shop);
  const changes = settingsChanges(current.settings, next);
  const changed = Object.keys(changes) as SettingsField[];
  if (changed.length === 0 && current.problems.length === 0) return { changed };
  const data = {
    timezoneOverride: next.timezoneOverride,
    dayparts: next.dayparts === null ? null : (next.dayparts.map((d) => ({ name: d.name, from: d.from, to: d.to })) satisfies Prisma.InputJsonValue),
    quietStartMinute: next.quietStartMinute,
    quietEndMinute: next.quietEndMinute,
    pushCapCount: next.pushCapCount,
    pushCapDays: next.pushCapDays,
    programHoldoutPercent: next.programHoldoutPercent,
    reportRecipients: next.reportRecipients,
    reportWeekday: next.reportWeekday,
    reportMinute: next.reportMinute,
    dataRetentionDays: next.dataRetentionDays,
  };
  await db.$transaction(async (tx) => {
    const dayparts = data.dayparts === null ? Prisma.DbNull : data.dayparts;
    await tx.shopSettings.upsert({ where: { shop }, create: { shop, ...data, dayparts }, update: { ...data, dayparts } });
    await recordAudit(tx, { shop, actor, action: "settings.update", target: "settings", details: JSON.parse(JSON.stringify({ changes })) as Prisma.InputJsonValue });
  });
  return { changed };
}

/** The owner's KPI choice and targets, with a note when the stored list is unusable. */
export async function loadKpiTargets(db: Database, shop: string): Promise<{ targets: KpiTargets; problem: string | null }> {
  const row = await db.shopSettings.findUnique({ where: { shop }, select: { kpiTargets: true } });
  return resolveKpiTargets(row?.kpiTargets ?? null);
}

export type KpiTargetsSave = { ok: true; changed: boolean } | { ok: false; message: string };

/** Validates and stores the KPI targets (the reports' own schema), auditing a change. */
export async function saveKpiTargets(db: Database, shop: string, actor: string, input: unknown): Promise<KpiTargetsSave> {
  const parsed = kpiTargetsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, message: issue?.message ?? "the KPI targets are not valid" };
  }
  const before = await loadKpiTargets(db, shop);
  const same = JSON.stringify(before.targets) === JSON.stringify(parsed.data) && before.problem === null;
  if (same) return { ok: true, changed: false };
  const targets: Prisma.InputJsonValue = parsed.data.map((entry) => ({ kpi: entry.kpi, target: entry.target }));
  await db.$transaction(async (tx) => {
    await tx.shopSettings.upsert({ where: { shop }, create: { shop, kpiTargets: targets }, update: { kpiTargets: targets } });
    await recordAudit(tx, { shop, actor, action: "settings.kpi-targets", target: "kpi-targets", details: { from: before.targets, to: targets } });
  });
  return { ok: true, changed: true };
}
