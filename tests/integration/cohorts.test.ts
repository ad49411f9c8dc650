import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataEnd, loadCohortGaps } from "../../app/analytics/cohorts/gaps.server";
import { cohortReport } from "../../app/analytics/cohorts/report.server";
import { loadRetentionCounts, retentionMatrix } from "../../app/analytics/cohorts/retention.server";
import { refreshCohortSnapshots, type CohortSnapshotData } from "../../app/analytics/cohorts/snapshots.server";
import type { Database } from "../../app/db/prisma.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The cohort tables' SQL on hand-made Visit and MemberFeature rows: gaps
 * between visit days (two locations on one day are one visit day), censoring
 * at the data's end, gaps past the horizon folded, visits without features
 * kept out of every cohort, and nothing of another shop ever counted.
 */

const SHOP = "north-cafe.myshopify.com";
const OTHER = "south-cafe.myshopify.com";
const EMPTY = "quiet-cafe.myshopify.com";
const date = (iso: string) => new Date(`${iso}T00:00:00Z`);

function visit(shop: string, customerId: string, localDate: string, locationKey = "loc-1") {
  const day = date(localDate);
  return {
    shop,
    customerId,
    localDate: day,
    locationKey,
    firstOrderAt: new Date(day.getTime() + 8 * 3_600_000),
    lastOrderAt: new Date(day.getTime() + 8 * 3_600_000),
    orders: 1,
    spend: "4.50",
    weekday: day.getUTCDay(),
    localMinute: 480,
    label: "weekday-morning",
  };
}

function feature(shop: string, customerId: string, pattern: string, firstVisitOn: string, lastVisitOn: string, acquisitionWeek: string) {
  return {
    shop,
    customerId,
    firstVisitOn: date(firstVisitOn),
    lastVisitOn: date(lastVisitOn),
    visitCount: 1,
    totalSpend: "4.50",
    avgSpend: "4.50",
    pattern,
    patternShare: 1,
    acquisitionWeek: date(acquisitionWeek),
    acquisitionMonth: date(`${acquisitionWeek.slice(0, 7)}-01`),
  };
}

async function seed(db: Database) {
  await db.visit.createMany({
    data: [
      // c1: a second location on the first day is the same visit day; gaps 3 and 11 days, then censored 11 days before 10-31.
      visit(SHOP, "c1", "2025-10-06", "loc-1"),
      visit(SHOP, "c1", "2025-10-06", "loc-2"),
      visit(SHOP, "c1", "2025-10-09"),
      visit(SHOP, "c1", "2025-10-20"),
      // c2: back the next day, then censored; the November visit is after --until.
      visit(SHOP, "c2", "2025-10-11"),
      visit(SHOP, "c2", "2025-10-12"),
      visit(SHOP, "c2", "2025-11-08"),
      // c3: no member features yet.
      visit(SHOP, "c3", "2025-10-15"),
      // c4: an 86-day gap (past the 60-day horizon), then censored.
      visit(SHOP, "c4", "2025-07-07"),
      visit(SHOP, "c4", "2025-10-01"),
      // Another shop with the same customer ids: must never be counted in SHOP's tables.
      visit(OTHER, "c1", "2025-10-07"),
      visit(OTHER, "c1", "2025-10-08"),
      visit(OTHER, "c4", "2025-10-02"),
      visit(OTHER, "c9", "2025-10-25"),
    ],
  });
  await db.memberFeature.createMany({
    data: [
      feature(SHOP, "c1", "weekday-morning", "2025-10-06", "2025-10-20", "2025-10-06"),
      feature(SHOP, "c2", "weekend-midday", "2025-10-11", "2025-11-08", "2025-10-06"),
      feature(SHOP, "c4", "mixed", "2025-07-07", "2025-10-01", "2025-07-07"),
      feature(OTHER, "c1", "weekday-morning", "2025-10-07", "2025-10-08", "2025-10-06"),
      feature(OTHER, "c4", "weekday-evening", "2025-10-02", "2025-10-02", "2025-09-29"),
      feature(OTHER, "c9", "weekday-evening", "2025-10-25", "2025-10-25", "2025-10-20"),
    ],
  });
}

