import type { ReportFinding } from "./findings";
import type { KpiFigure } from "./kpis";

/**
 * Every number a weekly report shows, as stored in WeeklyReport.figures and
 * printed by `regulars report --json`. Deterministic for a shop, a week and
 * the data: no clock readings inside, so the email, the admin and the CLI
 * show the same figures.
 */

export const FIGURES_VERSION = 1;

/** Acquisition cohorts and weeks since the first visit shown in the heatmap. */
export const HEATMAP_COHORTS = 12;
export const HEATMAP_WEEKS = 12;

export interface HeatmapRow {
  /** Monday of the acquisition week. */
  cohort: string;
  size: number;
  /** Share of the cohort with a visit n weeks after its first week; null where the week is not reached yet. */
  cells: Array<{ week: number; members: number; share: number; partial: boolean } | null>;
}

export interface CohortSection {
  returnDays: number;
  /** Local date the cohort curves are censored at (the week's Sunday, or the last visit before it). */
  until: string | null;
  best: { cohort: string; p: number; low: number; high: number; visits: number; known: number } | null;
  findings: Array<{ cohort: string; supported: boolean; verdict: string; sentence: string }>;
  silence: string | null;
}

export interface CampaignSection {
  id: string;
  name: string;
  kind: string;
  status: string;
  holdoutPercent: number;
  treatment: { recipients: number; conversions: number; rate: number | null; low: number | null; high: number | null };
  holdout: { recipients: number; conversions: number; rate: number | null; low: number | null; high: number | null };
  uplift: { difference: number; low: number; high: number; pValue: number; verdict: "better" | "worse" | "inconclusive"; summary: string } | null;
}

export interface PickupLocationSection {
  locationId: string;
  name: string;
  orders: number;
  pickupOrders: number;
  peakHours: number[];
  peakOrders: number;
  peakPickupOrders: number;
  peakPickupShare: number | null;
  onTimeRate: number | null;
  avgMinutesToReady: number | null;
  noShows: number;
}

/** Perks given at the counter in the week, per program (app/perks/). */
export interface PerksSection {
  redeemed: number;
  lastWeek: number;
  programs: Array<{ programId: string; name: string; kind: string; redeemed: number; lastWeek: number }>;
}

export interface WeeklyFigures {
  version: number;
  shop: string;
  shopName: string | null;
  week: string;
  previousWeek: string;
  /** Monday and Sunday of the week (shop-local dates). */
  from: string;
  to: string;
  timezone: string;
  currency: string;
  kpis: KpiFigure[];
  heatmap: { until: string | null; rows: HeatmapRow[] };
  cohorts: CohortSection;
  campaigns: CampaignSection[];
  pickup: { thisWeek: PickupLocationSection[]; lastWeek: PickupLocationSection[] };
  /** Absent in reports stored before perks existed. */
  perks?: PerksSection;
  findings: ReportFinding[];
  /** Anything the owner should know about how the figures were made (a settings problem, data that ends early). */
  notes: string[];
}
