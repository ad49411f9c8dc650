import { PrismaPg } from "@prisma/adapter-pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnalyticsShopNotFoundError, InvalidShopSettingsError } from "../../app/analytics/dayparts";
import { recomputeFeatures } from "../../app/analytics/features.server";
import { updateMembersAfterOrders, type MemberUpdateResult, type MemberUpdateStep } from "../../app/analytics/incremental.server";
import { fitShopModel, latestModelFit, updatePredictions } from "../../app/analytics/model.server";
import { recomputeShop } from "../../app/analytics/recompute.server";
import { refreshSegments } from "../../app/analytics/segments/materialise.server";
import { saveSegment } from "../../app/analytics/segments/store.server";
import { rebuildVisits } from "../../app/analytics/visits.server";
import { PrismaClient } from "../../app/db/generated/client";
import type { Database } from "../../app/db/prisma.server";
import { registerInstall } from "../../app/shops/shops.server";
import { createRandom } from "../../app/simulate/random";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The member update (one transaction, every segment in one statement, cached
 * fit and compiled segments) against the full recompute: after members'
 * orders change and their update runs, a full recompute as of the same day
 * must find nothing left to change, on both ways the update reaches the
 * database (the driver's own connection, and a Prisma transaction).
 */

const SHOP = "parity-cafe.myshopify.com";
const OTHER = "other-cafe.myshopify.com";
const START = Date.UTC(2026, 0, 5); // a Monday
const DAY_MS = 86_400_000;
const LAST_DAY = 150;
/** The shop-local today of the updates; the recompute's as-of date is the same day. */
const AS_OF = new Date(START + LAST_DAY * DAY_MS);
const NOW = new Date(AS_OF.getTime() + 13 * 3_600_000);

interface OrderRow {
  id: string;
  customerId: string;
  locationId: string | null;
  channel: "pos" | "web";
  totalPrice: string;
  refundedAmount: string;
  processedAt: Date;
  cancelledAt: Date | null;
  pickup: boolean;
}

/** A year-start of a cafe: customers on their own rhythm and hour, a few online pickups, cancellations and refunds. */
function history(seed: string, customers: number): OrderRow[] {
  const random = createRandom(seed);
  const hours = [8.5, 8.5, 12.25, 15, 19];
  const orders: OrderRow[] = [];
  for (let c = 0; c < customers; c++) {
    const customerId = String(5000 + c);
    const rate = random.float(0.05, 0.3);
    const dropout = random.float(0.0, 0.08);
    const hour = hours[c % hours.length] ?? 9;
    const weekendOnly = c % 7 === 3;
    const first = random.int(0, 100);
    for (let d = first; d < LAST_DAY; d++) {
      const weekday = new Date(START + d * DAY_MS).getUTCDay();
      if (weekendOnly && weekday !== 0 && weekday !== 6) continue;
      if (d !== first && !random.chance(rate)) continue;
      const web = random.chance(0.08);
      const at = new Date(START + d * DAY_MS + Math.round((hour + random.float(-0.4, 0.4)) * 3_600_000));
      orders.push({
        id: `${customerId}-${d}`,
        customerId,
        locationId: web ? null : random.chance(0.1) ? "2" : "1",
        channel: web ? "web" : "pos",
        totalPrice: random.float(3, 12).toFixed(2),
        refundedAmount: random.chance(0.03) ? "1.00" : "0",
        processedAt: at,
        cancelledAt: random.chance(0.02) ? at : null,
        pickup: web && random.chance(0.7),
      });
      if (random.chance(dropout)) break;
    }
  }
  return orders;
}

async function insertOrders(db: Database, shop: string, orders: OrderRow[]): Promise<void> {
  const column = <T>(pick: (order: OrderRow) => T) => orders.map(pick);
  await db.$executeRaw`
    INSERT INTO "Order" (shop, id, "customerId", "locationId", channel, currency, "totalPrice", "refundedAmount", "processedAt",
      "cancelledAt", "noteAttributes", "shopifyUpdatedAt", source, "updatedAt")
    SELECT ${shop}, o.id, o.customer_id, o.location_id, o.channel, 'GBP', o.total, o.refunded, o.processed_at, o.cancelled_at,
      CASE WHEN o.pickup THEN '[{"name":"pickup_at","value":"12:00"}]'::jsonb ELSE '[]'::jsonb END, o.processed_at, 'webhook', now()
    FROM unnest(
      ${column((o) => o.id)}::text[], ${column((o) => o.customerId)}::text[], ${column((o) => o.locationId)}::text[],
      ${column((o) => o.channel)}::text[], ${column((o) => o.totalPrice)}::numeric[], ${column((o) => o.refundedAmount)}::numeric[],
      ${column((o) => o.processedAt.toISOString())}::timestamptz[], ${column((o) => o.cancelledAt?.toISOString() ?? null)}::timestamptz[],
      ${column((o) => o.pickup)}::boolean[]
    ) AS o(id, customer_id, location_id, channel, total, refunded, processed_at, cancelled_at, pickup)`;
}

/** Everything the update writes, in a fixed order; times that only say when a row was written are left out. */
async function derived(db: Database, shop: string) {
  return {
    visits: await db.visit.findMany({ where: { shop }, orderBy: [{ customerId: "asc" }, { localDate: "asc" }, { locationKey: "asc" }] }),
    features: (await db.memberFeature.findMany({ where: { shop }, orderBy: { customerId: "asc" } })).map(({ computedAt: _computedAt, ...row }) => row),
    stays: await db.segmentMembership.findMany({ where: { shop }, orderBy: [{ segmentId: "asc" }, { customerId: "asc" }, { enteredAt: "asc" }] }),
    counts: (await db.segment.findMany({ where: { shop }, orderBy: { id: "asc" } })).map(({ id, memberCount }) => ({ id, memberCount })),
  };
}

async function openStays(db: Database, shop: string, segmentId: string): Promise<string[]> {
  const stays = await db.segmentMembership.findMany({ where: { shop, segmentId, exitedAt: null }, orderBy: { customerId: "asc" } });
  return stays.map((stay) => stay.customerId);
}

/** The full recompute's steps as of the updates' day, without a refit: each must find nothing to change. */
async function expectFullRecomputeChangesNothing(db: Database, shop: string): Promise<void> {
  const before = await derived(db, shop);
  const visits = await rebuildVisits(db, shop);
  const features = await recomputeFeatures(db, shop);
  const predictions = await updatePredictions(db, shop, { asOf: AS_OF });
  const segments = await refreshSegments(db, shop, { asOf: AS_OF });
  expect({
    visits: [visits.written, visits.removed],
    features: [features.written, features.removed],
    predictions: predictions.updated,
    segments: [segments.entered, segments.exited],
  }).toEqual({ visits: [0, 0], features: [0, 0], predictions: 0, segments: [0, 0] });
  // The full refresh counts every segment's members afresh: the member update's adjustments must have kept them right.
  expect(await derived(db, shop)).toEqual(before);
}

function total(results: MemberUpdateResult[], key: keyof MemberUpdateResult): number {
  return results.reduce((sum, result) => sum + result[key], 0);
}

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("member update against the full recompute on $name", (kind) => {
  let stack: TestStack;
  let db: Database;
  /** A client made without createPrismaClient: the update then runs in a Prisma interactive transaction. */
  let prismaOnly: Database;
  const orders = history("incremental-parity", 120);
  const customers = [...new Set(orders.map((order) => order.customerId))].sort();

  beforeAll(async () => {
    stack = await startTestStack(kind);
    db = stack.runtime.db;
    prismaOnly = new PrismaClient({ adapter: new PrismaPg({ connectionString: stack.runtime.database.url, max: 2 }) });
    await registerInstall(db, { domain: SHOP, name: "Parity Cafe", timezone: "Europe/London" });
    await registerInstall(db, { domain: OTHER, name: "Other Cafe", timezone: "Europe/London" });
    await insertOrders(db, SHOP, orders);
    await insertOrders(db, OTHER, history("incremental-parity-other", 30));
    const custom = await saveSegment(db, SHOP, {
      name: "Morning regulars not at risk, or big spenders",
      definition: {
        match: "any",
        conditions: [
          { match: "all", conditions: [{ field: "pattern", op: "eq", value: "weekday-morning" }, { not: { field: "pAlive", op: "lt", value: 0.5 } }] },
          { field: "totalSpend", op: "gte", value: 60 },
        ],
      },
    });
    if (!custom.ok) throw new Error(`custom segment refused: ${JSON.stringify(custom.issues)}`);
    const full = await recomputeShop(db, SHOP, { until: AS_OF });
    if (full.model.status !== "fitted") throw new Error(`the fixture should fit the model: ${full.model.reason}`);
    await recomputeShop(db, OTHER, { until: AS_OF });
  }, 300_000);

  afterAll(async () => {
    await prismaOnly?.$disconnect();
    await stack?.stop();
  });

  it("updates members whose orders changed to exactly what the full recompute computes, on either connection", async () => {
    const other = await derived(db, OTHER);
    const pick = (from: number, n: number) => customers.slice(from, from + n);
    // New visits today (one of them a second counter on a day already visited), a new customer, cancellations, refunds.
    const today = (hours: number) => new Date(AS_OF.getTime() + hours * 3_600_000);
    const fresh: OrderRow[] = [
      ...pick(0, 12).map((customerId, i) => ({
        id: `today-${customerId}`, customerId, locationId: "1", channel: "pos" as const, totalPrice: "4.20", refundedAmount: "0",
        processedAt: today(7.5 + (i % 4)), cancelledAt: null, pickup: false,
      })),
      { id: "today-second-counter", customerId: customers[0] ?? "", locationId: "2", channel: "pos", totalPrice: "3.10", refundedAmount: "0", processedAt: today(9), cancelledAt: null, pickup: false },
      { id: "today-newcomer", customerId: "9001", locationId: null, channel: "web", totalPrice: "6.80", refundedAmount: "0", processedAt: today(8), cancelledAt: null, pickup: true },
    ];
    await insertOrders(db, SHOP, fresh);
    const cancelled = pick(20, 6);
    await db.$executeRaw`
      UPDATE "Order" SET "cancelledAt" = "processedAt"
      WHERE shop = ${SHOP} AND id IN (SELECT max(id) FROM "Order" WHERE shop = ${SHOP} AND "customerId" = ANY(${cancelled}::text[]) GROUP BY "customerId")`;
    const refunded = pick(30, 4);
    await db.$executeRaw`UPDATE "Order" SET "refundedAmount" = "totalPrice" / 2 WHERE shop = ${SHOP} AND "customerId" = ANY(${refunded}::text[])`;
    const gone = (await db.memberFeature.findFirstOrThrow({ where: { shop: SHOP, customerId: { in: customers.slice(40) } }, orderBy: { customerId: "asc" } })).customerId;
    await db.$executeRaw`UPDATE "Order" SET "cancelledAt" = "processedAt" WHERE shop = ${SHOP} AND "customerId" = ${gone}`;

    const changed = [...pick(0, 12), ...cancelled, ...refunded, gone, "9001", "no-orders-at-all"];
    const viaDriver = changed.filter((_, i) => i % 2 === 0);
    const viaPrisma = changed.filter((_, i) => i % 2 === 1);
    const steps: MemberUpdateStep[] = [];
    const results = [
      await updateMembersAfterOrders(db, SHOP, viaDriver, { now: NOW, onStep: (step) => steps.push(step) }),
      await updateMembersAfterOrders(prismaOnly, SHOP, viaPrisma, { now: NOW }),
    ];
    expect(steps).toEqual(["settings", "visits", "features", "predictions", "segments", "commit"]);
    expect(total(results, "members")).toBe(changed.length);
    expect(total(results, "visitsWritten")).toBeGreaterThanOrEqual(14);
    expect(total(results, "visitsRemoved")).toBeGreaterThan(0);
    expect(total(results, "featuresWritten")).toBeGreaterThanOrEqual(15);
    expect(total(results, "featuresRemoved")).toBeGreaterThanOrEqual(1);
    expect(total(results, "predictions")).toBeGreaterThan(0);
    expect(total(results, "segmentsEntered") + total(results, "segmentsExited")).toBeGreaterThan(0);
    expect(await db.memberFeature.count({ where: { shop: SHOP, customerId: gone } })).toBe(0);
    expect(await openStays(db, SHOP, "new")).toContain("9001");
    expect((await db.segmentMembership.findMany({ where: { shop: SHOP, customerId: gone } })).every((stay) => stay.exitedAt !== null)).toBe(true);

    // Running it again changes nothing, on either connection.
    for (const client of [db, prismaOnly]) {
      expect(await updateMembersAfterOrders(client, SHOP, changed, { now: NOW })).toMatchObject({
        visitsWritten: 0, visitsRemoved: 0, featuresWritten: 0, featuresRemoved: 0, predictions: 0, segmentsEntered: 0, segmentsExited: 0,
      });
    }
    await expectFullRecomputeChangesNothing(db, SHOP);
    // The other shop, with the same kind of customer ids, was not touched.
    expect(await derived(db, OTHER)).toEqual(other);
  });

  it("picks up a changed segment definition and a new model fit at the next update", async () => {
    const members = customers.slice(50, 70);
    await updateMembersAfterOrders(db, SHOP, members, { now: NOW }); // fills the process's caches
    // Redefine the cafe's segment so that exactly one of these members matches.
    const [target] = await db.memberFeature.findMany({ where: { shop: SHOP, customerId: { in: members } }, orderBy: { totalSpend: "desc" }, take: 1 });
    if (!target) throw new Error("fixture members have features");
    const segment = await db.segment.findFirstOrThrow({ where: { shop: SHOP, builtIn: false } });
    const saved = await saveSegment(db, SHOP, {
      id: segment.id,
      name: segment.name,
      definition: { match: "all", conditions: [{ field: "totalSpend", op: "eq", value: Number(target.totalSpend) }] },
    });
    if (!saved.ok) throw new Error(`redefinition refused: ${JSON.stringify(saved.issues)}`);
    await updateMembersAfterOrders(db, SHOP, members, { now: NOW });
    const inSegment = await openStays(db, SHOP, segment.id);
    expect(inSegment.filter((id) => members.includes(id))).toEqual([target.customerId]);

    // A refit (weeks instead of days): the update predicts from it, as updatePredictions does.
    const before = await latestModelFit(db, SHOP);
    const refit = await fitShopModel(db, SHOP, { until: AS_OF, unit: "week" });
    expect(refit.id).not.toBe(before?.id);
    const updated = await updateMembersAfterOrders(db, SHOP, members, { now: NOW });
    expect(updated.predictions).toBeGreaterThan(0);
    expect(await updatePredictions(db, SHOP, { asOf: AS_OF, customerIds: members })).toEqual({ updated: 0 });
    expect(await refreshSegments(db, SHOP, { asOf: AS_OF, customerIds: members })).toMatchObject({ entered: 0, exited: 0 });
    // The rest of the shop follows the refit and the new definition, for the tests after this one.
    await updatePredictions(db, SHOP, { asOf: AS_OF });
    await refreshSegments(db, SHOP, { asOf: AS_OF });
  });

  it("labels an updated member's visits with the shop's current dayparts", async () => {
    const member = customers[1] ?? "";
    await db.shopSettings.upsert({
      where: { shop: SHOP },
      create: { shop: SHOP, dayparts: [{ name: "daytime", from: 6, to: 18 }] },
      update: { dayparts: [{ name: "daytime", from: 6, to: 18 }] },
    });
    try {
      const result = await updateMembersAfterOrders(db, SHOP, [member], { now: NOW });
      expect(result.visitsWritten).toBeGreaterThan(0);
      const labels = await db.visit.findMany({ where: { shop: SHOP, customerId: member }, select: { label: true }, distinct: ["label"] });
      expect(labels.map((visit) => visit.label).every((label) => label === null || label.endsWith("-daytime"))).toBe(true);
      expect(await rebuildVisits(db, SHOP, { customerIds: [member] })).toMatchObject({ written: 0, removed: 0 });
    } finally {
      await db.shopSettings.delete({ where: { shop: SHOP } });
      await updateMembersAfterOrders(db, SHOP, [member], { now: NOW });
    }
  });

  it("serialises concurrent updates of overlapping members with segment refreshes, without deadlock", async () => {
    const sets = [customers.slice(0, 10), customers.slice(5, 15), customers.slice(8, 12).reverse(), customers.slice(0, 20)];
    await Promise.all([
      ...sets.map((ids) => updateMembersAfterOrders(db, SHOP, ids, { now: NOW })),
      ...sets.map((ids) => updateMembersAfterOrders(prismaOnly, SHOP, [...ids].reverse(), { now: NOW })),
      refreshSegments(db, SHOP, { asOf: AS_OF, customerIds: customers.slice(3, 9) }),
      refreshSegments(db, SHOP, { asOf: AS_OF }),
    ]);
    await expectFullRecomputeChangesNothing(db, SHOP);
  });

  it("refuses an unknown shop or unusable settings, writing nothing", async () => {
    await expect(updateMembersAfterOrders(db, "west-cafe.myshopify.com", ["1"], { now: NOW })).rejects.toThrow(AnalyticsShopNotFoundError);
    const member = customers[2] ?? "";
    await insertOrders(db, SHOP, [
      { id: "refused-settings", customerId: member, locationId: "1", channel: "pos", totalPrice: "2.00", refundedAmount: "0", processedAt: new Date(AS_OF.getTime() + 10 * 3_600_000), cancelledAt: null, pickup: false },
    ]);
    const before = await derived(db, SHOP);
    await db.shopSettings.create({ data: { shop: SHOP, dayparts: [{ name: "dawn", from: 5, to: 26 }] } });
    try {
      for (const client of [db, prismaOnly]) {
        await expect(updateMembersAfterOrders(client, SHOP, [member], { now: NOW })).rejects.toThrow(InvalidShopSettingsError);
      }
      expect(await derived(db, SHOP)).toEqual(before);
    } finally {
      await db.shopSettings.delete({ where: { shop: SHOP } });
    }
    expect((await updateMembersAfterOrders(db, SHOP, [member], { now: NOW })).visitsWritten).toBe(1);
  });
});
