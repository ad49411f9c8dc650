import { z } from "zod";
import { assertNever } from "../lib/assert-never";

/**
 * The six week-at-a-glance KPIs (docs/reports.md defines each): a value per
 * week with its 95 % interval, the owner's target, and a trend that is called
 * up or down only when the two weeks' intervals do not overlap — the same
 * conservative test the cohort findings use (app/analytics/cohorts/findings.ts).
 * Every KPI here is better when higher.
 */

export const KPI_IDS = ["repurchase-rate", "average-ticket", "visits-per-member", "active-members", "best-cohort-return", "prepaid-peak-share"] as const;
export type KpiId = (typeof KPI_IDS)[number];

export type KpiUnit = "share" | "money" | "count" | "ratio";

export interface KpiDefinition {
  id: KpiId;
  label: string;
  unit: KpiUnit;
  /** What the owner reads under the number. */
  meaning: string;
}

/** Days of the best cohort's return probability. */
export const BEST_COHORT_RETURN_DAYS = 12;

export const KPI_DEFINITIONS: Readonly<Record<KpiId, KpiDefinition>> = {
  "repurchase-rate": {
    id: "repurchase-rate",
    label: "Repurchase rate",
    unit: "share",
    meaning: "customers who visited this week and had visited before, of all customers who visited",
  },
  "average-ticket": { id: "average-ticket", label: "Average ticket", unit: "money", meaning: "mean order total less refunds, cancelled orders left out" },
  "visits-per-member": { id: "visits-per-member", label: "Visits per member", unit: "ratio", meaning: "visits (customer × local day × location) per customer who visited" },
  "active-members": { id: "active-members", label: "Active members", unit: "count", meaning: "customers with at least one visit in the week" },
  "best-cohort-return": {
    id: "best-cohort-return",
    label: `${BEST_COHORT_RETURN_DAYS}-day return, best cohort`,
    unit: "share",
    meaning: `P(next visit within ${BEST_COHORT_RETURN_DAYS} days) of the visit-pattern cohort that returns most (Kaplan–Meier)`,
  },
  "prepaid-peak-share": { id: "prepaid-peak-share", label: "Prepaid share at peak", unit: "share", meaning: "prepaid pickup orders of all orders in each location's peak hours" },
};

/** A week's value with its 95 % interval and the count it rests on; value null when there is nothing to measure. */
export interface Measure {
  value: number | null;
  low: number | null;
  high: number | null;
  /** What the value is a share or mean of (customers, orders, visits …). */
  n: number;
}

export const EMPTY_MEASURE: Measure = { value: null, low: null, high: null, n: 0 };

/** up/down: the intervals do not overlap; steady: they do; unknown: a week has no value. */
export type Trend = "up" | "down" | "steady" | "unknown";

export interface KpiFigure {
  id: KpiId;
  label: string;
  unit: KpiUnit;
  meaning: string;
  lastWeek: Measure;
  thisWeek: Measure;
  target: number | null;
  /** thisWeek − lastWeek (points of a share, currency, visits, members). */
  change: number | null;
  trend: Trend;
  /** This week at or above the target; null without a target or a value. */
  targetMet: boolean | null;
  /** Extra context, e.g. which cohort is the best one. */
  note: string | null;
}

const Z_95 = 1.959963984540054;

/** Wilson score interval of x of n (the campaign stats use the same). */
export function shareMeasure(x: number, n: number): Measure {
  if (!Number.isInteger(x) || !Number.isInteger(n) || x < 0 || n < 0 || x > n) throw new RangeError(`a share needs whole counts 0 ≤ x ≤ n (got ${x} of ${n})`);
  if (n === 0) return EMPTY_MEASURE;
  const p = x / n;
  const z2 = Z_95 * Z_95;
  const centre = p + z2 / (2 * n);
  const spread = Z_95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  const denominator = 1 + z2 / n;
  return { value: p, low: x === 0 ? 0 : Math.max(0, (centre - spread) / denominator), high: x === n ? 1 : Math.min(1, (centre + spread) / denominator), n };
}

/** Mean with a normal-approximation interval from the sum and the sum of squares of n values. */
export function meanMeasure(n: number, sum: number, sumOfSquares: number): Measure {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`a mean needs a whole count of values (got ${n})`);
  if (n === 0) return EMPTY_MEASURE;
  const mean = sum / n;
  if (n === 1) return { value: mean, low: null, high: null, n };
  const variance = Math.max(0, (sumOfSquares - n * mean * mean) / (n - 1));
  const half = Z_95 * Math.sqrt(variance / n);
  return { value: mean, low: mean - half, high: mean + half, n };
}

/**
 * A weekly count (active members) with the interval a Poisson count of that
 * size carries: the week-to-week wobble a steady cafe would show anyway.
 */
export function countMeasure(count: number): Measure {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`a count must be a whole number ≥ 0 (got ${count})`);
  const half = Z_95 * Math.sqrt(count);
  return { value: count, low: Math.max(0, count - half), high: count + half, n: count };
}

