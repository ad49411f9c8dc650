import type { Simulation } from "./simulate";
import { createRandom, randomUuid } from "./random";

/**
 * The webhooks Shopify would have sent for a simulated history, in the order
 * things happened: a customer is created (and tagged when they join the
 * membership); an order is created, then collected or shipped (orders/updated),
 * partly refunded (refunds/create + orders/updated) or voided (refunds/create,
 * orders/cancelled, orders/updated). Each event has its own id, as Shopify's
 * X-Shopify-Event-Id; a redelivery reuses it.
 */

export const SIMULATED_TOPICS = [
  "customers/create",
  "customers/update",
  "orders/create",
  "refunds/create",
  "orders/cancelled",
  "orders/updated",
] as const;
export type SimulatedTopic = (typeof SIMULATED_TOPICS)[number];

export type EventSubject =
  | { kind: "customer"; index: number }
  | { kind: "order"; index: number }
  | { kind: "refund"; index: number; refundId: string };

export interface SimEvent {
  /** Position in time order, from 0. */
  sequence: number;
  eventId: string;
  /** The delivery's X-Shopify-Webhook-Id; a retry of the delivery reuses it. */
  webhookId: string;
  topic: SimulatedTopic;
  /** When it happened (ms): X-Shopify-Triggered-At, and the version of the resource the payload shows. */
  at: number;
  subject: EventSubject;
}

type Unnumbered = Omit<SimEvent, "sequence" | "eventId" | "webhookId">;

export function simulationEvents(sim: Simulation): SimEvent[] {
  const events: Unnumbered[] = [];
  for (const customer of sim.customers) {
    const subject: EventSubject = { kind: "customer", index: customer.index };
    events.push({ topic: "customers/create", at: customer.createdAt, subject });
    if (customer.memberSince !== null && customer.memberSince > customer.createdAt) events.push({ topic: "customers/update", at: customer.memberSince, subject });
  }
  for (const order of sim.orders) {
    const subject: EventSubject = { kind: "order", index: order.index };
    events.push({ topic: "orders/create", at: order.at, subject });
    if (order.fulfilledAt !== null) events.push({ topic: "orders/updated", at: order.fulfilledAt, subject });
    if (order.refund) {
      events.push({ topic: "refunds/create", at: order.refund.at, subject: { kind: "refund", index: order.index, refundId: order.refund.id } });
      events.push({ topic: "orders/updated", at: order.refund.at, subject });
    }
    if (order.cancellation) {
      const { at, refund } = order.cancellation;
      events.push({ topic: "refunds/create", at, subject: { kind: "refund", index: order.index, refundId: refund.id } });
      events.push({ topic: "orders/cancelled", at, subject });
      events.push({ topic: "orders/updated", at, subject });
    }
  }
  const ranks = new Map(SIMULATED_TOPICS.map((topic, rank) => [topic, rank]));
  const rank = (topic: SimulatedTopic) => ranks.get(topic) ?? 0;
  events.sort((a, b) => a.at - b.at || rank(a.topic) - rank(b.topic) || a.subject.index - b.subject.index);
  const random = createRandom(`${sim.settings.seed}:${sim.settings.shop}:events`);
  return events.map((event, sequence) => ({ ...event, sequence, eventId: randomUuid(random), webhookId: randomUuid(random) }));
}
