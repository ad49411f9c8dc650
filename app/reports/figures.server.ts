import { estimateAt, compareWithEveryoneElse } from "../analytics/cohorts/curves";
import { discoverFindings, MIN_KNOWN_VISITS, silenceReason } from "../analytics/cohorts/findings";
import { dataEnd, loadCohortGaps } from "../analytics/cohorts/gaps.server";
import { patternAudience } from "../analytics/cohorts/labels";
import { retentionMatrix } from "../analytics/cohorts/retention.server";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import { campaignResults } from "../campaigns/results.server";
import type { Database } from "../db/prisma.server";
import { localDayBounds } from "../pickup/hours";
import { pickupWeekMetrics, type LocationPickupMetrics } from "../pickup/metrics.server";
import { perkRedemptionsBetween } from "../perks/report.server";
import { selectFindings, type CampaignOutcome } from "./findings";
import { FIGURES_VERSION, HEATMAP_COHORTS, HEATMAP_WEEKS, type CampaignSection, type CohortSection, type HeatmapRow, type PerksSection, type PickupLocationSection, type WeeklyFigures } from "./figures";
import { BEST_COHORT_RETURN_DAYS, countMeasure, EMPTY_MEASURE, kpiFigure, meanMeasure, resolveKpiTargets, shareMeasure, type KpiFigure, type KpiId, type Measure } from "./kpis";
import { localDateText, parseIsoWeek, previousWeek, type IsoWeek } from "./week";

/**
 * The figures of one shop's week (app/reports/figures.ts), read from the
 * shop's visits, orders, cohorts, campaigns and pickups. Every query is scoped
 * by shop; the week's days are the shop's local days (Visit.localDate, and
 * orders by their processed instant between the week's local midnights).
 */

export class ReportShopNotFoundError extends Error {
  constructor(readonly shop: string) {
    super(`shop ${shop} is not known to Regulars`);
    this.name = "ReportShopNotFoundError";
  }
}

interface WeekMeasures {
  repurchase: Measure;
  ticket: Measure;
  visitsPerMember: Measure;
  activeMembers: Measure;
  prepaidPeak: Measure;
}

export async function computeWeeklyFigures(db: Database, shop: string, weekKey: string): Promise<WeeklyFigures> {
  const week = parseIsoWeek(weekKey);
  const before = previousWeek(week);
  const shopRow = await db.shop.findUnique({ where: { domain: shop }, select: { name: true, currency: true } });
  if (!shopRow) throw new ReportShopNotFoundError(shop);
  const { timezone } = await shopAnalyticsSettings(db, shop);
  const settings = await db.shopSettings.findUnique({ where: { shop }, select: { kpiTargets: true } });
  const { targets, problem } = resolveKpiTargets(settings?.kpiTargets ?? null);
  const notes: string[] = problem ? [problem] : [];

  const [current, last, pickupNow, pickupBefore] = await Promise.all([
    weekMeasures(db, shop, week, timezone),
    weekMeasures(db, shop, before, timezone),
    pickupWeekMetrics(db, shop, { from: week.monday, to: week.end }),
    pickupWeekMetrics(db, shop, { from: before.monday, to: before.end }),
  ]);
  current.prepaidPeak = prepaidPeakShare(pickupNow);
  last.prepaidPeak = prepaidPeakShare(pickupBefore);

  const cohorts = await cohortSection(db, shop, week, before);
  const campaigns = await campaignSection(db, shop, before.monday, week.end, timezone);
  const heatmap = await heatmapSection(db, shop, week);
  const perks = await perksSection(db, shop, week, before, timezone);
  if (heatmap.until !== null && heatmap.until < localDateText(week.sunday)) notes.push(`The shop's visits end on ${heatmap.until}, before the week's last day.`);

  const measures: Record<KpiId, [Measure, Measure, string | null]> = {
    "repurchase-rate": [last.repurchase, current.repurchase, null],
    "average-ticket": [last.ticket, current.ticket, null],
    "visits-per-member": [last.visitsPerMember, current.visitsPerMember, null],
    "active-members": [last.activeMembers, current.activeMembers, null],
    "best-cohort-return": [cohorts.bestLastWeek, cohorts.bestThisWeek, cohorts.bestNote],
    "prepaid-peak-share": [last.prepaidPeak, current.prepaidPeak, null],
  };
  const kpis: KpiFigure[] = targets.map(({ kpi, target }) => {
    const [lastWeek, thisWeek, note] = measures[kpi];
    return kpiFigure(kpi, lastWeek, thisWeek, target, note);
  });

  const outcomes: CampaignOutcome[] = campaigns.map((c) => ({
    name: c.name,
    verdict: c.uplift?.verdict ?? "not-measurable",
    summary: c.uplift?.summary ?? "not yet measurable",
    difference: c.uplift?.difference ?? null,
  }));
  return {
    version: FIGURES_VERSION,
    shop,
    shopName: shopRow.name,
    week: week.key,
    previousWeek: before.key,
    from: localDateText(week.monday),
    to: localDateText(week.sunday),
    timezone,
    currency: shopRow.currency,
    kpis,
    heatmap,
    cohorts: cohorts.section,
    campaigns,
    pickup: { thisWeek: pickupNow.map(pickupLocation), lastWeek: pickupBefore.map(pickupLocation) },
    perks,
    findings: selectFindings({ kpis, cohortFindings: cohorts.findings, cohortSilence: cohorts.section.silence, campaigns: outcomes, currency: shopRow.currency }),
    notes,
  };
}

