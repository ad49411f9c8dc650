/**
 * The pure part of the POS pickup extension: reading the app's answer
 * (GET /api/pos/pickup), counting what is due, and grouping the queue for the
 * modal. No POS API here, so it is tested like any other module.
 */

export const PICKUP_STATES = ["new", "preparing", "ready", "picked-up", "no-show"] as const;
export type PickupState = (typeof PICKUP_STATES)[number];

/** Orders still to be handed over. */
export const ACTIVE_STATES: readonly PickupState[] = ["new", "preparing", "ready"];

/** The tile counts orders whose slot starts within this long (or has started and is not handed over). */
export const DUE_WINDOW_MINUTES = 30;

export interface QueueCard {
  orderId: string;
  orderName: string;
  customerName: string | null;
  items: Array<{ title: string; quantity: number }>;
  state: PickupState;
  flag: string | null;
  next: PickupState[];
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

export type QueueAnswer = { ok: true; locationId: string; queue: PickupQueue } | { ok: false; message: string };

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
const isState = (value: unknown): value is PickupState => typeof value === "string" && (PICKUP_STATES as readonly string[]).includes(value);

function readCard(value: unknown): QueueCard | null {
  if (!isRecord(value) || typeof value.orderId !== "string" || typeof value.orderName !== "string" || !isState(value.state)) return null;
  const items = Array.isArray(value.items)
    ? value.items.flatMap((item) => (isRecord(item) && typeof item.title === "string" && typeof item.quantity === "number" ? [{ title: item.title, quantity: item.quantity }] : []))
    : [];
  return {
    orderId: value.orderId,
    orderName: value.orderName,
    customerName: typeof value.customerName === "string" ? value.customerName : null,
    items,
    state: value.state,
    flag: typeof value.flag === "string" ? value.flag : null,
    next: Array.isArray(value.next) ? value.next.filter(isState) : [],
  };
}

/** The app's answer, read defensively: malformed entries are left out; an answer that is not the queue is an error. */
export function readQueueAnswer(status: number, body: unknown): QueueAnswer {
  if (!isRecord(body)) return { ok: false, message: `The app answered ${status} without a queue.` };
  if (status !== 200 || body.ok !== true) return { ok: false, message: typeof body.message === "string" ? body.message : `The app answered ${status}.` };
  const queue = body.queue;
  if (!isRecord(queue) || !Array.isArray(queue.slots)) return { ok: false, message: "The app's answer holds no queue." };
  const slots: QueueSlot[] = queue.slots.flatMap((slot) => {
    if (!isRecord(slot) || typeof slot.slotStart !== "string" || typeof slot.label !== "string" || !Array.isArray(slot.cards)) return [];
    return [{ slotStart: slot.slotStart, label: slot.label, cards: slot.cards.map(readCard).filter((card): card is QueueCard => card !== null) }];
  });
  return {
    ok: true,
    locationId: typeof body.locationId === "string" ? body.locationId : "",
    queue: { date: typeof queue.date === "string" ? queue.date : "", timezone: typeof queue.timezone === "string" ? queue.timezone : "", slots },
  };
}

const isActive = (card: QueueCard) => ACTIVE_STATES.includes(card.state);

/** Active orders whose slot starts before now + window: the ones due soon, overdue ones included. */
export function dueSoonCount(queue: PickupQueue, now: Date, windowMinutes: number = DUE_WINDOW_MINUTES): number {
  const horizon = now.getTime() + windowMinutes * 60_000;
  return queue.slots.filter((slot) => Date.parse(slot.slotStart) < horizon).reduce((sum, slot) => sum + slot.cards.filter(isActive).length, 0);
}

export interface SlotGroup {
  slotStart: string;
  label: string;
  /** Orders still to hand over, in the order they came in. */
  active: QueueCard[];
  /** Picked up or no-show. */
  done: QueueCard[];
  overdue: boolean;
}

/**
 * The modal's sections: slots in time order; slots with orders still to hand
 * over first unless `includeDone`, whose slots are all shown. A slot whose
 * time has passed with orders still active is overdue.
 */
export function groupBySlot(queue: PickupQueue, now: Date, options: { includeDone?: boolean } = {}): SlotGroup[] {
  return [...queue.slots]
    .sort((a, b) => Date.parse(a.slotStart) - Date.parse(b.slotStart))
    .map((slot) => {
      const active = slot.cards.filter(isActive);
      return { slotStart: slot.slotStart, label: slot.label, active, done: slot.cards.filter((card) => !isActive(card)), overdue: active.length > 0 && Date.parse(slot.slotStart) <= now.getTime() };
    })
    .filter((group) => options.includeDone || group.active.length > 0);
}

export const ACTION_TITLES: Record<PickupState, string> = {
  new: "New",
  preparing: "Start preparing",
  ready: "Mark ready",
  "picked-up": "Picked up",
  "no-show": "No-show",
};

export const STATE_NAMES: Record<PickupState, string> = {
  new: "New",
  preparing: "Preparing",
  ready: "Ready",
  "picked-up": "Picked up",
  "no-show": "No-show",
};

/** "2 × Flat white, Croissant". */
export function itemsLine(items: ReadonlyArray<{ title: string; quantity: number }>): string {
  return items.map((item) => (item.quantity === 1 ? item.title : `${item.quantity} × ${item.title}`)).join(", ");
}

/** The tile's subtitle. */
export function tileSubtitle(due: number | null): string {
  if (due === null) return "Loading…";
  if (due === 0) return "Nothing due in 30 min";
  return `${due} due in 30 min`;
}
