import type { Database } from "../db/prisma.server";
import type { SyncedOrder } from "../sync/types";
import { carriesPickupHold, readPickupAttributes, type PickupAttributes } from "./attributes";
import { convertHold, drinkCountOf, takeOrderPlace, type PickupHold } from "./holds.server";
import type { PickupFlag } from "./queue";

/**
 * Order intake: a paid order that carries a pickup hold joins the barista's
 * queue only after it has been checked against that hold. An order is
 * trusted (flag null) when its hold exists in this shop, was still held at
 * the order's processed time, and names the same location, slot and items;
 * otherwise it still joins the queue — the customer has paid — but flagged
 * for staff with the first reason found:
 *
 *   unknown-hold       no such hold in this shop, or it belongs to another order
 *   expired-hold       the hold ran out (or was released) before the order
 *   location-mismatch  the order's location attribute is not the hold's
 *   slot-mismatch      the order's slot attribute is not the hold's
 *   items-mismatch     the order's variants and quantities are not the hold's
 *
 * A checked order is placed where its hold was (the place the app counted);
 * an order without a usable hold where its attributes say, else at its
 * processed time. Idempotent: the first delivery of an order (create, paid,
 * updated, in any order) takes it in; later ones find the row and change
 * nothing, so a hold is converted and a place taken once.
 */

export type { PickupFlag } from "./queue";

export interface PickupCandidate {
  orderId: string;
  customerId: string | null;
  processedAt: Date;
  attributes: PickupAttributes;
  lines: Array<{ variantId: string | null; title: string; quantity: number }>;
}

export interface IntakeOutcome {
  orderId: string;
  locationId: string;
  slotStart: Date;
  flag: PickupFlag | null;
}

/** The orders of a drained run that carry a pickup hold, one per order id (its newest version). */
export function pickupCandidates(orders: readonly SyncedOrder[]): PickupCandidate[] {
  const newest = new Map<string, SyncedOrder>();
  for (const order of orders) {
    if (!carriesPickupHold(order.noteAttributes)) continue;
    const held = newest.get(order.id);
    if (!held || order.shopifyUpdatedAt >= held.shopifyUpdatedAt) newest.set(order.id, order);
  }
  const candidates: PickupCandidate[] = [];
  for (const order of newest.values()) {
    const attributes = readPickupAttributes(order.noteAttributes);
    if (!attributes) continue;
    candidates.push({
      orderId: order.id,
      customerId: order.customerId,
      processedAt: order.processedAt,
      attributes,
      lines: order.lineItems.map((line) => ({ variantId: line.variantId, title: line.title, quantity: line.quantity })),
    });
  }
  return candidates;
}

/** The drain's hook: takes in a run's pickup orders. No database work when the run has none. */
export async function takePickupOrders(db: Database, shop: string, orders: readonly SyncedOrder[]): Promise<IntakeOutcome[]> {
  const candidates = pickupCandidates(orders);
  if (candidates.length === 0) return [];
  return intakePickupOrders(db, shop, candidates);
}

export async function intakePickupOrders(db: Database, shop: string, candidates: readonly PickupCandidate[]): Promise<IntakeOutcome[]> {
  if (candidates.length === 0) return [];
  return db.$transaction(async (tx) => {
    // One statement for the whole run: rows for orders not seen before (flagged until checked below);
    // a repeated delivery finds its row and goes no further.
    const fresh = await tx.$queryRaw<Array<{ orderId: string }>>`
      INSERT INTO "PickupOrder" (shop, "orderId", "locationId", "slotStart", "holdId", "customerId", items, state, flag, "createdAt", "updatedAt")
      SELECT ${shop}, o.id, o.location, o.slot::timestamptz AT TIME ZONE 'UTC', o.hold, o.customer, '[]'::jsonb, 'new', 'unknown-hold', now(), now()
      FROM unnest(${candidates.map((c) => c.orderId)}::text[], ${candidates.map((c) => c.attributes.locationId ?? "")}::text[],
                  ${candidates.map((c) => (c.attributes.slotStart ?? c.processedAt).toISOString())}::text[],
                  ${candidates.map((c) => c.attributes.holdId)}::text[], ${candidates.map((c) => c.customerId)}::text[])
        AS o (id, location, slot, hold, customer)
      ON CONFLICT (shop, "orderId") DO NOTHING
      RETURNING "orderId"`;
    const isFresh = new Set(fresh.map((row) => row.orderId));
    const outcomes: IntakeOutcome[] = [];
    for (const candidate of candidates) {
      if (!isFresh.has(candidate.orderId)) continue;
      outcomes.push(await checkAgainstHold(tx, shop, candidate));
    }
    return outcomes;
  });
}

type Tx = Parameters<Parameters<Database["$transaction"]>[0]>[0];

async function checkAgainstHold(tx: Tx, shop: string, candidate: PickupCandidate): Promise<IntakeOutcome> {
  const { attributes } = candidate;
  const converted = await convertHold(tx, shop, attributes.holdId, { orderId: candidate.orderId, at: candidate.processedAt });
  const hold = converted.status === "unknown" ? null : converted.hold;
  const known = converted.status === "converted" || converted.status === "expired" ? converted.hold : null;
  const locationId = known?.locationId ?? attributes.locationId ?? "";
  const slotStart = known?.slotStart ?? attributes.slotStart ?? candidate.processedAt;
  const flag: PickupFlag | null =
    converted.status === "unknown" || converted.status === "taken"
      ? "unknown-hold"
      : converted.status === "expired"
        ? "expired-hold"
        : mismatch(converted.hold, candidate);

  if (converted.status !== "converted" && locationId !== "") {
    // No live hold kept a place for this order: it takes one now (paid orders are always counted).
    const lines = candidate.lines.flatMap((line) => (line.variantId ? [{ variantId: line.variantId, quantity: line.quantity }] : []));
    await takeOrderPlace(tx, { shop, locationId, slotStart, drinkCount: await drinkCountOf(tx, shop, lines) });
  }
  const titles = new Map((hold?.items ?? []).map((item) => [item.variantId, item.title]));
  const items = candidate.lines.map((line) => ({ title: (line.variantId ? titles.get(line.variantId) : undefined) ?? line.title, quantity: line.quantity }));
  await tx.pickupOrder.update({
    where: { shop_orderId: { shop, orderId: candidate.orderId } },
    data: {
      locationId,
      slotStart,
      holdId: attributes.holdId,
      customerId: candidate.customerId ?? hold?.customerId ?? null,
      items,
      flag,
    },
  });
  return { orderId: candidate.orderId, locationId, slotStart, flag };
}

/** Against a live hold: the first attribute or item that differs, or null when the order is the hold's. */
function mismatch(hold: PickupHold, candidate: PickupCandidate): PickupFlag | null {
  if (candidate.attributes.locationId !== hold.locationId) return "location-mismatch";
  if (candidate.attributes.slotStart?.getTime() !== hold.slotStart.getTime()) return "slot-mismatch";
  return sameItems(hold, candidate.lines) ? null : "items-mismatch";
}

function sameItems(hold: PickupHold, lines: PickupCandidate["lines"]): boolean {
  const wanted = new Map<string, number>();
  for (const item of hold.items) wanted.set(item.variantId, (wanted.get(item.variantId) ?? 0) + item.quantity);
  const got = new Map<string, number>();
  for (const line of lines) {
    if (!line.variantId) return false;
    got.set(line.variantId, (got.get(line.variantId) ?? 0) + line.quantity);
  }
  if (wanted.size !== got.size) return false;
  for (const [variantId, quantity] of wanted) if (got.get(variantId) !== quantity) return false;
  return true;
}