/** Perks redeemed between the week's local midnights, and the week before's, per program. */
async function perksSection(db: Database, shop: string, week: IsoWeek, before: IsoWeek, timezone: string): Promise<PerksSection> {
  const span = (w: IsoWeek) => ({ start: localDayBounds(w.monday, timezone).start, end: localDayBounds(w.end, timezone).start });
  const [now, then] = await Promise.all([perkRedemptionsBetween(db, shop, span(week)), perkRedemptionsBetween(db, shop, span(before))]);
  const programs = now.map((p) => ({ ...p, lastWeek: then.find((q) => q.programId === p.programId)?.redeemed ?? 0 }));
  for (const p of then) if (!now.some((q) => q.programId === p.programId)) programs.push({ ...p, redeemed: 0, lastWeek: p.redeemed });
  const sum = (rows: typeof now) => rows.reduce((total, row) => total + row.redeemed, 0);
  return { redeemed: sum(now), lastWeek: sum(then), programs };
}

async function weekMeasures(db: Database, shop: string, week: IsoWeek, timezone: string): Promise<WeekMeasures> {
  const monday = localDateText(week.monday);
  const end = localDateText(week.end);
  const start = localDayBounds(week.monday, timezone).start;
  const stop = localDayBounds(week.end, timezone).start;
  const [repeat, visits, orders] = await Promise.all([
    db.$queryRaw<Array<{ customers: number; returning: number }>>`
      WITH week_customers AS (
        SELECT DISTINCT "customerId" FROM "Visit" WHERE shop = ${shop} AND "localDate" >= ${monday}::date AND "localDate" < ${end}::date
      )
      SELECT count(*)::int AS customers,
        count(*) FILTER (WHERE EXISTS (
          SELECT 1 FROM "Visit" p WHERE p.shop = ${shop} AND p."customerId" = w."customerId" AND p."localDate" < ${monday}::date
        ))::int AS returning
      FROM week_customers w`,
    db.$queryRaw<Array<{ members: number; visits: number; squares: number }>>`
      SELECT count(*)::int AS members, coalesce(sum(n), 0)::float8 AS visits, coalesce(sum(n * n), 0)::float8 AS squares
      FROM (
        SELECT "customerId", count(*) AS n FROM "Visit"
        WHERE shop = ${shop} AND "localDate" >= ${monday}::date AND "localDate" < ${end}::date
        GROUP BY "customerId"
      ) per_member`,
    db.$queryRaw<Array<{ orders: number; total: number; squares: number }>>`
      SELECT count(*)::int AS orders, coalesce(sum(net), 0)::float8 AS total, coalesce(sum(net * net), 0)::float8 AS squares
      FROM (
        SELECT ("totalPrice" - "refundedAmount") AS net FROM "Order"
        WHERE shop = ${shop} AND "processedAt" >= ${start}::timestamp AND "processedAt" < ${stop}::timestamp AND "cancelledAt" IS NULL
      ) week_orders`,
  ]);
  const r = repeat[0] ?? { customers: 0, returning: 0 };
  const v = visits[0] ?? { members: 0, visits: 0, squares: 0 };
  const o = orders[0] ?? { orders: 0, total: 0, squares: 0 };
  return {
    repurchase: shareMeasure(r.returning, r.customers),
    ticket: roundMoneyMeasure(meanMeasure(o.orders, o.total, o.squares)),
    visitsPerMember: meanMeasure(v.members, v.visits, v.squares),
    activeMembers: countMeasure(v.members),
    prepaidPeak: EMPTY_MEASURE,
  };
}

