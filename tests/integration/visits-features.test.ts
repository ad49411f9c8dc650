import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rebuildVisits, visitInsertSql, visitMergeSql } from "../../app/analytics/visits.server";
import { insertOrMerge, type MergeCounts } from "../../app/analytics/bulk-sql.server";
import { recomputeFeatures } from "../../app/analytics/features.server";
import { AnalyticsShopNotFoundError, InvalidShopSettingsError, shopAnalyticsSettings } from "../../app/analytics/dayparts";
import type { Database } from "../../app/db/prisma.server";
import { registerInstall } from "../../app/shops/shops.server";
import { upsertOrder } from "../../app/sync/orders.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";
import { order } from "../support/sync-fixtures";

const SHOP = "north-cafe.myshopify.com"; // Europe/London
const OTHER = "south-cafe.myshopify.com"; // America/New_York, same customer ids
const EAST = "east-cafe.myshopify.com"; // its own dayparts and a zone override

let version = Date.parse("2026-06-01T00:00:00Z");

interface Sale {
  id: string;
  customerId: string | null;
  at: string;
  location?: string | null;
  channel?: "pos" | "web";
  total?: string;
  cancelled?: boolean;
  refund?: string;
  pickup?: boolean;
  /** An order-ahead order: it carries its pickup hold (app/pickup/attributes.ts). */
  pickupHold?: boolean;
}

/** Stores an order (a newer version each time, so a second call with the same id updates it). */
async function sell(db: Database, shop: string, sale: Sale): Promise<void> {
  version += 1000;
  const processedAt = new Date(sale.at);
  await upsertOrder(
    db,
    shop,
    order({
      id: sale.id,
      name: `#${sale.id}`,
      customerId: sale.customerId,
      locationId: sale.location === undefined ? "71" : sale.location,
      channel: sale.channel ?? "pos",
      totalPrice: sale.total ?? "4.00",
      processedAt,
      cancelledAt: sale.cancelled ? new Date(processedAt.getTime() + 120_000) : null,
      noteAttributes: sale.pickupHold
        ? [{ name: "_regulars_pickup_hold", value: "h-abcdefghijklmnop" }, { name: "_regulars_pickup_location", value: "71" }]
        : sale.pickup
          ? [{ name: "pickup_at", value: new Date(processedAt.getTime() + 1_200_000).toISOString() }]
          : [],
      shopifyUpdatedAt: new Date(version),
      refunds: sale.refund ? [{ id: `r${sale.id}`, orderId: sale.id, amount: sale.refund, createdAt: new Date(processedAt.getTime() + 3_600_000) }] : [],
      lineItems: [],
    }),
    "webhook",
  );
}

async function snapshot(db: Database, shop: string) {
  const visits = await db.visit.findMany({ where: { shop }, orderBy: [{ customerId: "asc" }, { localDate: "asc" }, { locationKey: "asc" }] });
  const features = await db.memberFeature.findMany({ where: { shop }, orderBy: { customerId: "asc" } });
  return JSON.parse(JSON.stringify({ visits, features })) as unknown;
}

async function visitsOf(db: Database, shop: string, customerId: string) {
  const rows = await db.visit.findMany({ where: { shop, customerId }, orderBy: [{ localDate: "asc" }, { locationKey: "asc" }] });
  return rows.map((v) => ({
    date: v.localDate.toISOString().slice(0, 10),
    location: v.locationKey,
    orders: v.orders,
    spend: v.spend.toFixed(2),
    weekday: v.weekday,
    minute: v.localMinute,
    label: v.label,
    channels: [v.pos && "pos", v.web && "web", v.pickup && "pickup"].filter(Boolean).join("+"),
  }));
}

async function rebuild(db: Database, shop: string, customerIds?: string[]) {
  const visits = await rebuildVisits(db, shop, customerIds ? { customerIds } : {});
  const features = await recomputeFeatures(db, shop, customerIds ? { customerIds } : {});
  return { visits, features };
}

