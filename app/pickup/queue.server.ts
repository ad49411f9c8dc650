import { z } from "zod";
import { localDateOf } from "../analytics/local-dates";
import type { TransactionalOutcome, TransactionalRequest } from "../campaigns/transactional.server";
import { ORDER_NAME_MAX_CHARS } from "../campaigns/notification";
import type { Database } from "../db/prisma.server";
import { clockLabel, localDateText, localDayBounds, parseLocalDate, wallClockAt } from "./hours";
import { locationIdSchema } from "./settings.server";
import { shopTimeZone } from "./slots.server";
import { LABELS, PICKUP_FLAGS, PICKUP_STATES, TRANSITIONS, type PickupState, type QueueCard } from "./queue";

/**
 * The barista's pickup queue: a location's paid pickup orders of one local
 * day, grouped by slot, and the moves of an order through
 * new → preparing → ready → picked-up (or no-show). Every move is checked
 * here, scoped by shop, and idempotent: asking for the state an order is
 * already in changes nothing. Marking ready sends the member the
 * "order-ready" push through the transactional campaign path, once.
 */

export { LABELS, PICKUP_STATES, TRANSITIONS, type PickupState, type QueueCard } from "./queue";

const STAMP: Record<Exclude<PickupState, "new">, "preparingAt" | "readyAt" | "pickedUpAt" | "noShowAt"> = {
  preparing: "preparingAt",
  ready: "readyAt",
  "picked-up": "pickedUpAt",
  "no-show": "noShowAt",
};

export const moveInput = z.object({
  orderId: z.string({ error: "orderId is required" }).regex(/^[1-9][0-9]{0,19}$/, "orderId must be a Shopify order id"),
  to: z.enum(["preparing", "ready", "picked-up", "no-show"], { error: "to must be one of preparing, ready, picked-up, no-show" }),
});
export type MoveInput = z.infer<typeof moveInput>;

export interface QueueDeps {
  db: Database;
  /** The transactional campaign path (app/campaigns/transactional.server.ts). */
  sendTransactional(request: TransactionalRequest): Promise<TransactionalOutcome>;
}

export type ReadyPush = { sent: true; deliveryId: string } | { sent: false; reason: "no-customer" | "consent" | "no-subscription" | "paused" };

export type MoveResult =
  | { ok: true; orderId: string; state: PickupState; changed: boolean; push: ReadyPush | null }
  | { ok: false; code: "not-found" | "invalid-transition"; message: string };

export async function movePickupOrder(deps: QueueDeps, shop: string, input: MoveInput, now = new Date()): Promise<MoveResult> {
  const { orderId, to } = input;
  const from = PICKUP_STATES.filter((state) => TRANSITIONS[state].includes(to));
  const moved = await deps.db.pickupOrder.updateMany({
    where: { shop, orderId, state: { in: [...from] } },
    data: { state: to, [STAMP[to]]: now },
  });
  const order = await deps.db.pickupOrder.findUnique({ where: { shop_orderId: { shop, orderId } } });
  if (!order) return { ok: false, code: "not-found", message: `There is no pickup order ${orderId} in this shop.` };
  const changed = moved.count > 0;
  if (!changed && order.state !== to) {
    const current = PICKUP_STATES.find((state) => state === order.state) ?? "new";
    return { ok: false, code: "invalid-transition", message: `Order ${orderId} is ${LABELS[current].toLowerCase()}; it cannot be marked ${LABELS[to].toLowerCase()}.` };
  }
  const push = to === "ready" && order.state === "ready" ? await readyPush(deps, shop, order) : null;
  return { ok: true, orderId, state: to, changed, push };
}

/**
 * Tells the member their order is ready. The delivery id is derived from the
 * order, so a second click (or two baristas at once) hands the push layer the
 * same message, which it delivers once; once recorded on the order it is not
 * asked for again.
 */
async function readyPush(deps: QueueDeps, shop: string, order: { orderId: string; customerId: string | null; readyDeliveryId: string | null; items: unknown }): Promise<ReadyPush> {
  if (order.readyDeliveryId) return { sent: true, deliveryId: order.readyDeliveryId };
  if (!order.customerId) return { sent: false, reason: "no-customer" };
  const named = await deps.db.order.findUnique({ where: { shop_id: { shop, id: order.orderId } }, select: { name: true } });
  const outcome = await deps.sendTransactional({
    shop,
    customerId: order.customerId,
    template: "order-ready",
    data: { orderId: order.orderId, orderName: readyName(cardItems(order.items), named?.name ?? null) },
  });
  if (!outcome.sent) return { sent: false, reason: outcome.reason };
  await deps.db.pickupOrder.updateMany({ where: { shop, orderId: order.orderId, readyDeliveryId: null }, data: { readyDeliveryId: outcome.deliveryId } });
  return { sent: true, deliveryId: outcome.deliveryId };
}