function roundMoneyMeasure(measure: Measure): Measure {
  const round = (value: number | null) => (value === null ? null : Math.round(value * 100) / 100);
  return { value: round(measure.value), low: round(measure.low), high: round(measure.high), n: measure.n };
}

/** Pickup orders of all orders in the locations' peak hours, every location together. */
function prepaidPeakShare(locations: readonly LocationPickupMetrics[]): Measure {
  const peak = locations.reduce((sum, l) => sum + l.peakOrders, 0);
  const prepaid = locations.reduce((sum, l) => sum + l.peakPickupOrders, 0);
  return shareMeasure(prepaid, peak);
}

function pickupLocation(location: LocationPickupMetrics): PickupLocationSection {
  return {
    locationId: location.locationId,
    name: location.name,
    orders: location.orders,
    pickupOrders: location.pickupOrders,
    peakHours: location.peakHours,
    peakOrders: location.peakOrders,
    peakPickupOrders: location.peakPickupOrders,
    peakPickupShare: location.peakPickupShare,
    onTimeRate: location.all.onTimeRate,
    avgMinutesToReady: location.all.avgMinutesToReady,
    noShows: location.all.noShows,
  };
}

/**
 * Pattern cohorts' 12-day return at the end of each week (Kaplan–Meier,
 * censored at the week's Sunday or the shop's last visit before it). The
 * best cohort is chosen on this week's curves among cohorts with enough
 * visits of known outcome, and last week shows the same cohort.
 */
