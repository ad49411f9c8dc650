import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recomputeShop } from "../../app/analytics/recompute.server";
import { rebuildVisits } from "../../app/analytics/visits.server";
import type { Database } from "../../app/db/prisma.server";
import { survivorOf } from "../../app/merges/aliases.server";
import { decideMerge } from "../../app/merges/decide.server";
import { listMerges } from "../../app/merges/list.server";
import { proposeMerges } from "../../app/merges/propose.server";
import { registerInstall } from "../../app/shops/shops.server";
import { simulateCafe, type Simulation } from "../../app/simulate/simulate";
import { toSyncedCustomer } from "../../app/simulate/synced";
import { upsertCustomer } from "../../app/sync/customers.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Acceptance (issue 9): on a simulated cafe whose generator planted duplicate
 * customer records (and look-alikes that are different people), the proposed
 * merges are exactly the planted pairs; confirming one moves the merged
 * record's visits to the survivor and undoing it puts everything back; a
 * merge of one shop never touches another.
 */

const SHOP = "merge-cafe.myshopify.com";
const OTHER = "other-merge-cafe.myshopify.com";
const UNTIL = new Date("2025-10-01T00:00:00+01:00");
/** Decisions are taken on the history's last local day, the day the recompute's predictions are as of. */
const DECIDED = new Date(UNTIL.getTime() - 3_600_000);

async function load(db: Database, sim: Simulation): Promise<void> {
  const shop = sim.settings.shop;
  await registerInstall(db, { domain: shop, timezone: sim.settings.timezone, currency: "GBP" });
  for (const customer of sim.customers) await upsertCustomer(db, shop, toSyncedCustomer(customer, UNTIL.getTime()), "backfill");
  const rows = sim.orders.map((order) => {
    const customer = order.customerIndex === null ? undefined : sim.customers[order.customerIndex];
    const location = order.locationIndex === null ? undefined : sim.locations[order.locationIndex];
    return {
      shop,
      id: order.id,
      name: `#${order.number}`,
      customerId: customer?.id ?? null,
      locationId: location?.id ?? null,
      channel: order.channel,
      currency: "GBP",
      totalPrice: order.totalCents / 100,
      refundedAmount: ((order.refund?.amountCents ?? 0) + (order.cancellation?.refund.amountCents ?? 0)) / 100,
      processedAt: new Date(order.at),
      cancelledAt: order.cancellation ? new Date(order.cancellation.at) : null,
      noteAttributes: order.pickupAt ? [{ name: "pickup_at", value: order.pickupAt }] : [],
      shopifyUpdatedAt: new Date(order.at),
      source: "backfill",
    };
  });
  for (let i = 0; i < rows.length; i += 1_000) await db.order.createMany({ data: rows.slice(i, i + 1_000) });
  // The POS records a card scan on a sale that already carried a customer (the cards helper's endpoint writes these rows).
  await db.cardScan.createMany({
    data: sim.groundTruth.duplicates.cardScans.map((scan) => ({
      shop,
      id: randomUUID(),
      cardRef: `REF${scan.cardCustomerId.slice(-6)}`,
      customerId: scan.cardCustomerId,
      saleCustomerId: scan.saleCustomerId,
      locationId: scan.locationId,
      scannedAt: new Date(scan.at),
    })),
  });
  await recomputeShop(db, shop, { now: UNTIL });
}

const pairKey = (a: string, b: string) => [a, b].sort().join("|");

async function visitRows(db: Database, shop: string, ids: string[]) {
  return db.visit.findMany({ where: { shop, customerId: { in: ids } }, orderBy: [{ customerId: "asc" }, { localDate: "asc" }, { locationKey: "asc" }] });
}

async function featureRows(db: Database, shop: string, ids: string[]) {
  const rows = await db.memberFeature.findMany({ where: { shop, customerId: { in: ids } }, orderBy: { customerId: "asc" } });
  // computedAt is when the row was last written; everything else must come back as it was.
  return rows.map(({ computedAt: _computedAt, ...row }) => row);
}