/** How the push names the order: "Your flat white" for one item, else "Your order #1042". */
export function readyName(items: ReadonlyArray<{ title: string; quantity: number }>, orderName: string | null): string {
  const [only] = items;
  const single = items.length === 1 && only && only.quantity === 1 ? `Your ${only.title.toLowerCase()}` : null;
  if (single && single.length <= ORDER_NAME_MAX_CHARS) return single;
  const named = orderName ? `Your order ${orderName}` : "Your order";
  return named.length <= ORDER_NAME_MAX_CHARS ? named : "Your order";
}

export function cardItems(value: unknown): Array<{ title: string; quantity: number }> {
  const parsed = z.array(z.object({ title: z.string(), quantity: z.number().int() })).safeParse(value);
  return parsed.success ? parsed.data : [];
}

export interface QueueSlot {
  slotStart: string;
  label: string;
  cards: QueueCard[];
}

export interface PickupQueue {
  date: string;
  timezone: string;
  slots: QueueSlot[];
}


export class QueueInputError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = "QueueInputError";
  }
}

/**
 * A location's queue for a shop-local date (default today). Orders whose
 * location is not one of the shop's pickup locations (a flagged order with
 * a tampered or missing location) appear in every location's queue, so
 * staff always see them.
 */
export async function listPickupQueue(db: Database, input: { shop: string; locationId: string; date?: string; now?: Date }): Promise<PickupQueue> {
  const location = locationIdSchema.safeParse(input.locationId);
  if (!location.success) throw new QueueInputError("location", location.error.issues[0]?.message ?? "location id is invalid");
  const timezone = await shopTimeZone(db, input.shop);
  const localDate = input.date === undefined ? localDateOf(input.now ?? new Date(), timezone) : parseLocalDate(input.date);
  if (!localDate) throw new QueueInputError("date", `date must be a calendar date like 2026-03-02 (got ${JSON.stringify(input.date)})`);
  const { start, end } = localDayBounds(localDate, timezone);
  const rows = await db.$queryRaw<
    Array<{ orderId: string; slotStart: Date; items: unknown; state: string; flag: string | null; name: string | null; firstName: string | null; lastName: string | null; email: string | null }>
  >`
    SELECT p."orderId", p."slotStart", p.items, p.state, p.flag, o.name, c."firstName", c."lastName", c.email
    FROM "PickupOrder" p
    LEFT JOIN "Order" o ON o.shop = p.shop AND o.id = p."orderId"
    LEFT JOIN "Customer" c ON c.shop = p.shop AND c.id = p."customerId"
    WHERE p.shop = ${input.shop} AND p."slotStart" >= ${start}::timestamp AND p."slotStart" < ${end}::timestamp
      AND (p."locationId" = ${location.data}
           OR NOT EXISTS (SELECT 1 FROM "PickupSettings" s WHERE s.shop = p.shop AND s."locationId" = p."locationId"))
    ORDER BY p."slotStart", p."createdAt", p."orderId"`;
  const slots = new Map<number, QueueSlot>();
  for (const row of rows) {
    const key = row.slotStart.getTime();
    const slot = slots.get(key) ?? { slotStart: row.slotStart.toISOString(), label: clockLabel(wallClockAt(row.slotStart, timezone).minute), cards: [] };
    const state = PICKUP_STATES.find((candidate) => candidate === row.state) ?? "new";
    const flag = PICKUP_FLAGS.find((candidate) => candidate === row.flag) ?? null;
    const person = [row.firstName, row.lastName].filter(Boolean).join(" ");
    slot.cards.push({
      orderId: row.orderId,
      orderName: row.name ?? `Order ${row.orderId}`,
      customerName: person || row.email || null,
      items: cardItems(row.items),
      state,
      flag,
      next: [...TRANSITIONS[state]],
    });
    slots.set(key, slot);
  }
  return { date: localDateText(localDate), timezone, slots: [...slots.values()] };
}