async function cohortSection(db: Database, shop: string, week: IsoWeek, before: IsoWeek) {
  const days = BEST_COHORT_RETURN_DAYS;
  const [untilNow, untilBefore] = await Promise.all([dataEnd(db, shop, week.sunday), dataEnd(db, shop, before.sunday)]);
  const gapsAt = async (until: string | null) => (until === null ? new Map() : ((await loadCohortGaps(db, shop, { kinds: ["pattern"], until })).get("pattern")?.cohorts ?? new Map()));
  const [now, then] = await Promise.all([gapsAt(untilNow), gapsAt(untilBefore)]);
  const ranked = [...now.entries()]
    .map(([cohort, counts]) => ({ cohort, estimate: estimateAt(counts, days) }))
    .filter(({ estimate }) => estimate.known >= MIN_KNOWN_VISITS && estimate.at !== null)
    .sort((a, b) => (b.estimate.at?.p ?? 0) - (a.estimate.at?.p ?? 0) || a.cohort.localeCompare(b.cohort));
  const best = ranked[0];
  const findings = untilNow === null ? [] : discoverFindings(compareWithEveryoneElse(now, days), days);
  const section: CohortSection = {
    returnDays: days,
    until: untilNow,
    best:
      best && best.estimate.at
        ? { cohort: best.cohort, p: best.estimate.at.p, low: best.estimate.at.low, high: best.estimate.at.high, visits: best.estimate.visits, known: best.estimate.known }
        : null,
    findings: findings.map((f) => ({ cohort: f.cohort, supported: f.supported, verdict: f.verdict, sentence: f.sentence })),
    silence: untilNow === null ? `Nothing to report for returns within ${days} days: the shop has no visits yet.` : silenceReason(findings, days),
  };
  const measureOf = (at: { p: number; low: number; high: number } | null, visits: number): Measure => (at ? { value: at.p, low: at.low, high: at.high, n: visits } : EMPTY_MEASURE);
  if (!best) {
    return { section, findings, bestThisWeek: EMPTY_MEASURE, bestLastWeek: EMPTY_MEASURE, bestNote: `no visit-pattern cohort has ${MIN_KNOWN_VISITS} visits with a known ${days}-day outcome yet` };
  }
  const earlier = then.get(best.cohort);
  const earlierEstimate = earlier ? estimateAt(earlier, days) : null;
  return {
    section,
    findings,
    bestThisWeek: measureOf(best.estimate.at, best.estimate.visits),
    bestLastWeek: earlierEstimate ? measureOf(earlierEstimate.at, earlierEstimate.visits) : EMPTY_MEASURE,
    bestNote: `${patternAudience(best.cohort)}, best of ${ranked.length} cohort${ranked.length === 1 ? "" : "s"} with enough visits`,
  };
}

/** Campaigns that decided members between `from` and `to` (shop-local days), with their results as of the week's end. */
async function campaignSection(db: Database, shop: string, from: Date, to: Date, timezone: string): Promise<CampaignSection[]> {
  const start = localDayBounds(from, timezone).start;
  const end = localDayBounds(to, timezone).start;
  const rows = await db.$queryRaw<Array<{ campaignId: string }>>`
    SELECT DISTINCT "campaignId" FROM "CampaignRecipient"
    WHERE shop = ${shop} AND "scheduledFor" >= ${start}::timestamp AND "scheduledFor" < ${end}::timestamp
    ORDER BY "campaignId"`;
  const sections: CampaignSection[] = [];
  for (const { campaignId } of rows) {
    const results = await campaignResults(db, shop, campaignId, end);
    const arm = (a: typeof results.arms.treatment) => ({ recipients: a.recipients, conversions: a.conversions, rate: a.rate, low: a.interval?.low ?? null, high: a.interval?.high ?? null });
    sections.push({
      id: results.campaign.id,
      name: results.campaign.name,
      kind: results.campaign.kind,
      status: results.campaign.status,
      holdoutPercent: results.campaign.holdoutPercent,
      treatment: arm(results.arms.treatment),
      holdout: arm(results.arms.holdout),
      uplift: results.uplift
        ? { difference: results.uplift.difference, low: results.uplift.interval.low, high: results.uplift.interval.high, pValue: results.uplift.pValue, verdict: results.uplift.verdict, summary: results.uplift.summary }
        : null,
    });
  }
  return sections;
}

/** The latest acquisition cohorts × weeks since their first visit, from the cohort matrix at the week's end. */
async function heatmapSection(db: Database, shop: string, week: IsoWeek): Promise<WeeklyFigures["heatmap"]> {
  const until = await dataEnd(db, shop, week.sunday);
  if (until === null) return { until: null, rows: [] };
  const matrix = await retentionMatrix(db, shop, { period: "week", until: week.sunday, latestCohorts: HEATMAP_COHORTS });
  const rows: HeatmapRow[] = matrix.cohorts.slice(-HEATMAP_COHORTS).map((row) => ({
    cohort: row.cohort,
    size: row.size,
    cells: Array.from({ length: HEATMAP_WEEKS }, (_, index) => {
      const cell = row.cells.find((c) => c.period === index);
      return cell ? { week: index, members: cell.members, share: cell.share, partial: cell.partial } : null;
    }),
  }));
  return { until, rows };
}
