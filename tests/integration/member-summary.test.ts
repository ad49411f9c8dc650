import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../app/db/prisma.server";
import { memberSummary } from "../../app/members/summary.server";
import { savePerkProgram } from "../../app/perks/programs.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The barista's view of a member: everything the summary shows comes from
 * the stored rows (customer, member, features, recommendations, perks,
 * today's pickup order, push), a merged id shows its survivor, and another
 * shop's customer is unknown.
 */

const SHOP = "summary-cafe.myshopify.com";
const OTHER = "summary-rival.myshopify.com";
const NOW = new Date("2026-03-04T10:00:00Z");
const day = (text: string) => new Date(`${text}T00:00:00Z`);

async function seed(db: Database): Promise<void> {
  for (const shop of [SHOP, OTHER]) await db.shop.create({ data: { domain: shop, timezone: "Europe/London", currency: "GBP" } });
  await db.customer.createMany({
    data: [
      { shop: SHOP, id: "201", firstName: "Ada", lastName: "Lovelace", source: "webhook" },
      { shop: SHOP, id: "202", firstName: "Ada", source: "backfill" },
      { shop: SHOP, id: "203", source: "webhook" },
      { shop: OTHER, id: "299", firstName: "Rival", source: "webhook" },
    ],
  });
  await db.member.create({ data: { shop: SHOP, customerId: "201", status: "active", joinedVia: "pos", joinedAt: day("2026-01-05") } });
  await db.customerAlias.create({ data: { shop: SHOP, customerId: "202", survivorId: "201", mergeId: "m-1" } });
  await db.memberFeature.create({
    data: {
      shop: SHOP,
      customerId: "201",
      firstVisitOn: day("2026-01-05"),
      lastVisitOn: day("2026-03-02"),
      visitCount: 9,
      totalSpend: "32.40",
      avgSpend: "3.60",
      gapCount: 8,
      gapMedianDays: 7,
      pattern: "weekday-morning",
      patternShare: 0.9,
      usualGapDays: 8.6,
      acquisitionWeek: day("2026-01-05"),
      acquisitionMonth: day("2026-01-01"),
    },
  });
  await db.visit.createMany({
    data: Array.from({ length: 9 }, (_, i) => {
      const date = new Date(day("2026-01-05").getTime() + i * 7 * 86_400_000);
      return { shop: SHOP, customerId: "201", localDate: date, locationKey: "1001", firstOrderAt: date, lastOrderAt: date, orders: 1, spend: "3.60", weekday: 1, localMinute: 480, label: "weekday-morning" };
    }),
  });
  await db.recommendItem.createMany({
    data: [
      { shop: SHOP, key: "LATTE-OAT", title: "Oat latte", variantId: "40001", visits: 40 },
      { shop: SHOP, key: "CROISSANT", title: "Croissant", variantId: "40003", visits: 30 },
    ],
  });
  await db.memberRecommendation.createMany({
    data: [
      { shop: SHOP, customerId: "201", kind: "usual", rank: 1, item: "LATTE-OAT", score: 0.8 },
      { shop: SHOP, customerId: "201", kind: "suggestion", rank: 1, item: "CROISSANT", score: 0.4, becauseOf: "LATTE-OAT" },
    ],
  });
  const saved = await savePerkProgram(db, SHOP, "owner", null, { kind: "every_nth_visit", name: "Eighth visit", reward: "a drink on us", everyVisits: "8", startsOn: "2026-01-01" });
  if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
  // Today's order (11:30 London) and yesterday's, which no longer counts; a collected one today does not either.
  await db.order.create({ data: { shop: SHOP, id: "9001", name: "#1042", customerId: "201", channel: "web", currency: "GBP", totalPrice: "3.60", processedAt: day("2026-03-04"), shopifyUpdatedAt: day("2026-03-04"), source: "webhook" } });
  await db.pickupOrder.createMany({
    data: [
      { shop: SHOP, orderId: "9000", locationId: "1001", slotStart: new Date("2026-03-03T11:30:00Z"), customerId: "201", items: [], state: "ready" },
      { shop: SHOP, orderId: "9002", locationId: "1001", slotStart: new Date("2026-03-04T08:00:00Z"), customerId: "201", items: [], state: "picked-up" },
      { shop: SHOP, orderId: "9001", locationId: "1001", slotStart: new Date("2026-03-04T11:30:00Z"), customerId: "202", items: [], state: "preparing" },
    ],
  });
  await db.consentEvent.create({ data: { shop: SHOP, id: "push-201", customerId: "201", kind: "push", action: "granted", via: "storefront", text: "Send me invitations.", at: day("2026-02-01") } });
  await db.pushSubscription.create({
    data: { shop: SHOP, id: "sub-201", endpoint: "https://push.example.net/201", p256dh: "key", auth: "auth", customerId: "202", browserId: "browser-201-0000000000", keyId: "key-1", status: "active" },
  });
}

describe.each(stackKinds())("member summary on $name", (kind) => {
  let stack: TestStack;
  const db = () => stack.runtime.db;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    await seed(db());
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("shows a member in cafe terms, the same through a merged-away id", async () => {
    const summary = await memberSummary(db(), SHOP, "201", NOW);
    expect(summary).toEqual({
      customerId: "201",
      name: "Ada Lovelace",
      memberStatus: "active",
      visits: 9,
      firstVisitOn: "2026-01-05",
      lastVisitOn: "2026-03-02",
      pattern: "weekday-morning",
      rhythm: "weekday mornings, every 9 days",
      usualOrder: [{ item: "LATTE-OAT", title: "Oat latte", score: 0.8, becauseOf: null, becauseOfTitle: null }],
      suggestions: [{ item: "CROISSANT", title: "Croissant", score: 0.4, becauseOf: "LATTE-OAT", becauseOfTitle: "Oat latte" }],
      perks: [{ programId: expect.any(String), kind: "every_nth_visit", name: "Eighth visit", reward: "a drink on us", ready: 1, variantIds: [], progress: { visitsCounted: 9, everyVisits: 8, visitsToNext: 7 } }],
      openPickup: { orderId: "9001", name: "#1042", slotStart: "2026-03-04T11:30:00.000Z", status: "preparing" },
      pushEnabled: true,
    });
    expect(await memberSummary(db(), SHOP, "202", NOW)).toEqual(summary);
  });

  it("turns push off once consent is withdrawn, and knows a customer who is not a member", async () => {
    await db().consentEvent.create({ data: { shop: SHOP, id: "push-201-off", customerId: "201", kind: "push", action: "withdrawn", via: "storefront", text: "Stop.", at: day("2026-03-01") } });
    expect((await memberSummary(db(), SHOP, "201", NOW))?.pushEnabled).toBe(false);
    expect(await memberSummary(db(), SHOP, "203", NOW)).toMatchObject({ name: null, memberStatus: "not_member", visits: 0, rhythm: "no clear rhythm yet", perks: [], usualOrder: [], openPickup: null, pushEnabled: false });
  });

  it("is null for a customer unknown in the shop, including another shop's", async () => {
    expect(await memberSummary(db(), SHOP, "299", NOW)).toBeNull();
    expect(await memberSummary(db(), OTHER, "201", NOW)).toBeNull();
  });
});