export function trendOf(last: Measure, current: Measure): Trend {
  if (last.value === null || current.value === null) return "unknown";
  if (last.low === null || last.high === null || current.low === null || current.high === null) return "steady";
  if (current.low > last.high) return "up";
  if (current.high < last.low) return "down";
  return "steady";
}

export function kpiFigure(id: KpiId, lastWeek: Measure, thisWeek: Measure, target: number | null, note: string | null = null): KpiFigure {
  const definition = KPI_DEFINITIONS[id];
  return {
    ...definition,
    lastWeek,
    thisWeek,
    target,
    change: lastWeek.value !== null && thisWeek.value !== null ? thisWeek.value - lastWeek.value : null,
    trend: trendOf(lastWeek, thisWeek),
    targetMet: target === null || thisWeek.value === null ? null : thisWeek.value >= target - 1e-12,
    note,
  };
}

/** ShopSettings.kpiTargets: the owner's KPIs in order, each with a target (null: none). */
export const kpiTargetsSchema = z
  .array(
    z.object({
      kpi: z.enum(KPI_IDS, { error: `must be one of ${KPI_IDS.join(", ")}` }),
      target: z.number({ error: "must be a number or null" }).finite().nullable(),
    }),
    { error: "must be a list of { kpi, target }" },
  )
  .min(1, "must name at least one KPI")
  .max(KPI_IDS.length, `names at most ${KPI_IDS.length} KPIs`)
  .refine((list) => new Set(list.map((entry) => entry.kpi)).size === list.length, "names a KPI twice")
  .superRefine((list, context) => {
    for (const [index, entry] of list.entries()) {
      if (entry.target === null) continue;
      const unit = KPI_DEFINITIONS[entry.kpi].unit;
      if (unit === "share" && (entry.target < 0 || entry.target > 1)) context.addIssue({ code: "custom", path: [index, "target"], message: `target of ${entry.kpi} is a share from 0 to 1 (got ${entry.target})` });
      else if (entry.target < 0) context.addIssue({ code: "custom", path: [index, "target"], message: `target of ${entry.kpi} cannot be negative (got ${entry.target})` });
    }
  });

export type KpiTargets = z.infer<typeof kpiTargetsSchema>;

export const DEFAULT_KPI_TARGETS: KpiTargets = KPI_IDS.map((kpi) => ({ kpi, target: null }));

/** The KPI choice to report on: the stored one, or the default set with a note saying why the stored one was not used. */
export function resolveKpiTargets(stored: unknown): { targets: KpiTargets; problem: string | null } {
  if (stored === null || stored === undefined) return { targets: DEFAULT_KPI_TARGETS, problem: null };
  const parsed = kpiTargetsSchema.safeParse(stored);
  if (parsed.success) return { targets: parsed.data, problem: null };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join(".")}` : "";
  return { targets: DEFAULT_KPI_TARGETS, problem: `ShopSettings.kpiTargets is not usable${where}: ${issue?.message ?? "invalid"}; the default KPIs are shown without targets` };
}

/** A KPI value as the owner reads it. */
export function formatKpiValue(unit: KpiUnit, value: number | null, currency: string): string {
  if (value === null) return "–";
  switch (unit) {
    case "share":
      return `${(value * 100).toFixed(1)} %`;
    case "money":
      return formatMoney(value, currency);
    case "count":
      return Math.round(value).toLocaleString("en-GB");
    case "ratio":
      return value.toFixed(2);
    default:
      return assertNever(unit, "KPI unit");
  }
}

/** A change between weeks: points for shares, signed otherwise. */
export function formatKpiChange(unit: KpiUnit, change: number | null, currency: string): string {
  if (change === null) return "–";
  const sign = change > 0 ? "+" : change < 0 ? "−" : "±";
  const size = Math.abs(change);
  switch (unit) {
    case "share":
      return `${sign}${(size * 100).toFixed(1)} points`;
    case "money":
      return `${sign}${formatMoney(size, currency)}`;
    case "count":
      return `${sign}${Math.round(size).toLocaleString("en-GB")}`;
    case "ratio":
      return `${sign}${size.toFixed(2)}`;
    default:
      return assertNever(unit, "KPI unit");
  }
}

export function formatInterval(unit: KpiUnit, measure: Measure, currency: string): string {
  if (measure.low === null || measure.high === null) return "no interval";
  return `95 % CI ${formatKpiValue(unit, measure.low, currency)}–${formatKpiValue(unit, measure.high, currency)}`;
}

export function formatMoney(value: number, currency: string): string {
  try {
    return new Intl.NumberFormat("en-GB", { style: "currency", currency, minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(value);
  } catch {
    return `${value.toFixed(2)} ${currency}`;
  }
}

export const TREND_WORDS: Readonly<Record<Trend, string>> = { up: "up", down: "down", steady: "no clear change", unknown: "not enough data" };