describe.each(stackKinds())("member merges on $name", (kind) => {
  let stack: TestStack;
  let db: Database;
  const sim = simulateCafe({ seed: "merges", shop: SHOP, days: 120, until: UNTIL, members: 600 });
  // The other cafe's customers get the same ids as this one's (same generator, fresh id counters).
  const other = simulateCafe({ seed: "merges-elsewhere", shop: OTHER, days: 60, until: UNTIL, members: 300 });
  const planted = sim.groundTruth.duplicates;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    db = stack.runtime.db;
    await load(db, sim);
    await load(db, other);
  }, 600_000);
  afterAll(async () => stack?.stop());

  it("plants every kind of duplicate and look-alike", () => {
    expect(new Set(planted.pairs.map((pair) => pair.kind))).toEqual(new Set(["email-tag", "gmail-dots", "phone-format", "card"]));
    expect(planted.hardNegatives.length).toBeGreaterThan(4);
    expect(planted.cardScans.length).toBe(planted.pairs.filter((pair) => pair.kind === "card").length);
  });

  it("proposes exactly the planted pairs (precision 1, recall 1), the survivor being the record with more visits", async () => {
    // The recompute that built the analytics already looked for duplicates (the nightly step).
    expect(await db.memberMerge.count({ where: { shop: SHOP, status: "proposed" } })).toBe(planted.pairs.length);
    const result = await proposeMerges(db, SHOP);
    expect(result).toMatchObject({ proposed: 0, phoneCountry: "GB" });
    const merges = await db.memberMerge.findMany({ where: { shop: SHOP } });
    expect(merges.every((merge) => merge.status === "proposed")).toBe(true);
    expect(new Set(merges.map((merge) => pairKey(merge.survivorId, merge.mergedId)))).toEqual(new Set(planted.pairs.map((pair) => pairKey(pair.firstId, pair.secondId))));
    expect(merges).toHaveLength(planted.pairs.length);
    const negatives = new Set(planted.hardNegatives.map((negative) => pairKey(...negative.ids)));
    expect(merges.filter((merge) => negatives.has(pairKey(merge.survivorId, merge.mergedId)))).toEqual([]);
    // Each proposal says why, by the planted kind.
    const kindOf = new Map(planted.pairs.map((pair) => [pairKey(pair.firstId, pair.secondId), pair.kind]));
    for (const merge of merges) {
      const evidence = merge.evidence as { kind: string; detail: string }[];
      const expected = { "email-tag": "email", "gmail-dots": "email", "phone-format": "phone", card: "card" }[kindOf.get(pairKey(merge.survivorId, merge.mergedId)) ?? "email-tag"];
      expect(evidence.map((item) => item.kind)).toContain(expected);
      for (const item of evidence) expect(item.detail).not.toMatch(/\d{6}|^[a-z]{3,}[.a-z]*\d*@/);
    }
    const counts = new Map((await db.visit.groupBy({ by: ["customerId"], where: { shop: SHOP }, _count: true })).map((row) => [row.customerId, row._count]));
    for (const merge of merges) expect(counts.get(merge.survivorId) ?? 0).toBeGreaterThanOrEqual(counts.get(merge.mergedId) ?? 0);
    // The other cafe (same customer ids, its own planted pairs) has exactly its own proposals.
    const others = await db.memberMerge.findMany({ where: { shop: OTHER } });
    expect(new Set(others.map((merge) => pairKey(merge.survivorId, merge.mergedId)))).toEqual(
      new Set(other.groundTruth.duplicates.pairs.map((pair) => pairKey(pair.firstId, pair.secondId))),
    );
  });

  it("is idempotent: a second run proposes nothing new", async () => {
    const again = await proposeMerges(db, SHOP);
    expect(again.proposed).toBe(0);
    expect(again.known).toBe(planted.pairs.length);
    expect(await db.memberMerge.count({ where: { shop: SHOP } })).toBe(planted.pairs.length);
  });

  it("confirm moves the merged record's visits to the survivor; undo restores both exactly; the other cafe is untouched", async () => {
    const merges = await db.memberMerge.findMany({ where: { shop: SHOP, status: "proposed" }, orderBy: { id: "asc" } });
    const visits = new Map((await db.visit.groupBy({ by: ["customerId"], where: { shop: SHOP }, _count: true })).map((row) => [row.customerId, row._count]));
    const merge = merges.find((m) => (visits.get(m.mergedId) ?? 0) > 0 && (visits.get(m.survivorId) ?? 0) > 0);
    if (!merge) throw new Error("no planted pair with visits on both records");
    const ids = [merge.survivorId, merge.mergedId];
    const visitsBefore = await visitRows(db, SHOP, ids);
    const featuresBefore = await featureRows(db, SHOP, ids);
    const otherBefore = { visits: await visitRows(db, OTHER, ids), features: await featureRows(db, OTHER, ids), total: await db.visit.count({ where: { shop: OTHER } }) };
    const survivorVisits = visits.get(merge.survivorId) ?? 0;
    const mergedVisits = visits.get(merge.mergedId) ?? 0;

    // Another shop's merge id is unknown here, whatever the ids inside it.
    const refused = await decideMerge(db, OTHER, { mergeId: merge.id, decision: "confirm", actor: "owner@other" }, DECIDED);
    expect(refused).toMatchObject({ ok: false, status: 404 });

    const confirmed = await decideMerge(db, SHOP, { mergeId: merge.id, decision: "confirm", actor: "owner@cafe" }, DECIDED);
    expect(confirmed).toMatchObject({ ok: true, status: "confirmed" });
    expect(await survivorOf(db, SHOP, merge.mergedId)).toBe(merge.survivorId);
    expect(await survivorOf(db, OTHER, merge.mergedId)).toBe(merge.mergedId);
    expect(await db.visit.count({ where: { shop: SHOP, customerId: merge.mergedId } })).toBe(0);
    expect(await db.memberFeature.count({ where: { shop: SHOP, customerId: merge.mergedId } })).toBe(0);
    // One person visits once a day: the two records' visits never fall on the same day and place, so they add up.
    expect(await db.visit.count({ where: { shop: SHOP, customerId: merge.survivorId } })).toBe(survivorVisits + mergedVisits);
    const feature = await db.memberFeature.findUnique({ where: { shop_customerId: { shop: SHOP, customerId: merge.survivorId } } });
    expect(feature?.visitCount).toBe(survivorVisits + mergedVisits);
    // The whole-shop rebuild (the nightly path, reading aliases) agrees with the member update: nothing left to change.
    expect(await rebuildVisits(db, SHOP)).toMatchObject({ written: 0, removed: 0 });
    // A second confirm is refused; the other cafe's same-numbered customers kept their own visits.
    expect(await decideMerge(db, SHOP, { mergeId: merge.id, decision: "confirm", actor: "owner@cafe" }, DECIDED)).toMatchObject({ ok: false, status: 409 });
    expect({ visits: await visitRows(db, OTHER, ids), features: await featureRows(db, OTHER, ids), total: await db.visit.count({ where: { shop: OTHER } }) }).toEqual(otherBefore);
    // The merged record's new orders count for the survivor too (the incremental path after an order).
    expect(await rebuildVisits(db, SHOP, { customerIds: [merge.mergedId] })).toMatchObject({ written: 0, removed: 0 });

    const undone = await decideMerge(db, SHOP, { mergeId: merge.id, decision: "undo", actor: "owner@cafe" }, DECIDED);
    expect(undone).toMatchObject({ ok: true, status: "undone" });
    expect(await survivorOf(db, SHOP, merge.mergedId)).toBe(merge.mergedId);
    expect(await visitRows(db, SHOP, ids)).toEqual(visitsBefore);
    expect(await featureRows(db, SHOP, ids)).toEqual(featuresBefore);
    expect(await rebuildVisits(db, SHOP)).toMatchObject({ written: 0, removed: 0 });

    const row = await db.memberMerge.findUnique({ where: { shop_id: { shop: SHOP, id: merge.id } } });
    expect(row?.status).toBe("undone");
    expect(row?.decidedAt).not.toBeNull();
    expect(row?.undoneAt).not.toBeNull();
    const audit = await db.auditEvent.findMany({ where: { shop: SHOP, target: `merge:${merge.id}` }, orderBy: { at: "asc" } });
    expect(audit.map((event) => event.action)).toEqual(["merge.confirm", "merge.undo"]);
    expect(await db.auditEvent.count({ where: { shop: OTHER } })).toBe(0);
    // An undone pair is not proposed again.
    expect((await proposeMerges(db, SHOP)).proposed).toBe(0);
  });

  it("a rejected pair stays rejected, and is not proposed again", async () => {
    const [merge] = await db.memberMerge.findMany({ where: { shop: SHOP, status: "proposed" }, orderBy: { id: "asc" } });
    if (!merge) throw new Error("no proposal left");
    expect(await decideMerge(db, SHOP, { mergeId: merge.id, decision: "reject", actor: "owner@cafe" }, DECIDED)).toMatchObject({ ok: true, status: "rejected" });
    expect(await decideMerge(db, SHOP, { mergeId: merge.id, decision: "undo", actor: "owner@cafe" }, DECIDED)).toMatchObject({ ok: false, status: 409 });
    expect((await proposeMerges(db, SHOP)).proposed).toBe(0);
    expect((await db.memberMerge.findUnique({ where: { shop_id: { shop: SHOP, id: merge.id } } }))?.status).toBe("rejected");
    expect(await decideMerge(db, SHOP, { mergeId: "not-a-uuid", decision: "confirm", actor: "owner@cafe" }, DECIDED)).toMatchObject({ ok: false, status: 422 });
  });

  it("resolves chains: a customer merged into one that is then merged on points at the last survivor", async () => {
    // Three records of one made-up person in this shop: C → B, then B → A.
    const [a, b, c] = ["9100000000001", "9100000000002", "9100000000003"];
    const ids = [a, b, c];
    const day = (n: number) => new Date(Date.UTC(2025, 8, n, 8, 30));
    for (const [i, id] of ids.entries()) {
      await db.customer.create({ data: { shop: SHOP, id, email: `chain.${i}@example.com`, source: "backfill" } });
      await db.order.createMany({
        data: [1, 2].map((n) => ({ shop: SHOP, id: `chain-${id}-${n}`, customerId: id, channel: "pos", currency: "GBP", totalPrice: 3, processedAt: day(i * 3 + n), shopifyUpdatedAt: day(i * 3 + n), source: "backfill" })),
      });
    }
    await rebuildVisits(db, SHOP, { customerIds: ids });
    const proposedAt = new Date();
    const cb = { shop: SHOP, id: randomUUID(), survivorId: b, mergedId: c, status: "proposed", evidence: [], proposedAt };
    const ba = { shop: SHOP, id: randomUUID(), survivorId: a, mergedId: b, status: "proposed", evidence: [], proposedAt };
    await db.memberMerge.createMany({ data: [cb, ba] });
    expect(await decideMerge(db, SHOP, { mergeId: cb.id, decision: "confirm", actor: "owner@cafe" }, DECIDED)).toMatchObject({ ok: true });
    expect(await decideMerge(db, SHOP, { mergeId: ba.id, decision: "confirm", actor: "owner@cafe" }, DECIDED)).toMatchObject({ ok: true });
    expect(await survivorOf(db, SHOP, c)).toBe(a);
    expect(await survivorOf(db, SHOP, b)).toBe(a);
    expect(await db.visit.count({ where: { shop: SHOP, customerId: { in: ids } } })).toBe(6);
    expect(await db.visit.count({ where: { shop: SHOP, customerId: a } })).toBe(6);
    // Undoing B → A gives B back its own visits and C's (C is still merged into B).
    expect(await decideMerge(db, SHOP, { mergeId: ba.id, decision: "undo", actor: "owner@cafe" }, DECIDED)).toMatchObject({ ok: true });
    expect(await survivorOf(db, SHOP, c)).toBe(b);
    expect(await db.visit.count({ where: { shop: SHOP, customerId: a } })).toBe(2);
    expect(await db.visit.count({ where: { shop: SHOP, customerId: b } })).toBe(4);
    expect(await rebuildVisits(db, SHOP)).toMatchObject({ written: 0, removed: 0 });
    const page = await listMerges(db, SHOP);
    expect(page.history.map((row) => row.status)).toEqual(expect.arrayContaining(["confirmed", "undone", "rejected"]));
  });
});
