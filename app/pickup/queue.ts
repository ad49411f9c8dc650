/**
 * The pickup queue's states and flags, shared by the server (queue.server.ts,
 * intake.server.ts) and the admin page. Pure.
 */

export const PICKUP_STATES = ["new", "preparing", "ready", "picked-up", "no-show"] as const;
export type PickupState = (typeof PICKUP_STATES)[number];

/** Which states an order may move to from each state. Picked up and no-show are final. */
export const TRANSITIONS: Record<PickupState, readonly PickupState[]> = {
  new: ["preparing", "ready", "no-show"],
  preparing: ["ready", "no-show"],
  ready: ["picked-up", "no-show"],
  "picked-up": [],
  "no-show": [],
};

export const LABELS: Record<PickupState, string> = {
  new: "New",
  preparing: "Preparing",
  ready: "Ready",
  "picked-up": "Picked up",
  "no-show": "No-show",
};

/** Why staff should check an order (null on the order: it matched its live hold). */
export const PICKUP_FLAGS = ["unknown-hold", "expired-hold", "slot-mismatch", "items-mismatch", "location-mismatch"] as const;
export type PickupFlag = (typeof PICKUP_FLAGS)[number];

export interface QueueCard {
  orderId: string;
  orderName: string;
  customerName: string | null;
  items: Array<{ title: string; quantity: number }>;
  state: PickupState;
  flag: PickupFlag | null;
  /** What the barista can do next. */
  next: PickupState[];
}
