import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrismaClient, type Database } from "../../app/db/prisma.server";
import { computeRecommendations } from "../../app/recommend/compute.server";
import { menuSuggestions } from "../../app/recommend/order-ahead.server";
import { itemRecommendations, memberRecommendations } from "../../app/recommend/recommend.server";
import { tastingAudience } from "../../app/recommend/tasting.server";
import { freshDatabase } from "../support/stacks";

/**
 * The recommendation scoring on a hand-built shop whose every figure is
 * worked out below, plus two shops whose rows must never cross.
 *
 * Shop: m1..m5 make 5 visits each with A and B (4 of them with D, a line with
 * only a variant id "900") and one with Soup (a line with only a title);
 * m6 makes 5 visits with A (one of them two orders the same day) and a
 * cancelled order with A and B; m8, merged into m6, makes 2 visits with Soup;
 * m7 makes 2 visits with D and 1 with A, and one with B after `until`
 * (which the tasting audience, reading every visit, counts).
 * Visits 40; A in 31, B 25, 900 22, Soup 7. Pairs: A&B 25 (5 members),
 * A&900 20, B&900 20; nothing else reaches 20 visits.
 */

const SHOP = "scoring-cafe.myshopify.com";
const OTHER = "scoring-other.myshopify.com";
const UNTIL = new Date("2026-03-31T00:00:00Z");

type Line = { sku?: string; variantId?: string; title: string };
const A: Line = { sku: "A", title: "Flat White" };
const B: Line = { sku: "B", title: "Croissant" };
const D: Line = { variantId: "900", title: "Almond Croissant" };
const SOUP: Line = { title: "Soup" };

let db: Database;
let drop: () => Promise<void>;
let orderNo = 0;

async function order(shop: string, customerId: string, day: string, lines: Line[], opts: { cancelled?: boolean; hour?: number } = {}): Promise<void> {
  const id = String(++orderNo);
  const at = new Date(`${day}T${String(opts.hour ?? 8).padStart(2, "0")}:00:00Z`);
  await db.order.create({
    data: { shop, id, customerId, locationId: "1", channel: "pos", currency: "GBP", totalPrice: "3.00", processedAt: at, cancelledAt: opts.cancelled ? at : null, shopifyUpdatedAt: at, source: "import" },
  });
  await db.lineItem.createMany({
    data: lines.map((line, i) => ({ shop, orderId: id, id: `${id}-${i}`, sku: line.sku ?? null, variantId: line.variantId ?? null, productId: null, title: line.title, quantity: 1, price: "3.00" })),
  });
}

const day = (n: number) => `2026-03-${String(n).padStart(2, "0")}`;

beforeAll(async () => {
  const database = await freshDatabase(process.env.DATABASE_URL ? "server" : "embedded");
  drop = database.drop;
  db = createPrismaClient(database.url);
  for (const shop of [SHOP, OTHER]) await db.shop.create({ data: { domain: shop, timezone: "Europe/London", currency: "GBP", source: "standalone" } });
  for (let m = 1; m <= 5; m++) {
    for (let v = 1; v <= 5; v++) await order(SHOP, `m${m}`, day(v), v <= 4 ? [A, B, D] : [A, B]);
    await order(SHOP, `m${m}`, day(6), [SOUP]);
  }
  for (let v = 1; v <= 5; v++) await order(SHOP, "m6", day(v), [A]);
  await order(SHOP, "m6", day(5), [A], { hour: 10 });
  await order(SHOP, "m6", day(7), [A, B], { cancelled: true });
  await order(SHOP, "m8", day(8), [SOUP]);
  await order(SHOP, "m8", day(9), [SOUP]);
  await db.customerAlias.create({ data: { shop: SHOP, customerId: "m8", survivorId: "m6", mergeId: "merge-1" } });
  await order(SHOP, "m7", day(1), [D]);
  await order(SHOP, "m7", day(2), [D]);
  await order(SHOP, "m7", day(3), [A]);
  await order(SHOP, "m7", "2026-04-02", [B]);
  // The other shop: the same customer ids, other habits.
  for (let m = 1; m <= 6; m++) for (let v = 1; v <= 5; v++) await order(OTHER, `m${m}`, day(v), [SOUP, B]);
  for (const shop of [SHOP, OTHER]) await computeRecommendations(db, shop, { until: UNTIL });
}, 300_000);