describe.each(stackKinds())("visits and member features on $name", (kind) => {
  let stack: TestStack;
  let db: Database;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    db = stack.runtime.db;
    await registerInstall(db, { domain: SHOP, name: "North Cafe", timezone: "Europe/London" });
    await registerInstall(db, { domain: OTHER, name: "South Cafe", timezone: "America/New_York" });
    await registerInstall(db, { domain: EAST, name: "East Cafe", timezone: "UTC" });

    // 601: two orders of one visit, and a second visit at another counter the same day.
    await sell(db, SHOP, { id: "1", customerId: "601", at: "2026-03-02T08:10:00Z", total: "4.00" });
    await sell(db, SHOP, { id: "2", customerId: "601", at: "2026-03-02T08:40:00Z", total: "3.00" });
    await sell(db, SHOP, { id: "3", customerId: "601", at: "2026-03-02T15:00:00Z", location: "72", total: "5.00" });
    // 602: a cancelled order makes no visit; refunds lower spend but keep the visit.
    await sell(db, SHOP, { id: "4", customerId: "602", at: "2026-03-03T09:00:00Z", total: "6.00", cancelled: true });
    await sell(db, SHOP, { id: "5", customerId: "602", at: "2026-03-04T09:00:00Z", total: "6.00", refund: "2.50" });
    await sell(db, SHOP, { id: "6", customerId: "602", at: "2026-03-04T09:30:00Z", total: "4.00", cancelled: true });
    await sell(db, SHOP, { id: "7", customerId: "602", at: "2026-03-05T09:00:00Z", total: "4.00", refund: "4.00" });
    // A guest.
    await sell(db, SHOP, { id: "8", customerId: null, at: "2026-03-05T09:05:00Z" });
    // 603: across London's switch to summer time (01:00 UTC, Sunday 29 March 2026).
    await sell(db, SHOP, { id: "9", customerId: "603", at: "2026-03-27T08:30:00Z" }); // Fri 08:30 GMT
    await sell(db, SHOP, { id: "10", customerId: "603", at: "2026-03-30T07:30:00Z" }); // Mon 08:30 BST
    await sell(db, SHOP, { id: "11", customerId: "603", at: "2026-03-28T23:30:00Z" }); // Sat 23:30 GMT
    await sell(db, SHOP, { id: "12", customerId: "603", at: "2026-03-31T22:30:00Z" }); // Tue 23:30 BST
    await sell(db, SHOP, { id: "13", customerId: "603", at: "2026-03-31T23:30:00Z" }); // Wed 1 April 00:30 BST
    // 604: a hand-made rhythm (GMT, so UTC is local time).
    await sell(db, SHOP, { id: "14", customerId: "604", at: "2026-03-04T08:00:00Z", total: "3.00" }); // Wed
    await sell(db, SHOP, { id: "15", customerId: "604", at: "2026-03-06T08:15:00Z", total: "4.00" }); // Fri
    await sell(db, SHOP, { id: "16", customerId: "604", at: "2026-03-06T16:00:00Z", location: "72", total: "2.00" }); // Fri, other counter
    await sell(db, SHOP, { id: "17", customerId: "604", at: "2026-03-09T12:00:00Z", location: null, channel: "web", pickup: true, total: "10.00" }); // Mon
    await sell(db, SHOP, { id: "18", customerId: "604", at: "2026-03-18T08:35:00Z", total: "3.50" }); // Wed

    // The same customer ids in another shop, across New York's switch (07:00 UTC, Sunday 8 March 2026).
    await sell(db, OTHER, { id: "1", customerId: "601", at: "2026-03-06T13:30:00Z" }); // Fri 08:30 EST
    await sell(db, OTHER, { id: "2", customerId: "601", at: "2026-03-09T12:30:00Z" }); // Mon 08:30 EDT
    await sell(db, OTHER, { id: "3", customerId: "604", at: "2026-03-10T02:30:00Z" }); // Mon 9 March 22:30 EDT

    // East: UTC in Shopify, Asia/Tokyo (UTC+9) in its settings, and its own dayparts.
    await db.shopSettings.create({
      data: { shop: EAST, timezoneOverride: "Asia/Tokyo", dayparts: [{ name: "breakfast", from: 5.5, to: 10.5 }, { name: "lunch", from: 11, to: 14 }] },
    });
    await sell(db, EAST, { id: "1", customerId: "701", at: "2026-03-01T20:45:00Z" }); // Mon 2 March 05:45 JST
    await sell(db, EAST, { id: "2", customerId: "701", at: "2026-03-02T01:40:00Z" }); // Mon 2 March 10:40 JST, same counter: one visit
  }, 180_000);

  afterAll(async () => stack?.stop());

  it("builds a shop's visits: merged orders, one visit per location and local day, cancelled and guest orders left out", async () => {
    const result = await rebuildVisits(db, SHOP);
    expect(result.visits).toBe(14);
    expect(await visitsOf(db, SHOP, "601")).toEqual([
      { date: "2026-03-02", location: "71", orders: 2, spend: "7.00", weekday: 1, minute: 490, label: "weekday-morning", channels: "pos" },
      { date: "2026-03-02", location: "72", orders: 1, spend: "5.00", weekday: 1, minute: 900, label: "weekday-afternoon", channels: "pos" },
    ]);
    const first = await db.visit.findFirstOrThrow({ where: { shop: SHOP, customerId: "601", locationKey: "71" } });
    expect(first.firstOrderAt.toISOString()).toBe("2026-03-02T08:10:00.000Z");
    expect(first.lastOrderAt.toISOString()).toBe("2026-03-02T08:40:00.000Z");
  });

  it("leaves cancelled orders out and nets refunds from spend without removing the visit", async () => {
    expect(await visitsOf(db, SHOP, "602")).toEqual([
      { date: "2026-03-04", location: "71", orders: 1, spend: "3.50", weekday: 3, minute: 540, label: "weekday-morning", channels: "pos" },
      { date: "2026-03-05", location: "71", orders: 1, spend: "0.00", weekday: 4, minute: 540, label: "weekday-morning", channels: "pos" },
    ]);
    expect(await db.visit.count({ where: { shop: SHOP, localDate: new Date("2026-03-03T00:00:00Z") } })).toBe(0);
    // 5 March: 602's fully refunded visit; the guest's order that day makes none.
    expect(await db.visit.count({ where: { shop: SHOP, localDate: new Date("2026-03-05T00:00:00Z") } })).toBe(1);
  });

  it("labels visits on the shop's wall clock across a daylight-saving change", async () => {
    expect(await visitsOf(db, SHOP, "603")).toEqual([
      { date: "2026-03-27", location: "71", orders: 1, spend: "4.00", weekday: 5, minute: 510, label: "weekday-morning", channels: "pos" },
      { date: "2026-03-28", location: "71", orders: 1, spend: "4.00", weekday: 6, minute: 1410, label: null, channels: "pos" },
      { date: "2026-03-30", location: "71", orders: 1, spend: "4.00", weekday: 1, minute: 510, label: "weekday-morning", channels: "pos" },
      { date: "2026-03-31", location: "71", orders: 1, spend: "4.00", weekday: 2, minute: 1410, label: null, channels: "pos" },
      { date: "2026-04-01", location: "71", orders: 1, spend: "4.00", weekday: 3, minute: 30, label: null, channels: "pos" },
    ]);
  });

  it("computes a hand-made member's features: gaps, pattern, usual minute, channels, acquisition", async () => {
    const result = await recomputeFeatures(db, SHOP);
    expect(result.members).toBe(4);
    const f = await db.memberFeature.findUniqueOrThrow({ where: { shop_customerId: { shop: SHOP, customerId: "604" } } });
    expect({
      first: f.firstVisitOn.toISOString().slice(0, 10),
      last: f.lastVisitOn.toISOString().slice(0, 10),
      visits: f.visitCount,
      total: f.totalSpend.toFixed(2),
      avg: f.avgSpend.toFixed(2),
      gaps: [f.gapCount, f.gapMedianDays, f.gapSpreadDays],
      pattern: [f.pattern, f.patternShare],
      usualMinute: f.usualMinute,
      channels: [f.posVisits, f.webVisits, f.pickupVisits],
      week: f.acquisitionWeek.toISOString().slice(0, 10),
      month: f.acquisitionMonth.toISOString().slice(0, 10),
    }).toEqual({
      first: "2026-03-04",
      last: "2026-03-18",
      visits: 5, // two on Friday 6 March: two counters
      total: "22.50",
      avg: "4.50",
      // Visit days 4, 6, 9, 18 March: gaps 2, 3, 9; quartiles 2.5 and 6.
      gaps: [3, 3, 3.5],
      pattern: ["weekday-morning", 0.6],
      usualMinute: 515, // 08:00, 08:15, 08:35, 12:00, 16:00
      channels: [4, 1, 1],
      week: "2026-03-02",
      month: "2026-03-01",
    });
  });

  it("calls a member without a majority label mixed, and a single visit day has no gap", async () => {
    const f = await db.memberFeature.findUniqueOrThrow({ where: { shop_customerId: { shop: SHOP, customerId: "601" } } });
    expect([f.pattern, f.patternShare, f.visitCount, f.gapCount, f.gapMedianDays, f.gapSpreadDays]).toEqual(["mixed", 0.5, 2, 0, null, null]);
    const night = await db.memberFeature.findUniqueOrThrow({ where: { shop_customerId: { shop: SHOP, customerId: "603" } } });
    // Two of five visits are mornings; the three night visits carry no label.
    expect([night.pattern, night.patternShare, night.gapCount, night.gapMedianDays]).toEqual(["mixed", 0.4, 4, 1]);
  });

  it("changes nothing on a rerun", async () => {
    const before = await snapshot(db, SHOP);
    const again = await rebuild(db, SHOP);
    expect(again.visits).toEqual({ visits: 14, written: 0, removed: 0 });
    expect(again.features).toEqual({ members: 4, written: 0, removed: 0 });
    expect(await snapshot(db, SHOP)).toEqual(before);
  });

  it("keeps each shop's rows to itself", async () => {
    await rebuild(db, OTHER);
    const other = await snapshot(db, OTHER);
    expect(await visitsOf(db, OTHER, "601")).toEqual([
      { date: "2026-03-06", location: "71", orders: 1, spend: "4.00", weekday: 5, minute: 510, label: "weekday-morning", channels: "pos" },
      { date: "2026-03-09", location: "71", orders: 1, spend: "4.00", weekday: 1, minute: 510, label: "weekday-morning", channels: "pos" },
    ]);
    expect(await visitsOf(db, OTHER, "604")).toEqual([
      { date: "2026-03-09", location: "71", orders: 1, spend: "4.00", weekday: 1, minute: 1350, label: null, channels: "pos" },
    ]);
    // A change in one shop, full and incremental rebuilds there: the other shop's rows stay as they were.
    await sell(db, SHOP, { id: "19", customerId: "601", at: "2026-03-20T09:00:00Z" });
    await rebuild(db, SHOP, ["601"]);
    await rebuild(db, SHOP);
    expect(await snapshot(db, OTHER)).toEqual(other);
    expect(await db.visit.count({ where: { shop: SHOP, customerId: "601" } })).toBe(3);
  });

  it("an incremental update of a member gives what a full rebuild gives", async () => {
    // A new visit, an order cancelled, a refund: the member's visits and features change.
    await sell(db, SHOP, { id: "20", customerId: "604", at: "2026-03-25T08:05:00Z", total: "3.00" });
    await sell(db, SHOP, { id: "17", customerId: "604", at: "2026-03-09T12:00:00Z", location: null, channel: "web", pickup: true, total: "10.00", cancelled: true });
    await sell(db, SHOP, { id: "18", customerId: "604", at: "2026-03-18T08:35:00Z", total: "3.50", refund: "1.00" });
    const incremental = await rebuild(db, SHOP, ["604"]);
    expect(incremental.visits).toEqual({ visits: 5, written: 2, removed: 1 });
    expect(incremental.features).toEqual({ members: 1, written: 1, removed: 0 });
    const afterIncremental = await snapshot(db, SHOP);
    const full = await rebuild(db, SHOP);
    expect(full.visits.written + full.visits.removed + full.features.written + full.features.removed).toBe(0);
    expect(await snapshot(db, SHOP)).toEqual(afterIncremental);
    const f = await db.memberFeature.findUniqueOrThrow({ where: { shop_customerId: { shop: SHOP, customerId: "604" } } });
    // Visit days 4, 6, 18, 25 March: gaps 2, 12, 7.
    expect([f.visitCount, f.totalSpend.toFixed(2), f.gapCount, f.gapMedianDays, f.webVisits, f.pickupVisits]).toEqual([5, "14.50", 3, 7, 0, 0]);
  });

  it("keeps predictions when features change, and drops a member whose visits all go", async () => {
    await db.memberFeature.update({
      where: { shop_customerId: { shop: SHOP, customerId: "604" } },
      data: { pAlive: 0.9, expectedVisits30: 4.2, usualGapDays: 6, dueFrom: new Date("2026-03-30T00:00:00Z"), dueUntil: new Date("2026-04-02T00:00:00Z") },
    });
    await sell(db, SHOP, { id: "21", customerId: "604", at: "2026-03-26T08:05:00Z" });
    await rebuild(db, SHOP, ["604"]);
    const kept = await db.memberFeature.findUniqueOrThrow({ where: { shop_customerId: { shop: SHOP, customerId: "604" } } });
    expect([kept.visitCount, kept.pAlive, kept.expectedVisits30, kept.usualGapDays, kept.dueFrom?.toISOString().slice(0, 10)]).toEqual([
      6, 0.9, 4.2, 6, "2026-03-30",
    ]);

    for (const id of ["5", "7"]) {
      const at = id === "5" ? "2026-03-04T09:00:00Z" : "2026-03-05T09:00:00Z";
      await sell(db, SHOP, { id, customerId: "602", at, cancelled: true });
    }
    const gone = await rebuild(db, SHOP, ["602"]);
    expect(gone.visits).toEqual({ visits: 0, written: 0, removed: 2 });
    expect(gone.features).toEqual({ members: 0, written: 0, removed: 1 });
    expect(await db.memberFeature.count({ where: { shop: SHOP, customerId: "602" } })).toBe(0);
    // The full path agrees.
    const full = await rebuild(db, SHOP);
    expect([full.visits.written, full.visits.removed, full.features.written, full.features.removed]).toEqual([0, 0, 0, 0]);
    expect(full.features.members).toBe(3);
  });

  it("follows the shop's own zone and dayparts from its settings", async () => {
    expect(await shopAnalyticsSettings(db, EAST)).toEqual({
      timezone: "Asia/Tokyo",
      dayparts: [{ name: "breakfast", from: 5.5, to: 10.5 }, { name: "lunch", from: 11, to: 14 }],
    });
    await rebuild(db, EAST);
    expect(await visitsOf(db, EAST, "701")).toEqual([
      { date: "2026-03-02", location: "71", orders: 2, spend: "8.00", weekday: 1, minute: 345, label: "weekday-breakfast", channels: "pos" },
    ]);
    // Dayparts change: the next rebuild relabels the visit.
    await db.shopSettings.update({ where: { shop: EAST }, data: { dayparts: [{ name: "dawn", from: 5, to: 6 }] } });
    const relabelled = await rebuild(db, EAST);
    expect(relabelled.visits.written).toBe(1);
    expect((await visitsOf(db, EAST, "701"))[0]?.label).toBe("weekday-dawn");
    expect((await db.memberFeature.findFirstOrThrow({ where: { shop: EAST } })).pattern).toBe("weekday-dawn");
  });

  it("refuses settings it cannot use, naming the field, and an unknown shop", async () => {
    await db.shopSettings.update({ where: { shop: EAST }, data: { dayparts: [{ name: "dawn", from: 5, to: 26 }] } });
    await expect(rebuildVisits(db, EAST)).rejects.toThrow(InvalidShopSettingsError);
    await expect(rebuildVisits(db, EAST)).rejects.toThrow(/east-cafe\.myshopify\.com: ShopSettings\.dayparts: \[0\]\.to: to must be between 0 and 24/);
    await db.shopSettings.update({ where: { shop: EAST }, data: { dayparts: [{ name: "dawn", from: 5, to: 6 }], timezoneOverride: "Mars/Olympus_Mons" } });
    await expect(shopAnalyticsSettings(db, EAST)).rejects.toThrow(/ShopSettings\.timezoneOverride: "Mars\/Olympus_Mons" is not an IANA time zone/);
    await expect(rebuildVisits(db, "west-cafe.myshopify.com")).rejects.toThrow(AnalyticsShopNotFoundError);
  });

  it("runs concurrent updates of overlapping members one after the other, ending where a full rebuild ends", async () => {
    await sell(db, SHOP, { id: "22", customerId: "601", at: "2026-03-27T10:00:00Z" });
    await sell(db, SHOP, { id: "23", customerId: "603", at: "2026-04-02T10:00:00Z" });
    const sets = [["601", "603"], ["603", "601"], ["601"], ["603", "604"], ["604", "601", "603"]];
    await Promise.all(sets.flatMap((ids) => [rebuild(db, SHOP, ids), rebuild(db, SHOP, [...ids].reverse())]));
    const full = await rebuild(db, SHOP);
    expect([full.visits.written, full.visits.removed, full.features.written, full.features.removed]).toEqual([0, 0, 0, 0]);
  });

  it("falls back to the merge when visits appear between the first-load check and its insert", async () => {
    const settings = await shopAnalyticsSettings(db, SHOP);
    const before = await snapshot(db, SHOP);
    let checks = 0;
    // The first check says "no visits yet" although there are: the plain insert hits their keys.
    const holdsRows = async () => checks++ > 0;
    const [counts] = await insertOrMerge<MergeCounts>(db, holdsRows, { insert: visitInsertSql(SHOP, settings), merge: visitMergeSql(SHOP, settings, null) });
    expect(checks).toBe(2);
    expect(counts).toMatchObject({ written: 0, removed: 0 });
    expect(await snapshot(db, SHOP)).toEqual(before);
  });

  it("counts an order-ahead order (one carrying its pickup hold) as a pickup visit", async () => {
    const shop = "pickup-cafe.myshopify.com";
    await registerInstall(db, { domain: shop, name: "Pickup Cafe", timezone: "Europe/London" });
    await sell(db, shop, { id: "1", customerId: "801", at: "2026-03-04T08:00:00Z", channel: "web", location: null, pickupHold: true });
    await sell(db, shop, { id: "2", customerId: "801", at: "2026-03-05T08:00:00Z" });
    await rebuildVisits(db, shop);
    const visits = await db.visit.findMany({ where: { shop, customerId: "801" }, orderBy: { localDate: "asc" }, select: { pickup: true, web: true, pos: true } });
    expect(visits).toEqual([
      { pickup: true, web: true, pos: false },
      { pickup: false, web: false, pos: true },
    ]);
  });

  it("rejects a malformed customer list and does nothing for an empty one", async () => {
    await expect(rebuildVisits(db, SHOP, { customerIds: [""] })).rejects.toThrow(/customerIds\[0\]: customer id must not be empty/);
    expect(await rebuildVisits(db, SHOP, { customerIds: [] })).toEqual({ visits: 0, written: 0, removed: 0 });
    expect(await recomputeFeatures(db, SHOP, { customerIds: [] })).toEqual({ members: 0, written: 0, removed: 0 });
  });
});
