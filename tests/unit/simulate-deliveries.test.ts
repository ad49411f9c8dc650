import { describe, expect, it } from "vitest";
import { planDeliveries } from "../../app/simulate/deliveries";
import { simulationEvents, type SimEvent } from "../../app/simulate/events";
import { simulateCafe } from "../../app/simulate/simulate";

const sim = simulateCafe({ seed: 5, shop: "plan-cafe.myshopify.com", days: 90, until: new Date("2025-06-01T00:00:00+01:00"), members: 500 });
const events = simulationEvents(sim);

/** Events delivered (first time) after an event that happened later: what a receiver sees as out of order. */
function lateDeliveries(order: readonly SimEvent[]): number {
  const seen = new Set<string>();
  let highest = -1;
  let late = 0;
  for (const event of order) {
    if (seen.has(event.eventId)) continue;
    seen.add(event.eventId);
    if (event.sequence < highest) late++;
    highest = Math.max(highest, event.sequence);
  }
  return late;
}

const within = (observed: number, rate: number, n: number) => Math.abs(observed - rate * n) < 4 * Math.sqrt(n * rate * (1 - rate)) + 1;

describe("planDeliveries", () => {
  it("delivers every event in time order when asked for no duplicates and no reordering", () => {
    const plan = planDeliveries(events, { duplicateRate: 0, reorderRate: 0, window: 50, seed: "x" });
    expect(plan.deliveries.map((delivery) => delivery.event)).toEqual(events);
    expect([plan.duplicates, plan.reordered]).toEqual([0, 0]);
  });

  it.each([
    [0.05, 0.05],
    [0.2, 0.1],
  ])("duplicates %d and reorders %d of the events, at those rates", (duplicateRate, reorderRate) => {
    expect(events.length).toBeGreaterThan(5000);
    const plan = planDeliveries(events, { duplicateRate, reorderRate, window: 50, seed: "rates" });
    const delivered = plan.deliveries.map((delivery) => delivery.event);
    expect(delivered).toHaveLength(events.length + plan.duplicates);
    expect(new Set(delivered.map((event) => event.eventId)).size).toBe(events.length);
    expect(within(plan.duplicates, duplicateRate, events.length)).toBe(true);
    expect(within(plan.reordered, reorderRate, events.length)).toBe(true);
    // What a receiver would count matches what the plan says it did (give or take an interaction of two moves).
    expect(Math.abs(lateDeliveries(delivered) - plan.reordered)).toBeLessThanOrEqual(plan.reordered * 0.02 + 2);
    // A duplicate reuses its event (id and webhook id) and comes after the first delivery.
    const firstAt = new Map<string, number>();
    plan.deliveries.forEach((delivery, position) => {
      if (delivery.duplicate) expect(firstAt.get(delivery.event.eventId)).toBeLessThan(position);
      else firstAt.set(delivery.event.eventId, position);
    });
  });

  it("sends some updates before the create of the same order, as Shopify can", () => {
    const plan = planDeliveries(events, { duplicateRate: 0.05, reorderRate: 0.05, window: 50, seed: "updates" });
    const created = new Set<number>();
    let updateFirst = 0;
    for (const { event } of plan.deliveries) {
      if (event.subject.kind === "customer") continue;
      if (event.topic === "orders/create") created.add(event.subject.index);
      else if (!created.has(event.subject.index)) updateFirst++;
    }
    expect(updateFirst).toBeGreaterThan(10);
  });

  it("is the same plan for the same seed", () => {
    const options = { duplicateRate: 0.05, reorderRate: 0.05, window: 50, seed: "same" };
    const ids = (seed: string) => planDeliveries(events, { ...options, seed }).deliveries.map((delivery) => delivery.event.eventId).join();
    expect(ids("same")).toBe(ids("same"));
    expect(ids("other")).not.toBe(ids("same"));
  });
});
