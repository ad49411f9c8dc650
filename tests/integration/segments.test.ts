import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Prisma } from "../../app/db/generated/client";
import type { Database } from "../../app/db/prisma.server";
import { formatIssue } from "../../app/analytics/segments/definition";
import { ensureBuiltInSegments, listSegmentEntries, refreshSegments } from "../../app/analytics/segments/materialise.server";
import { previewSegment } from "../../app/analytics/segments/preview.server";
import { saveSegment } from "../../app/analytics/segments/store.server";
import { INJECTIONS, REFERENCED_SEGMENTS, segmentDefinition } from "../support/segment-arbitraries";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

const A = "north-cafe.myshopify.com";
const B = "south-cafe.myshopify.com";
const C = "corner-cafe.myshopify.com";
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const AS_OF = day("2026-03-01");

type FeatureRow = Prisma.MemberFeatureCreateManyInput;

function feature(shop: string, customerId: string, overrides: Partial<FeatureRow> = {}): FeatureRow {
  return {
    shop,
    customerId,
    firstVisitOn: day("2025-12-01"),
    lastVisitOn: day("2026-02-20"),
    visitCount: 5,
    totalSpend: "20.00",
    avgSpend: "4.00",
    pattern: "weekday-morning",
    patternShare: 0.8,
    acquisitionWeek: day("2025-12-01"),
    acquisitionMonth: day("2025-12-01"),
    ...overrides,
  };
}

/** Shop A's customers as of 2026-03-01 (comments give days since the last visit). */
const SHOP_A: FeatureRow[] = [
  feature(A, "c1", { visitCount: 6, totalSpend: "27.00", avgSpend: "4.50", usualGapDays: 10, pAlive: 0.9 }), // 9 days: due
  feature(A, "c2", { visitCount: 3, lastVisitOn: day("2026-02-01"), usualGapDays: 7, pAlive: 0.3 }), // 28 days: lapsing, at risk
  feature(A, "c3", { visitCount: 1, firstVisitOn: day("2026-02-27"), lastVisitOn: day("2026-02-27"), pattern: "weekend-midday", patternShare: 1 }), // 2 days: new
  feature(A, "c4", { visitCount: 4, lastVisitOn: day("2026-02-18"), pattern: "mixed", patternShare: 0.4, usualGapDays: 10, pAlive: 0.6 }), // 11 days: due
  feature(A, "c5", { visitCount: 2, lastVisitOn: day("2026-02-26"), usualGapDays: 10, pAlive: 0.8 }), // 3 days
];

/** Shop B uses the same customer ids with other histories: every one of them is new and at risk there. */
const SHOP_B: FeatureRow[] = ["c1", "c2", "c3", "c4", "c5"].map((id) =>
  feature(B, id, { visitCount: 1, firstVisitOn: day("2026-01-01"), lastVisitOn: day("2026-01-01"), pattern: "weekend-evening", usualGapDays: 1, pAlive: 0.1 }),
);

async function setFeatures(db: Database, shop: string, customerId: string, changes: Partial<FeatureRow>) {
  await db.memberFeature.update({ where: { shop_customerId: { shop, customerId } }, data: changes });
}

async function count(db: Database, shop: string, definition: unknown): Promise<number> {
  const result = await previewSegment(db, shop, definition, { asOf: AS_OF });
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join("; "));
  return result.count;
}

async function matching(db: Database, shop: string, definition: unknown): Promise<string[]> {
  const result = await previewSegment(db, shop, definition, { asOf: AS_OF, limit: 500 });
  if (!result.ok) throw new Error(result.issues.map(formatIssue).join("; "));
  return result.members.map((member) => member.customerId).sort();
}

async function openStays(db: Database, shop: string, segmentId: string): Promise<string[]> {
  const rows = await db.segmentMembership.findMany({ where: { shop, segmentId, exitedAt: null }, select: { customerId: true } });
  return rows.map((row) => row.customerId).sort();
}

