import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fitShopModel, latestModelFit, updatePredictions } from "../../app/analytics/model.server";
import { aggregateCustomers, expectedVisits, fitBgNbd, probabilityAlive } from "../../app/analytics/math/bgnbd";
import { cohortGapStats, combineGapStats, gapPrior, nextVisitWindow, summariseGaps } from "../../app/analytics/math/next-visit";
import { day, insertMembers, population, type Member } from "../support/model-fixtures";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

const SHOP = "north-cafe.myshopify.com";
const OTHER = "south-cafe.myshopify.com";
const THIN = "tiny-cafe.myshopify.com";
const key = (date: Date) => date.toISOString().slice(0, 10);
/** Calibration end: day 179 of the history; visits after it exist but must be ignored. */
const UNTIL_OFFSET = 179;
const UNTIL = day(UNTIL_OFFSET);

/** The model's view of a member as of a local date, computed here independently of the SQL. */
function asOf(member: Member, endOffset: number) {
  const days = member.days.filter((d) => d <= endOffset);
  if (days.length === 0) return null;
  const first = days[0] ?? 0;
  const last = days[days.length - 1] ?? 0;
  const gaps = days.slice(1).map((d, i) => d - (days[i] ?? 0));
  return { x: days.length - 1, tx: last - first, T: endOffset - first, last, gaps };
}