afterAll(async () => {
  await db?.$disconnect();
  await drop?.();
});

describe("recommendation scoring", () => {
  it("counts items per visit (SKU, else variant id, else title), without cancelled orders or visits after until", async () => {
    const items = await db.recommendItem.findMany({ where: { shop: SHOP }, orderBy: { key: "asc" } });
    expect(items.map((item) => [item.key, item.title, item.visits])).toEqual([
      ["900", "Almond Croissant", 22],
      ["A", "Flat White", 31],
      ["B", "Croissant", 25],
      ["Soup", "Soup", 7],
    ]);
  });

  it("keeps pairs with enough support, with confidence, lift and ranks per item", async () => {
    const a = await itemRecommendations(db, SHOP, "A");
    expect(a?.partners.map((p) => [p.item, p.rank, p.together, p.members])).toEqual([["B", 1, 25, 5], ["900", 2, 20, 5]]);
    expect(a?.partners[0]?.confidence).toBeCloseTo(25 / 31, 10);
    expect(a?.partners[0]?.lift).toBeCloseTo(25 / 31 / (25 / 40), 10);
    expect(a?.partners[1]?.lift).toBeCloseTo(20 / 31 / (22 / 40), 10);
    const byVariant = await itemRecommendations(db, SHOP, "900");
    expect(byVariant?.partners.map((p) => [p.item, p.confidence])).toEqual([["B", 20 / 22], ["A", 20 / 22]]); // a tie on confidence goes to the higher lift
    expect(await db.itemAffinity.count({ where: { shop: SHOP, OR: [{ item: "Soup" }, { partner: "Soup" }] } })).toBe(0);
  });

  it("scores suggestions as Σ share × confidence outside the usual order, becauseOf the largest part", async () => {
    const m7 = await memberRecommendations(db, SHOP, "m7");
    expect(m7.usual.map((r) => [r.item, r.score])).toEqual([["900", 2 / 3]]);
    expect(m7.suggestions.map((r) => [r.item, r.becauseOf, r.becauseOfTitle])).toEqual([["B", "900", "Almond Croissant"], ["A", "900", "Almond Croissant"]]);
    expect(m7.suggestions[0]?.score).toBeCloseTo((2 / 3) * (20 / 22) + (1 / 3) * (25 / 31), 10);
    expect(m7.suggestions[1]?.score).toBeCloseTo((2 / 3) * (20 / 22), 10);
    const m1 = await memberRecommendations(db, SHOP, "m1");
    expect(m1.usual.map((r) => r.item)).toEqual(["A", "B", "900"]);
    expect(m1.suggestions).toEqual([]);
  });

  it("suggests on the order-ahead page only what is on its menu", async () => {
    const menu = [{ variantId: "B", title: "Butter croissant" }, { variantId: "77", title: "Flat white" }];
    expect(await menuSuggestions(db, SHOP, "m7", menu)).toEqual([{ variantId: "B", title: "Butter croissant", becauseOfTitle: "Almond Croissant" }]);
    expect(await menuSuggestions(db, SHOP, "m1", menu)).toEqual([]);
    expect(await menuSuggestions(db, OTHER, "m7", menu)).toEqual([]);
  });

  it("counts a merged customer's visits as their survivor's", async () => {
    const m6 = await memberRecommendations(db, SHOP, "m6");
    expect(m6.usual.map((r) => [r.item, r.score])).toEqual([["A", 5 / 7]]);
    expect(m6.suggestions.map((r) => r.item)).toEqual(["B", "900"]);
    expect(m6.suggestions[0]?.score).toBeCloseTo((5 / 7) * (25 / 31), 10);
    expect(await memberRecommendations(db, SHOP, "m8")).toEqual(m6);
    expect(await db.memberRecommendation.count({ where: { shop: SHOP, customerId: "m8" } })).toBe(0);
  });

  it("gives the same rows on a rerun", async () => {
    const before = await db.memberRecommendation.findMany({ where: { shop: SHOP }, orderBy: [{ customerId: "asc" }, { kind: "asc" }, { rank: "asc" }], omit: { computedAt: true } });
    await computeRecommendations(db, SHOP, { until: UNTIL });
    expect(await db.memberRecommendation.findMany({ where: { shop: SHOP }, orderBy: [{ customerId: "asc" }, { kind: "asc" }, { rank: "asc" }], omit: { computedAt: true } })).toEqual(before);
  });

  it("never lets one shop's orders into another's recommendations", async () => {
    const other = await memberRecommendations(db, OTHER, "m1");
    expect(other.usual.map((r) => r.item)).toEqual(["B", "Soup"]);
    expect((await memberRecommendations(db, SHOP, "m1")).usual.map((r) => r.item)).toEqual(["A", "B", "900"]);
    expect((await db.recommendItem.findMany({ where: { shop: OTHER } })).map((item) => item.key).sort()).toEqual(["B", "Soup"]);
    expect(await memberRecommendations(db, OTHER, "m7")).toEqual({ usual: [], suggestions: [] });
    const partners = await itemRecommendations(db, OTHER, "B");
    expect(partners?.partners.map((p) => [p.item, p.together, p.members])).toEqual([["Soup", 30, 6]]);
  });

  it("ranks a tasting audience by category share weighted by P(alive), leaving out who already had the item", async () => {
    for (const [key, category] of [["A", "drink"], ["B", "pastry"], ["900", "pastry"], ["Soup", "brunch"]] as const) {
      await db.recommendItem.update({ where: { shop_key: { shop: SHOP, key } }, data: { category } });
    }
    await db.member.createMany({ data: ["m1", "m2", "m3", "m4", "m5", "m6", "m7"].map((customerId) => ({ shop: SHOP, customerId, status: "active", joinedVia: "pos", joinedAt: new Date("2026-02-01T00:00:00Z") })) });
    const monday = new Date("2026-03-02T00:00:00Z");
    await db.memberFeature.create({
      data: { shop: SHOP, customerId: "m1", firstVisitOn: monday, lastVisitOn: monday, visitCount: 6, totalSpend: "18", avgSpend: "3", pattern: "weekday-morning", patternShare: 1, acquisitionWeek: monday, acquisitionMonth: new Date("2026-03-01T00:00:00Z"), pAlive: 0.5 },
    });
    const audience = await tastingAudience(db, SHOP, { item: "NEW-TART", category: "pastry", limit: 10 });
    expect(audience.ok && audience.members.map((m) => [m.customerId, Number(m.score.toFixed(4))])).toEqual([
      ["m2", 0.8333], ["m3", 0.8333], ["m4", 0.8333], ["m5", 0.8333], ["m7", 0.75], ["m1", 0.4167],
    ]);
    // Soup: m1..m5 had it, and m6 through their merged m8.
    const untasted = await tastingAudience(db, SHOP, { item: "Soup", category: "pastry", limit: 10 });
    expect(untasted.ok && untasted.members.map((m) => m.customerId)).toEqual(["m7"]);
    const similar = await tastingAudience(db, SHOP, { item: "NEW-TART", similarTo: ["900"], limit: 2 });
    expect(similar.ok && similar.members.map((m) => m.customerId)).toEqual(["m2", "m3"]);
    expect(await tastingAudience(db, SHOP, { item: "NEW-TART", limit: 5 })).toMatchObject({ ok: false });
  });
});