async function allStays(db: Database, shop: string) {
  return db.segmentMembership.findMany({ where: { shop }, orderBy: [{ segmentId: "asc" }, { customerId: "asc" }, { enteredAt: "asc" }] });
}

const only = (...conditions: unknown[]) => ({ conditions });

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("segments on $name", (kind) => {
  let stack: TestStack;
  let db: Database;
  beforeAll(async () => {
    stack = await startTestStack(kind);
    db = stack.runtime.db;
    await db.memberFeature.createMany({ data: [...SHOP_A, ...SHOP_B] });
    await db.customer.create({ data: { shop: A, id: "c1", firstName: "Ann", lastName: "Lee", email: "ann@example.com", source: "webhook" } });
    const joined = { joinedVia: "storefront", joinedAt: day("2026-01-10") };
    await db.member.createMany({
      data: [
        { shop: A, customerId: "c4", status: "active", ...joined },
        { shop: A, customerId: "c5", status: "left", ...joined, leftAt: day("2026-02-01") },
        { shop: B, customerId: "c3", status: "active", ...joined },
      ],
    });
  });
  afterAll(async () => stack?.stop());

  it("counts matches on member features and lists the first of them", async () => {
    expect(await count(db, A, only({ field: "visitCount", op: "gte", value: 3 }))).toBe(3);
    expect(await count(db, A, only({ field: "avgSpend", op: "gte", value: 4.5 }))).toBe(1);
    expect(await count(db, A, only({ field: "tenureDays", op: "eq", value: 90 }))).toBe(4);
    expect(await matching(db, A, only({ field: "pattern", op: "in", values: ["weekend-midday", "mixed"] }))).toEqual(["c3", "c4"]);
    expect(await matching(db, A, only({ field: "pAlive", op: "isNull" }))).toEqual(["c3"]);

    const preview = await previewSegment(db, A, only({ field: "visitCount", op: "gte", value: 3 }), { asOf: AS_OF, limit: 2 });
    expect(preview).toEqual({
      ok: true,
      asOf: "2026-03-01",
      count: 3,
      members: [
        { customerId: "c1", name: "Ann Lee", email: "ann@example.com", member: false, visitCount: 6, lastVisitOn: "2026-02-20", daysSinceLastVisit: 9, pattern: "weekday-morning", usualGapDays: 10, pAlive: 0.9 },
        { customerId: "c4", name: null, email: null, member: true, visitCount: 4, lastVisitOn: "2026-02-18", daysSinceLastVisit: 11, pattern: "mixed", usualGapDays: 10, pAlive: 0.6 },
      ],
    });
  });

  it("compares a field with a multiple of another field", async () => {
    const due = only({ field: "daysSinceLastVisit", op: "between", min: { field: "usualGapDays", times: 0.8 }, max: { field: "usualGapDays", times: 1.2 } });
    expect(await matching(db, A, due)).toEqual(["c1", "c4"]);
    expect(await matching(db, A, only({ field: "daysSinceLastVisit", op: "gt", value: { field: "usualGapDays", times: 2 } }))).toEqual(["c2"]);
    expect(await matching(db, A, only({ field: "daysSinceLastVisit", op: "lt", value: { field: "usualGapDays", times: 0.5, plus: -1 } }))).toEqual(["c5"]);
    // On another as-of date the same definition matches others: the days are counted, not stored.
    const later = await previewSegment(db, A, due, { asOf: day("2026-03-04"), limit: 10 });
    expect(later.ok && later.members.map((m) => m.customerId).sort()).toEqual(["c1"]);
  });

  it("handles relative dates", async () => {
    expect(await matching(db, A, only({ field: "lastVisitOn", op: "withinLastDays", days: 7 }))).toEqual(["c3", "c5"]);
    expect(await matching(db, A, only({ field: "lastVisitOn", op: "moreThanDaysAgo", days: 20 }))).toEqual(["c2"]);
    expect(await matching(db, A, only({ field: "lastVisitOn", op: "gte", value: { daysAgo: 10 } }))).toEqual(["c1", "c3", "c5"]);
    expect(await matching(db, A, only({ field: "lastVisitOn", op: "gt", value: { field: "firstVisitOn", plusDays: 80 } }))).toEqual(["c1", "c5"]);
    expect(await matching(db, A, only({ field: "firstVisitOn", op: "between", min: "2026-02-01", max: "2026-02-28" }))).toEqual(["c3"]);
  });

  it("combines with NOT and OR; NOT of a test on a missing value is true", async () => {
    expect(await matching(db, A, only({ not: { field: "pAlive", op: "lt", value: 0.5 } }))).toEqual(["c1", "c3", "c4", "c5"]);
    expect(await matching(db, A, { match: "any", conditions: [{ field: "pattern", op: "eq", value: "weekend-midday" }, { field: "visitCount", op: "gte", value: 6 }] })).toEqual([
      "c1",
      "c3",
    ]);
    expect(
      await matching(db, A, {
        conditions: [{ field: "pattern", op: "eq", value: "weekday-morning" }, { not: { match: "any", conditions: [{ field: "visitCount", op: "lt", value: 3 }, { field: "pAlive", op: "lt", value: 0.5 }] } }],
      }),
    ).toEqual(["c1"]);
  });

  it("knows who has joined the membership, in this shop only", async () => {
    expect(await matching(db, A, only({ field: "member", op: "eq", value: true }))).toEqual(["c4"]);
    expect(await matching(db, A, only({ field: "member", op: "ne", value: true }))).toEqual(["c1", "c2", "c3", "c5"]);
    expect(await matching(db, B, only({ field: "member", op: "eq", value: true }))).toEqual(["c3"]);
  });

  it("stores and matches SQL in string values literally", async () => {
    const tablesBefore = await db.$queryRaw<Array<{ n: number }>>`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`;
    for (const attack of INJECTIONS) {
      expect(await count(db, C, only({ field: "pattern", op: "eq", value: attack }))).toBe(0);
      expect(await count(db, C, only({ field: "pattern", op: "in", values: [attack, "weekday-morning"] }))).toBe(0);
    }
    await db.memberFeature.createMany({ data: INJECTIONS.map((attack, i) => feature(C, `x${i}`, { pattern: attack })) });
    for (const [i, attack] of INJECTIONS.entries()) {
      expect(await matching(db, C, only({ field: "pattern", op: "eq", value: attack }))).toEqual([`x${i}`]);
      expect(await count(db, C, only({ field: "pattern", op: "ne", value: attack }))).toBe(INJECTIONS.length - 1);
    }
    const saved = await saveSegment(db, C, { name: INJECTIONS[0] ?? "", definition: only({ field: "pattern", op: "eq", value: INJECTIONS[0] }) });
    expect(saved.ok).toBe(true);
    await refreshSegments(db, C, { asOf: AS_OF });
    expect(saved.ok && (await openStays(db, C, saved.segmentId))).toEqual(["x0"]);
    // Every table is still there and still holds its rows.
    expect(await db.$queryRaw`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`).toEqual(tablesBefore);
    expect(await db.order.count()).toBe(0);
    expect(await db.memberFeature.count({ where: { shop: A } })).toBe(5);
  });

  it("answers an invalid definition with its problems instead of throwing", async () => {
    const result = await previewSegment(db, A, only({ field: "visitCount", op: "gte", value: "3" }, { inSegment: "nope" }), { asOf: AS_OF });
    expect(result.ok ? "accepted" : result.issues.map(formatIssue)).toEqual(["conditions[0].value: expected a number"]);
    const missing = await previewSegment(db, A, only({ inSegment: "nope" }), { asOf: AS_OF });
    expect(missing.ok ? "accepted" : missing.issues.map(formatIssue)).toEqual(['conditions[0].inSegment: no segment "nope" in this shop']);
  });

  it("installs the built-in segments once, with one regulars segment per pattern present", async () => {
    await ensureBuiltInSegments(db, A);
    const first = await db.segment.findMany({ where: { shop: A }, orderBy: { id: "asc" } });
    expect(first.map((segment) => [segment.id, segment.name, segment.builtIn])).toEqual([
      ["at-risk", "At risk", true],
      ["due-to-return", "Due to return", true],
      ["lapsing", "Lapsing", true],
      ["new", "New", true],
      ["regulars-weekday-morning", "Weekday-morning regulars", true],
      ["regulars-weekend-midday", "Weekend-midday regulars", true],
    ]);
    await ensureBuiltInSegments(db, A);
    expect(await db.segment.findMany({ where: { shop: A }, orderBy: { id: "asc" } })).toEqual(first);
    // A changed built-in is put back.
    await db.segment.update({ where: { shop_id: { shop: A, id: "new" } }, data: { name: "Fresh faces", definition: { conditions: [{ field: "visitCount", op: "lte", value: 2 }] } } });
    await ensureBuiltInSegments(db, A);
    const restored = await db.segment.findUniqueOrThrow({ where: { shop_id: { shop: A, id: "new" } } });
    expect([restored.name, restored.definition]).toEqual(["New", first.find((segment) => segment.id === "new")?.definition]);
  });

  it("materialises members with enter and exit times; a rerun changes nothing", async () => {
    const before = new Date();
    const result = await refreshSegments(db, A, { asOf: AS_OF });
    expect([result.entered, result.exited, result.skipped]).toEqual([7, 0, []]);
    expect(await openStays(db, A, "due-to-return")).toEqual(["c1", "c4"]);
    expect(await openStays(db, A, "lapsing")).toEqual(["c2"]);
    expect(await openStays(db, A, "new")).toEqual(["c3"]);
    expect(await openStays(db, A, "at-risk")).toEqual(["c2"]);
    expect(await openStays(db, A, "regulars-weekday-morning")).toEqual(["c1", "c2"]);
    expect(await openStays(db, A, "regulars-weekend-midday")).toEqual([]);
    const segments = await db.segment.findMany({ where: { shop: A }, orderBy: { id: "asc" } });
    expect(segments.map((segment) => [segment.id, segment.memberCount])).toEqual([
      ["at-risk", 1],
      ["due-to-return", 2],
      ["lapsing", 1],
      ["new", 1],
      ["regulars-weekday-morning", 2],
      ["regulars-weekend-midday", 0],
    ]);
    for (const segment of segments) expect(segment.refreshedAt?.getTime()).toBeGreaterThanOrEqual(before.getTime());
    const stays = await allStays(db, A);
    for (const stay of stays) expect(stay.enteredAt.getTime()).toBeGreaterThanOrEqual(before.getTime());

    const again = await refreshSegments(db, A, { asOf: AS_OF });
    expect([again.entered, again.exited]).toEqual([0, 0]);
    expect(await allStays(db, A)).toEqual(stays);
  });

  it("closes the stays of those who left and opens stays for those who entered", async () => {
    const start = (await allStays(db, A))[0]?.enteredAt ?? new Date(0);
    await setFeatures(db, A, "c1", { lastVisitOn: AS_OF, visitCount: 7 }); // visited today: no longer due
    await setFeatures(db, A, "c5", { lastVisitOn: day("2026-02-20") }); // 9 days of a 10-day gap: due
    await setFeatures(db, A, "c3", { visitCount: 2 }); // came back: no longer new
    const changedAt = new Date();
    const result = await refreshSegments(db, A, { asOf: AS_OF });
    expect([result.entered, result.exited]).toEqual([1, 2]);
    expect(result.segments.find((segment) => segment.segmentId === "due-to-return")).toEqual({ segmentId: "due-to-return", entered: 1, exited: 1 });
    expect(await openStays(db, A, "due-to-return")).toEqual(["c4", "c5"]);
    expect(await openStays(db, A, "new")).toEqual([]);
    const c1 = await db.segmentMembership.findMany({ where: { shop: A, segmentId: "due-to-return", customerId: "c1" } });
    expect(c1).toHaveLength(1);
    expect(c1[0]?.exitedAt?.getTime()).toBeGreaterThanOrEqual(changedAt.getTime());

    // "Entered since": what a campaign triggered on entering a segment reads.
    const entries = await listSegmentEntries(db, A, "due-to-return", { since: changedAt });
    expect(entries.map((entry) => [entry.customerId, entry.exitedAt])).toEqual([["c5", null]]);
    const sinceStart = await listSegmentEntries(db, A, "due-to-return", { since: new Date(start.getTime() - 1) });
    expect(sinceStart.map((entry) => entry.customerId)).toEqual(["c1", "c4", "c5"]);
    const stillIn = await listSegmentEntries(db, A, "due-to-return", { since: new Date(start.getTime() - 1), stillIn: true });
    expect(stillIn.map((entry) => entry.customerId)).toEqual(["c4", "c5"]);
    const firstPage = await listSegmentEntries(db, A, "due-to-return", { since: new Date(start.getTime() - 1), limit: 1 });
    const secondPage = await listSegmentEntries(db, A, "due-to-return", { since: new Date(start.getTime() - 1), after: firstPage.at(-1), limit: 5 });
    expect([...firstPage, ...secondPage].map((entry) => entry.customerId)).toEqual(["c1", "c4", "c5"]);

    // Due again later: a second stay, the first one kept as history.
    await setFeatures(db, A, "c1", { lastVisitOn: day("2026-02-20") });
    expect((await refreshSegments(db, A, { asOf: AS_OF })).entered).toBe(1);
    const history = await db.segmentMembership.findMany({ where: { shop: A, segmentId: "due-to-return", customerId: "c1" }, orderBy: { enteredAt: "asc" } });
    expect(history.map((stay) => stay.exitedAt === null)).toEqual([false, true]);
    expect(await db.segment.findUniqueOrThrow({ where: { shop_id: { shop: A, id: "due-to-return" } } })).toMatchObject({ memberCount: 3 });
  });

  it("re-evaluates only the given customers on the fast path", async () => {
    await setFeatures(db, A, "c2", { pAlive: 0.9 }); // leaves at risk
    await setFeatures(db, A, "c4", { pAlive: 0.2 }); // enters at risk
    const atRisk = async () => (await db.segment.findUniqueOrThrow({ where: { shop_id: { shop: A, id: "at-risk" } } })).memberCount;

    const onlyC2 = await refreshSegments(db, A, { asOf: AS_OF, customerIds: ["c2", "c2"] });
    expect([onlyC2.entered, onlyC2.exited]).toEqual([0, 1]);
    expect(await openStays(db, A, "at-risk")).toEqual([]);
    expect(await atRisk()).toBe(0);

    expect(await refreshSegments(db, A, { asOf: AS_OF, customerIds: [] })).toMatchObject({ entered: 0, exited: 0, segments: [] });
    expect(await refreshSegments(db, A, { asOf: AS_OF, customerIds: ["nobody"] })).toMatchObject({ entered: 0, exited: 0 });

    const onlyC4 = await refreshSegments(db, A, { asOf: AS_OF, customerIds: ["c4"] });
    expect([onlyC4.entered, onlyC4.exited]).toEqual([1, 0]);
    expect(await openStays(db, A, "at-risk")).toEqual(["c4"]);
    expect(await atRisk()).toBe(1);

    // The full refresh agrees with what the fast path did.
    const full = await refreshSegments(db, A, { asOf: AS_OF });
    expect([full.entered, full.exited]).toEqual([0, 0]);
    expect(await atRisk()).toBe(1);
    await expect(refreshSegments(db, A, { asOf: AS_OF, customerIds: [""] })).rejects.toThrow(RangeError);
  });

  it("keeps shops apart, even with identical customer ids", async () => {
    const shopA = await allStays(db, A);
    await ensureBuiltInSegments(db, B);
    const result = await refreshSegments(db, B, { asOf: AS_OF });
    expect(await openStays(db, B, "new")).toEqual(["c1", "c2", "c3", "c4", "c5"]);
    expect(await openStays(db, B, "at-risk")).toEqual(["c1", "c2", "c3", "c4", "c5"]);
    expect(await openStays(db, B, "regulars-weekend-evening")).toEqual([]);
    expect(result.entered).toBe(15); // new, at risk and lapsing: five each
    // Shop A's segments are untouched and still hold only shop A's members.
    expect(await allStays(db, A)).toEqual(shopA);
    expect(await openStays(db, A, "new")).toEqual([]);
    expect(await openStays(db, A, "at-risk")).toEqual(["c4"]);
    expect(await db.segment.count({ where: { shop: A, id: "regulars-weekend-evening" } })).toBe(0);
    expect(await count(db, A, only({ field: "visitCount", op: "eq", value: 1 }))).toBe(0);
    expect(await count(db, B, only({ field: "visitCount", op: "eq", value: 1 }))).toBe(5);
    // A reference resolves within the shop only.
    const fromB = await previewSegment(db, B, only({ inSegment: "regulars-weekday-morning" }), { asOf: AS_OF });
    expect(fromB.ok ? "accepted" : fromB.issues.map(formatIssue)).toEqual(['conditions[0].inSegment: no segment "regulars-weekday-morning" in this shop']);
  });

  it("saves a cafe's own segment over other segments, refusing circles", async () => {
    const saved = await saveSegment(db, A, {
      name: "Morning regulars doing well",
      definition: only({ inSegment: "regulars-weekday-morning" }, { not: { inSegment: "at-risk" } }),
    });
    if (!saved.ok) throw new Error(saved.issues.map(formatIssue).join("; "));
    expect(await matching(db, A, only({ inSegment: saved.segmentId }))).toEqual(["c1", "c2"]);
    await refreshSegments(db, A, { asOf: AS_OF });
    expect(await openStays(db, A, saved.segmentId)).toEqual(["c1", "c2"]);

    const wrapper = await saveSegment(db, A, { name: "Wrapper", definition: only({ inSegment: saved.segmentId }) });
    if (!wrapper.ok) throw new Error("expected the wrapper to save");
    const circle = await saveSegment(db, A, { id: saved.segmentId, name: "Circle", definition: only({ inSegment: wrapper.segmentId }) });
    expect(circle.ok ? "saved" : circle.issues.map(formatIssue)).toEqual([
      `definition.conditions[0].inSegment: segments refer to each other in a circle: ${saved.segmentId} → ${wrapper.segmentId} → ${saved.segmentId}`,
    ]);
    const builtIn = await saveSegment(db, A, { id: "new", name: "Mine now", definition: only({ field: "visitCount", op: "eq", value: 2 }) });
    expect(builtIn.ok ? "saved" : builtIn.issues.map(formatIssue)).toEqual(["id: built-in segments cannot be changed"]);
    const invalid = await saveSegment(db, A, { name: " ", definition: only({ field: "visitCount", op: "eq", value: "2" }) });
    expect(invalid.ok ? "saved" : invalid.issues.map(formatIssue)).toEqual(["name: must be 1 to 80 characters", "definition.conditions[0].value: expected a number"]);
  });

  it("runs any accepted definition without a database error", async () => {
    for (const [id, definition] of Object.entries(REFERENCED_SEGMENTS)) {
      await db.segment.create({ data: { shop: A, id, name: id, definition } });
    }
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(segmentDefinition, async (definition) => {
        const result = await previewSegment(db, A, definition, { asOf: AS_OF, limit: 1 });
        if (result.ok) accepted += 1;
        else expect(result.issues.length).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
    expect(accepted).toBeGreaterThan(50);
  });
});
