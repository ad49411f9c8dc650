import type { Database } from "../db/prisma.server";
import type { WeeklyFigures } from "../reports/figures";
import { computeWeeklyFigures } from "../reports/figures.server";
import { formatInterval, formatKpiChange, formatKpiValue, KPI_DEFINITIONS, KPI_IDS, kpiFigure, resolveKpiTargets, TREND_WORDS, type KpiFigure, type KpiId, type Trend } from "../reports/kpis";
import { lastFullWeek, parseIsoWeek, WeekFormatError } from "../reports/week";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import { targetText } from "../settings/kpi-targets";

/**
 * The Home page's week at a glance: the owner's KPIs for a finished week
 * against the week before and the targets. The figures are the weekly
 * report's (app/reports/figures.server.ts): the stored report's when the week
 * has one, so Home, the email and `regulars report --json` show the same
 * numbers; otherwise computed from the shop's data, kept for a few minutes.
 * Targets are always the current ones.
 */

export interface KpiRow {
  id: KpiId;
  label: string;
  meaning: string;
  lastWeek: string;
  lastWeekInterval: string;
  thisWeek: string;
  thisWeekInterval: string;
  target: string;
  targetMet: boolean | null;
  trend: Trend;
  trendText: string;
  note: string | null;
}

export interface WeekAtAGlance {
  week: string;
  previousWeek: string;
  from: string;
  to: string;
  /** stored: the week's report; computed: figured now (no report for the week yet). */
  source: "stored" | "computed";
  rows: KpiRow[];
  notes: string[];
  /** The KPI form: every KPI, whether it is shown, and its target as typed. */
  choices: Array<{ kpi: KpiId; label: string; unit: string; shown: boolean; target: string }>;
  targetsProblem: string | null;
}

export type WeekChoice = { ok: true; week: string } | { ok: false; message: string; week: string };

/** The week asked for (?week=YYYY-Www), or the last full week in the shop's zone. */
export async function chooseWeek(db: Database, shop: string, asked: string | null, now: Date = new Date()): Promise<WeekChoice> {
  const { timezone } = await shopAnalyticsSettings(db, shop);
  const latest = lastFullWeek(now, timezone);
  if (asked === null || asked === "") return { ok: true, week: latest.key };
  try {
    const week = parseIsoWeek(asked);
    if (week.monday.getTime() > latest.monday.getTime()) return { ok: false, message: `${asked} is not over yet; the latest finished week is ${latest.key}`, week: latest.key };
    return { ok: true, week: week.key };
  } catch (error) {
    if (error instanceof WeekFormatError) return { ok: false, message: error.message, week: latest.key };
    throw error;
  }
}

const CACHE_MS = 5 * 60_000;
const cache = new Map<string, { at: number; figures: WeeklyFigures }>();

async function figuresOf(db: Database, shop: string, week: string, needed: readonly KpiId[], now: number): Promise<{ figures: WeeklyFigures; source: "stored" | "computed" }> {
  const stored = await db.weeklyReport.findUnique({ where: { shop_week: { shop, week } }, select: { figures: true } });
  // Written by computeWeeklyFigures for this very row; not input from outside.
  const figures = stored?.figures as unknown as WeeklyFigures | undefined;
  if (figures && needed.every((id) => figures.kpis.some((k) => k.id === id))) return { figures, source: "stored" };
  const key = `${shop}|${week}|${needed.join(",")}`;
  const cached = cache.get(key);
  if (cached && now - cached.at < CACHE_MS) return { figures: cached.figures, source: "computed" };
  const computed = await computeWeeklyFigures(db, shop, week);
  if (cache.size > 500) cache.clear();
  cache.set(key, { at: now, figures: computed });
  return { figures: computed, source: "computed" };
}

export async function weekAtAGlance(db: Database, shop: string, week: string, now: Date = new Date()): Promise<WeekAtAGlance> {
  const settings = await db.shopSettings.findUnique({ where: { shop }, select: { kpiTargets: true } });
  const { targets, problem } = resolveKpiTargets(settings?.kpiTargets ?? null);
  const { figures, source } = await figuresOf(db, shop, week, targets.map((t) => t.kpi), now.getTime());
  const currency = figures.currency;
  const byId = new Map(figures.kpis.map((k) => [k.id, k]));
  const rows = targets.flatMap(({ kpi, target }): KpiRow[] => {
    const figure = byId.get(kpi);
    if (!figure) return [];
    const current: KpiFigure = kpiFigure(kpi, figure.lastWeek, figure.thisWeek, target, figure.note);
    return [
      {
        id: kpi,
        label: current.label,
        meaning: current.meaning,
        lastWeek: formatKpiValue(current.unit, current.lastWeek.value, currency),
        lastWeekInterval: formatInterval(current.unit, current.lastWeek, currency),
        thisWeek: formatKpiValue(current.unit, current.thisWeek.value, currency),
        thisWeekInterval: formatInterval(current.unit, current.thisWeek, currency),
        target: target === null ? "no target" : formatKpiValue(current.unit, target, currency),
        targetMet: current.targetMet,
        trend: current.trend,
        trendText: `${TREND_WORDS[current.trend]} (${formatKpiChange(current.unit, current.change, currency)})`,
        note: current.note,
      },
    ];
  });
  const shown = new Map(targets.map((t) => [t.kpi, t.target]));
  return {
    week: figures.week,
    previousWeek: figures.previousWeek,
    from: figures.from,
    to: figures.to,
    source,
    rows,
    notes: figures.notes.filter((note) => !note.startsWith("ShopSettings.kpiTargets")),
    choices: KPI_IDS.map((kpi) => ({ kpi, label: KPI_DEFINITIONS[kpi].label, unit: KPI_DEFINITIONS[kpi].unit, shown: shown.has(kpi), target: targetText(kpi, shown.get(kpi) ?? null) })),
    targetsProblem: problem,
  };
}