async function patternGaps(db: Database, until: string) {
  const gaps = (await loadCohortGaps(db, SHOP, { kinds: ["pattern"], until })).get("pattern");
  if (!gaps) throw new Error("no pattern gaps");
  return gaps;
}

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("cohort tables on $name", (kind) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack(kind);
    await seed(stack.runtime.db);
  });
  afterAll(async () => stack?.stop());

  it("counts gaps between visit days per pattern: events, censoring at the end, long gaps folded, unassigned visits apart", async () => {
    const gaps = await patternGaps(stack.runtime.db, "2025-10-31");
    expect(Object.fromEntries(gaps.cohorts)).toEqual({
      "weekday-morning": [
        { day: 3, events: 1, censored: 0 },
        { day: 11, events: 1, censored: 1 },
      ],
      "weekend-midday": [
        { day: 1, events: 1, censored: 0 },
        { day: 19, events: 0, censored: 1 },
      ],
      mixed: [
        { day: 30, events: 0, censored: 1 },
        { day: 61, events: 1, censored: 0 },
      ],
    });
    expect(gaps.unassignedVisits).toBe(1);
  });

  it("without a cut, the November visit is c2's return and the last visit is censored at day 0", async () => {
    const gaps = await patternGaps(stack.runtime.db, "2025-11-08");
    expect(gaps.cohorts.get("weekend-midday")).toEqual([
      { day: 0, events: 0, censored: 1 },
      { day: 1, events: 1, censored: 0 },
      { day: 27, events: 1, censored: 0 },
    ]);
  });

  it("keys acquisition cohorts by the first day of the week or month", async () => {
    const all = await loadCohortGaps(stack.runtime.db, SHOP, { kinds: ["acquisition-week", "acquisition-month", "pattern"], until: "2025-10-31" });
    const weeks = all.get("acquisition-week");
    expect([...(weeks?.cohorts.keys() ?? [])]).toEqual(["2025-07-07", "2025-10-06"]);
    expect(weeks?.cohorts.get("2025-10-06")).toEqual([
      { day: 1, events: 1, censored: 0 },
      { day: 3, events: 1, censored: 0 },
      { day: 11, events: 1, censored: 1 },
      { day: 19, events: 0, censored: 1 },
    ]);
    expect(weeks?.unassignedVisits).toBe(1);
    expect([...(all.get("acquisition-month")?.cohorts.keys() ?? [])]).toEqual(["2025-07-01", "2025-10-01"]);
    // Asked together, each kind gets exactly what it gets alone.
    expect(all.get("pattern")).toEqual(await patternGaps(stack.runtime.db, "2025-10-31"));
  });

  it("takes the data's end from the latest visit, capped by the date asked", async () => {
    const db = stack.runtime.db;
    expect(await dataEnd(db, SHOP)).toBe("2025-11-08");
    expect(await dataEnd(db, SHOP, date("2025-10-31"))).toBe("2025-10-20");
    expect(await dataEnd(db, SHOP, date("2025-07-01"))).toBeNull();
    expect(await dataEnd(db, EMPTY)).toBeNull();
  });

  it("counts retention per acquisition week and calendar weeks since, for members first seen by the end", async () => {
    const counts = await loadRetentionCounts(stack.runtime.db, SHOP, { period: "week", until: "2025-10-31" });
    expect([...counts.sizes].sort((a, b) => a.cohort.localeCompare(b.cohort))).toEqual([
      { cohort: "2025-07-07", size: 1 },
      { cohort: "2025-10-06", size: 2 },
    ]);
    expect([...counts.active].sort((a, b) => a.cohort.localeCompare(b.cohort) || a.period - b.period)).toEqual([
      { cohort: "2025-07-07", period: 0, members: 1 },
      { cohort: "2025-07-07", period: 12, members: 1 },
      { cohort: "2025-10-06", period: 0, members: 2 },
      { cohort: "2025-10-06", period: 2, members: 1 },
    ]);
    const matrix = await retentionMatrix(stack.runtime.db, SHOP, { period: "month", until: date("2025-10-31") });
    expect(matrix.until).toBe("2025-10-20");
    expect(matrix.cohorts.map((row) => [row.cohort, row.size, row.cells.map((cell) => `${cell.members}${cell.partial ? "*" : ""}`)])).toEqual([
      ["2025-07-01", 1, ["1", "0", "0", "1*"]],
      ["2025-10-01", 2, ["2*"]],
    ]);
  });

  it("answers a cohort question from this shop's visits only, and plainly for a shop without any", async () => {
    const db = stack.runtime.db;
    const report = await cohortReport(db, SHOP, { by: "pattern", period: "week", returnDays: 12 });
    if (report.status !== "ok") throw new Error(`expected a report, got ${report.status}`);
    expect(report.until).toBe("2025-11-08");
    expect(report.visits).toBe(8);
    expect(report.unassignedVisits).toBe(1);
    expect(report.cohorts.map((row) => [row.cohort, row.visits, row.returns])).toEqual([
      ["mixed", 2, 1],
      ["weekday-morning", 3, 2],
      ["weekend-midday", 3, 2],
    ]);
    expect(report.findings?.every((finding) => finding.verdict === "too-few-visits")).toBe(true);
    expect(report.silence).toMatch(/^Nothing to report for returns within 12 days: no pattern cohort differs clearly/);
    expect(report.matrix).toBeNull();

    const other = await cohortReport(db, OTHER, { by: "pattern", period: "week", returnDays: 12 });
    if (other.status !== "ok") throw new Error(`expected a report, got ${other.status}`);
    expect(other.cohorts.map((row) => [row.cohort, row.visits])).toEqual([
      ["weekday-evening", 2],
      ["weekday-morning", 2],
    ]);

    expect(await cohortReport(db, EMPTY, { by: "acquisition", period: "month", returnDays: 7 })).toEqual({
      status: "no-visits",
      shop: EMPTY,
      until: null,
      message: `${EMPTY} has no visits yet: nothing to put in cohorts.`,
    });
    await expect(cohortReport(db, SHOP, { by: "pattern", period: "week", returnDays: 61 })).rejects.toThrow(/from 1 to 60/);
  });

  it("stores one snapshot per cohort kind, the same on a rerun, and only for the shop asked", async () => {
    const db = stack.runtime.db;
    await refreshCohortSnapshots(db, SHOP, { until: date("2025-10-31") });
    const first = await db.cohortSnapshot.findMany({ where: { shop: SHOP }, orderBy: { by: "asc" } });
    expect(first.map((row) => [row.by, row.until.toISOString().slice(0, 10)])).toEqual([
      ["acquisition-month", "2025-10-20"],
      ["acquisition-week", "2025-10-20"],
      ["pattern", "2025-10-20"],
    ]);
    const pattern = snapshotData(first.find((row) => row.by === "pattern")?.data);
    expect(pattern.cohorts.map((curve) => curve.cohort)).toEqual(["mixed", "weekday-morning", "weekend-midday"]);
    expect(pattern.cohorts[1]?.points).toHaveLength(60);
    // c1's visit on the data's last day is followed for 0 days: it counts as a visit but is never at risk.
    expect(pattern.cohorts[1]).toMatchObject({ visits: 3, returns: 2 });
    expect(pattern.cohorts[1]?.points[2]).toMatchObject({ day: 3, p: 0.5 });
    expect(Object.keys(pattern.findings ?? {}).sort()).toEqual(["12", "30", "7"]);
    expect(pattern.silence?.["30"]).toMatch(/^Nothing to report for returns within 30 days/);
    expect(pattern.matrix).toBeNull();
    const weeks = snapshotData(first.find((row) => row.by === "acquisition-week")?.data);
    expect(weeks.matrix?.cohorts.map((row) => row.cohort)).toEqual(["2025-07-07", "2025-10-06"]);
    expect(weeks.findings).toBeNull();

    await refreshCohortSnapshots(db, SHOP, { until: date("2025-10-31") });
    const second = await db.cohortSnapshot.findMany({ where: { shop: SHOP }, orderBy: { by: "asc" } });
    expect(second.map((row) => row.data)).toEqual(first.map((row) => row.data));
    expect(await db.cohortSnapshot.count({ where: { shop: { not: SHOP } } })).toBe(0);

    await expect(refreshCohortSnapshots(db, SHOP, { until: new Date("2025-10-31T12:00:00Z") })).rejects.toThrow(/local date must be a Date at UTC midnight/);

    await refreshCohortSnapshots(db, EMPTY, { until: date("2025-10-31") });
    const empty = await db.cohortSnapshot.findMany({ where: { shop: EMPTY } });
    expect(empty).toHaveLength(3);
    const emptyPattern = snapshotData(empty.find((row) => row.by === "pattern")?.data);
    expect(emptyPattern).toMatchObject({ until: null, visits: 0, cohorts: [] });
    expect(emptyPattern.silence?.["12"]).toBe("Nothing to report for returns within 12 days: there are no visits to compare.");
  });
});

/** The stored JSON, read back as what refreshCohortSnapshots wrote (this test's own data). */
function snapshotData(value: unknown): CohortSnapshotData {
  if (typeof value !== "object" || value === null || !("cohorts" in value)) throw new Error("not a cohort snapshot");
  return value as CohortSnapshotData;
}
