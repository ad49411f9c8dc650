import type { SimEvent } from "./events";
import { createRandom } from "./random";

/**
 * The order in which webhooks reach the app. Shopify promises neither order
 * nor exactly-once: a share of events is delivered twice (the same event id,
 * as a retry is) and a share arrives after events that happened later. A
 * reordered event is held back behind the next event about the same order or
 * customer when one is close (an orders/updated before its orders/create),
 * else behind a few unrelated ones.
 */

export interface DeliveryPlanOptions {
  /** Share of events delivered a second time. */
  duplicateRate: number;
  /** Share of events delivered after an event that happened later. */
  reorderRate: number;
  /** How far (in deliveries) an event may be held back, or a duplicate follow its first delivery. */
  window: number;
  seed: string;
}

export interface Delivery {
  event: SimEvent;
  /** A second delivery of an event already sent. */
  duplicate: boolean;
}

export interface DeliveryPlan {
  deliveries: Delivery[];
  /** Second deliveries in the plan. */
  duplicates: number;
  /** Events held back behind later ones. */
  reordered: number;
}

export function planDeliveries(events: readonly SimEvent[], options: DeliveryPlanOptions): DeliveryPlan {
  const random = createRandom(`${options.seed}:deliveries`);
  const window = Math.max(1, Math.floor(options.window));
  const nextAboutSame = nextEventAboutSameResource(events);
  const slots: { key: number; event: SimEvent; duplicate: boolean }[] = events.map((event, position) => ({ key: position, event, duplicate: false }));
  let reordered = 0;
  for (let position = 0; position < events.length - 1; position++) {
    if (!random.chance(options.reorderRate)) continue;
    const related = nextAboutSame[position];
    const behind = related !== undefined && related - position <= window ? related : Math.min(events.length - 1, position + random.int(1, window));
    const slot = slots[position];
    if (!slot) continue;
    slot.key = behind + 0.5;
    reordered++;
  }
  let duplicates = 0;
  for (const slot of [...slots]) {
    if (!random.chance(options.duplicateRate)) continue;
    slots.push({ key: slot.key + random.int(1, window) + 0.25, event: slot.event, duplicate: true });
    duplicates++;
  }
  slots.sort((a, b) => a.key - b.key || Number(a.duplicate) - Number(b.duplicate));
  return { deliveries: slots.map(({ event, duplicate }) => ({ event, duplicate })), duplicates, reordered };
}

/** For each event, the position of the next event about the same order (refunds included) or customer. */
function nextEventAboutSameResource(events: readonly SimEvent[]): (number | undefined)[] {
  const next: (number | undefined)[] = new Array<number | undefined>(events.length).fill(undefined);
  const lastSeen = new Map<string, number>();
  events.forEach((event, position) => {
    const resource = `${event.subject.kind === "customer" ? "customer" : "order"}:${event.subject.index}`;
    const previous = lastSeen.get(resource);
    if (previous !== undefined) next[previous] = position;
    lastSeen.set(resource, position);
  });
  return next;
}
