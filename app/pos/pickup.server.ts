import { z } from "zod";
import type { Database } from "../db/prisma.server";
import { PickupError } from "../pickup/errors";
import { listPickupQueue, movePickupOrder, moveInput, QueueInputError, type MoveResult, type PickupQueue, type QueueDeps } from "../pickup/queue.server";
import { locationIdSchema } from "../pickup/settings.server";
import { requirePickupLocation } from "../pickup/slots.server";

/**
 * What the POS extension's pickup tile and modal ask the app: the queue of
 * the POS's location for today, and a move of one order to its next state.
 * The shop always comes from the verified session token, never from the
 * request, so a POS can only see and move its own shop's orders.
 */

export type PosQueueResult =
  | { ok: true; status: 200; locationId: string; queue: PickupQueue }
  | { ok: false; status: 400 | 404; message: string };

export const posQueueQuery = z.object({
  location: z.string({ error: "location is required: the POS location's id" }).min(1, "location is required: the POS location's id").pipe(locationIdSchema),
});

export async function posPickupQueue(db: Database, shop: string, query: URLSearchParams, now: Date = new Date()): Promise<PosQueueResult> {
  const parsed = posQueueQuery.safeParse({ location: query.get("location") ?? undefined });
  if (!parsed.success) return { ok: false, status: 400, message: parsed.error.issues[0]?.message ?? "location is invalid" };
  const locationId = parsed.data.location;
  try {
    const settings = await requirePickupLocation(db, shop, locationId);
    if (!settings.enabled) return { ok: false, status: 404, message: `Pickup is switched off at location ${locationId}.` };
    return { ok: true, status: 200, locationId, queue: await listPickupQueue(db, { shop, locationId, now }) };
  } catch (error) {
    if (error instanceof PickupError) return { ok: false, status: error.code === "unknown-location" ? 404 : 400, message: error.message };
    if (error instanceof QueueInputError) return { ok: false, status: 400, message: error.message };
    throw error;
  }
}

export type PosMoveResult = { status: 200; body: Extract<MoveResult, { ok: true }> } | { status: 400 | 404 | 409; body: { ok: false; code?: string; message: string } };

/** Moves one order; the body is `{ orderId, to }` as JSON. Idempotent: asking again for the state an order is in changes nothing. */
export async function posMovePickupOrder(deps: QueueDeps, shop: string, body: unknown, now: Date = new Date()): Promise<PosMoveResult> {
  const input = moveInput.safeParse(body);
  if (!input.success) return { status: 400, body: { ok: false, message: input.error.issues.map((issue) => issue.message).join("; ") } };
  const moved = await movePickupOrder(deps, shop, input.data, now);
  if (moved.ok) return { status: 200, body: moved };
  return { status: moved.code === "not-found" ? 404 : 409, body: { ok: false, code: moved.code, message: moved.message } };
}