describe.each(stackKinds().filter((k) => k.queue === "postgres"))("shop visit model on $name", (kind) => {
  let stack: TestStack;
  const members = population("model-north", 400, 200);
  const others = population("model-south", 150, 200);
  const thin = population("model-tiny", 30, 40, 20);

  beforeAll(async () => {
    stack = await startTestStack(kind);
    const db = stack.runtime.db;
    await insertMembers(db, SHOP, members);
    await insertMembers(db, OTHER, others);
    await insertMembers(db, THIN, thin);
  });
  afterAll(async () => stack?.stop());

  it("fits BG/NBD to the shop's own visit days up to the date, exactly as the pure fit does", async () => {
    const db = stack.runtime.db;
    const result = await fitShopModel(db, SHOP, { until: UNTIL, unit: "day" });
    const customers = members.map((m) => asOf(m, UNTIL_OFFSET)).filter((c) => c !== null);
    const reference = fitBgNbd(aggregateCustomers(customers));

    expect(result.status).toBe("fitted");
    if (result.status !== "fitted") return;
    expect(result.customers).toBe(customers.length);
    expect(result.repeaters).toBe(customers.filter((c) => c.x > 0).length);
    expect(result.historyDays).toBe(Math.max(...customers.map((c) => c.T)));
    // Same cells (summed in another order, so equal to rounding).
    for (const name of ["r", "alpha", "a", "b"] as const) expect(result.params[name] / reference.params[name]).toBeCloseTo(1, 6);
    expect(result.logLikelihood).toBeCloseTo(reference.logLikelihood, 6);
    expect(result.converged).toBe(true);
    for (const name of ["r", "alpha", "a", "b"] as const) {
      const [low, high] = result.intervals[name];
      expect(low).toBeLessThan(result.params[name]);
      expect(high).toBeGreaterThan(result.params[name]);
      expect(result.standardErrors[name]).toBeGreaterThan(0);
    }

    const stored = await db.modelFit.findUniqueOrThrow({ where: { shop_id: { shop: SHOP, id: result.id } } });
    expect(stored).toMatchObject({ status: "fitted", unit: "day", reason: null, r: result.params.r, alpha: result.params.alpha, a: result.params.a, b: result.params.b });
    expect(key(stored.until)).toBe(key(UNTIL));
    expect(await latestModelFit(db, SHOP)).toMatchObject({ id: result.id, status: "fitted", params: result.params, intervals: result.intervals });
  });

  it("in weeks, α scales by 1/7 and r, a, b stay (the likelihood only changes by a constant)", async () => {
    const db = stack.runtime.db;
    const days = await fitShopModel(db, SHOP, { until: UNTIL, unit: "day" });
    const weeks = await fitShopModel(db, SHOP, { until: UNTIL, unit: "week" });
    if (days.status !== "fitted" || weeks.status !== "fitted") throw new Error("both fits should succeed");
    expect(weeks.params.alpha * 7).toBeCloseTo(days.params.alpha, 2);
    for (const name of ["r", "a", "b"] as const) expect(weeks.params[name] / days.params[name]).toBeCloseTo(1, 3);
    expect((await latestModelFit(db, SHOP))?.id).toBe(weeks.id);
  });

  it("writes each member's predictions set-based, from the latest fit, and a rerun changes nothing", async () => {
    const db = stack.runtime.db;
    const fit = await fitShopModel(db, SHOP, { until: UNTIL, unit: "week" });
    if (fit.status !== "fitted") throw new Error("fit should succeed");
    const { updated } = await updatePredictions(db, SHOP, { asOf: UNTIL });
    expect(updated).toBe(members.length);

    // The next-visit priors as the fit saw them: per pattern, from the members' gaps up to UNTIL.
    const summaries = members.map((m) => ({ member: m, view: asOf(m, UNTIL_OFFSET) }));
    const byPattern = new Map<string, ReturnType<typeof summariseGaps>[]>();
    for (const { member, view } of summaries) {
      if (!view) continue;
      byPattern.set(member.pattern, [...(byPattern.get(member.pattern) ?? []), summariseGaps(view.gaps)]);
    }
    const shopStats = combineGapStats([...byPattern.values()].map((list) => cohortGapStats(list)));
    expect(gapPrior(shopStats)).not.toBeNull();

    const rows = await db.memberFeature.findMany({ where: { shop: SHOP } });
    const byId = new Map(rows.map((row) => [row.customerId, row]));
    let compared = 0;
    for (const { member, view } of summaries) {
      const row = byId.get(member.customerId);
      if (!row) throw new Error(`no feature row for ${member.customerId}`);
      if (!view) {
        expect(row).toMatchObject({ pAlive: null, expectedVisits30: null, usualGapDays: null, dueFrom: null, dueUntil: null });
        continue;
      }
      expect(row.pAlive).toBeCloseTo(probabilityAlive(fit.params, view.x, view.tx / 7, view.T / 7), 12);
      expect(row.expectedVisits30).toBeCloseTo(expectedVisits(fit.params, 30 / 7, view.x, view.tx / 7, view.T / 7), 10);
      const prior = gapPrior(cohortGapStats(byPattern.get(member.pattern) ?? []));
      if (!prior) throw new Error("every pattern has members with gaps");
      const window = nextVisitWindow(summariseGaps(view.gaps), prior);
      expect(row.usualGapDays).toBeCloseTo(window.usualGapDays, 8);
      expect(key(row.dueFrom ?? new Date(0))).toBe(key(day(view.last + window.dueFromDays)));
      expect(key(row.dueUntil ?? new Date(0))).toBe(key(day(view.last + window.dueUntilDays)));
      expect(row.dueFrom && row.dueUntil && row.dueFrom <= row.dueUntil).toBe(true);
      compared++;
    }
    expect(compared).toBeGreaterThan(300);

    expect(await updatePredictions(db, SHOP, { asOf: UNTIL })).toEqual({ updated: 0 });
  });

  it("updates only the members asked for", async () => {
    const db = stack.runtime.db;
    const [first, second] = members.filter((m) => m.days.length > 3);
    if (!first || !second) throw new Error("the population has regulars");
    await db.memberFeature.updateMany({
      where: { shop: SHOP, customerId: { in: [first.customerId, second.customerId] } },
      data: { pAlive: null, expectedVisits30: null, usualGapDays: null, dueFrom: null, dueUntil: null },
    });
    expect(await updatePredictions(db, SHOP, { asOf: UNTIL, customerIds: [first.customerId] })).toEqual({ updated: 1 });
    const after = await db.memberFeature.findMany({ where: { shop: SHOP, customerId: { in: [first.customerId, second.customerId] } } });
    expect(after.find((row) => row.customerId === first.customerId)?.pAlive).not.toBeNull();
    expect(after.find((row) => row.customerId === second.customerId)?.pAlive).toBeNull();
    expect(await updatePredictions(db, SHOP, { asOf: UNTIL, customerIds: [] })).toEqual({ updated: 0 });
  });

  it("never reads or writes another shop's rows", async () => {
    const db = stack.runtime.db;
    const result = await fitShopModel(db, SHOP, { until: UNTIL, unit: "day" });
    expect(result.customers).toBe(members.filter((m) => (m.days[0] ?? 0) <= UNTIL_OFFSET).length);
    await updatePredictions(db, SHOP, { asOf: UNTIL });
    const untouched = await db.memberFeature.findMany({ where: { shop: OTHER } });
    expect(untouched).toHaveLength(others.length);
    for (const row of untouched) expect(row).toMatchObject({ pAlive: 0.123, expectedVisits30: 9.87, usualGapDays: null, dueFrom: null });
    expect(await db.modelFit.count({ where: { shop: OTHER } })).toBe(0);
  });

  it("withholds predictions on thin data with a plain reason, and clears stale ones", async () => {
    const db = stack.runtime.db;
    const result = await fitShopModel(db, THIN, { until: day(40), unit: "week" });
    const repeaters = thin.filter((m) => m.days.length > 1).length;
    expect(result).toMatchObject({ status: "withheld", repeaters, customers: thin.length });
    if (result.status !== "withheld") return;
    expect(result.reason).toBe(
      `Predictions need at least 50 members with two or more visits; this shop has ${repeaters}. ` +
        `Predictions need at least 8 weeks of visit history; this shop has ${result.historyDays} days.`,
    );
    const stored = await db.modelFit.findUniqueOrThrow({ where: { shop_id: { shop: THIN, id: result.id } } });
    expect(stored).toMatchObject({ status: "withheld", reason: result.reason, r: null, alpha: null, a: null, b: null, logLikelihood: null });

    expect((await updatePredictions(db, THIN, { asOf: day(40) })).updated).toBe(thin.length);
    const rows = await db.memberFeature.findMany({ where: { shop: THIN } });
    for (const row of rows) expect(row).toMatchObject({ pAlive: null, expectedVisits30: null });
    // The due window does not depend on BG/NBD: every member still gets one (shrunk to the whole shop's gaps, the cohorts being thin).
    expect(rows.filter((row) => row.usualGapDays !== null)).toHaveLength(thin.length);
  });

  it("a later withheld fit clears the predictions a fitted one wrote", async () => {
    const db = stack.runtime.db;
    await fitShopModel(db, SHOP, { until: UNTIL, unit: "week" });
    await updatePredictions(db, SHOP, { asOf: UNTIL });
    expect(await db.memberFeature.count({ where: { shop: SHOP, pAlive: { not: null } } })).toBeGreaterThan(0);
    const early = await fitShopModel(db, SHOP, { until: day(30), unit: "week" });
    expect(early.status).toBe("withheld");
    await updatePredictions(db, SHOP, { asOf: UNTIL });
    expect(await db.memberFeature.count({ where: { shop: SHOP, pAlive: { not: null } } })).toBe(0);
    expect(await db.memberFeature.count({ where: { shop: SHOP, usualGapDays: { not: null } } })).toBeGreaterThan(300);
  });

  it("rejects dates that are not local dates and unknown units", async () => {
    const db = stack.runtime.db;
    await expect(fitShopModel(db, SHOP, { until: new Date("2026-06-01T10:00:00Z"), unit: "day" })).rejects.toThrow(/until must be a local date/);
    await expect(updatePredictions(db, SHOP, { asOf: new Date(Number.NaN) })).rejects.toThrow(/asOf must be a local date/);
    // @ts-expect-error: an unknown unit from untyped input
    await expect(fitShopModel(db, SHOP, { until: UNTIL, unit: "month" })).rejects.toThrow(/unit must be one of day, week/);
    await expect(updatePredictions(db, SHOP, { asOf: UNTIL, customerIds: [""] })).rejects.toThrow(/customerIds\[0\]/);
  });
});
