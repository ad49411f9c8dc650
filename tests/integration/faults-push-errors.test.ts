import { describe, expect, it } from "vitest";
import type { ScriptedAnswer } from "../support/push-receiver";
import { FAULT_SHOP, checkOutcome, settle, startIngest, withFaultStack, type FaultStack } from "../support/fault-stack";
import { privateServicesUnavailable } from "../support/private-services";

/**
 * Issue 8, faults: the push service answers 500, 429 and 503 (with and
 * without Retry-After) and 410 at random while a campaign is sent and orders
 * arrive. Each member's browser gets a random script of answers (seeded, the
 * seed is in the failure message); the outcome each script must lead to is
 * known in advance: retried until accepted and received once; expired on 410
 * and never tried again; failed, with the reason, when the service keeps
 * refusing or asks to wait more than an hour. No member gets it twice.
 */

const unavailable = await privateServicesUnavailable();
if (unavailable) console.warn(`faults-push-errors: skipped, private PostgreSQL/Redis cannot start: ${unavailable}`);

type Plan = { kind: "accepted" | "expired" | "refused-long" | "gave-up"; answers: ScriptedAnswer[] };

/** mulberry32: a small seeded generator, so a failing draw can be run again. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function drawPlan(random: () => number): Plan {
  const roll = random();
  const transient = (): ScriptedAnswer => {
    const pick = random();
    if (pick < 0.3) return { status: 500 };
    if (pick < 0.65) return { status: 429, retryAfter: String(1 + Math.floor(random() * 2)) };
    return { status: 503, retryAfter: "1" };
  };
  if (roll < 0.35) return { kind: "accepted", answers: [] };
  if (roll < 0.65) return { kind: "accepted", answers: Array.from({ length: 1 + Math.floor(random() * 2) }, transient) };
  if (roll < 0.8) return { kind: "expired", answers: [...(random() < 0.3 ? [{ status: 429, retryAfter: "1" }] : []), { status: 410 }] };
  if (roll < 0.9) return { kind: "refused-long", answers: [{ status: 503, retryAfter: "7200" }] };
  return { kind: "gave-up", answers: Array.from({ length: 5 }, () => ({ status: 429, retryAfter: "1" })) };
}

function scriptReceiver(stack: FaultStack, seed: number): Map<string, Plan> {
  const random = seeded(seed);
  const plans = new Map<string, Plan>();
  for (const member of stack.planted) {
    if (!member.receiverId) continue;
    const plan = drawPlan(random);
    plans.set(member.customerId, plan);
    if (plan.answers.length > 0) stack.receiver.script(member.receiverId, ...plan.answers);
  }
  return plans;
}

describe.skipIf(unavailable !== null)("a push service answering 500/429/503/410 at random (private PostgreSQL + Redis)", () => {
  it("retries what can be retried, expires what is gone, fails the rest with a reason, and sends nobody anything twice", async () => {
    const seed = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
    await withFaultStack({ members: 600, pushRate: 100 }, async (stack) => {
      stack.note(`seed ${seed} (FAULT_SEED=${seed} draws the same answers)`);
      const plans = scriptReceiver(stack, seed);
      const worker = stack.spawnWorker("worker");
      await worker.ready;
      const ingest = startIngest(stack, { orders: 300, perSecond: 30 });
      await stack.scheduleCampaign();
      await settle(stack, ingest);
      await checkOutcome(stack, ingest);

      const deliveries = await stack.db.pushDelivery.findMany({ where: { shop: FAULT_SHOP, campaignId: { not: null } }, select: { customerId: true, status: true, error: true, attempts: true, subscriptionId: true } });
      const subscriptions = new Map((await stack.db.pushSubscription.findMany({ where: { shop: FAULT_SHOP }, select: { id: true, status: true } })).map((s) => [s.id, s.status]));
      const receivedBy = new Map<string, number>();
      for (const push of stack.receiver.received) receivedBy.set(push.subscriptionId, (receivedBy.get(push.subscriptionId) ?? 0) + 1);
      const seen = new Set<string>();
      for (const delivery of deliveries) {
        const member = stack.planted.find((m) => m.customerId === delivery.customerId);
        const plan = delivery.customerId ? plans.get(delivery.customerId) : undefined;
        if (!member?.receiverId || !plan) throw new Error(`delivery to ${delivery.customerId} has no scripted browser`);
        seen.add(plan.kind);
        const label = `member ${member.customerId} (${plan.kind}: ${plan.answers.map((a) => a.status).join(",") || "201"})`;
        const requests = stack.receiver.requestsFor(member.receiverId);
        switch (plan.kind) {
          case "accepted":
            expect({ status: delivery.status, requests, received: receivedBy.get(member.receiverId) ?? 0 }, label).toEqual({ status: "sent", requests: plan.answers.length + 1, received: 1 });
            break;
          case "expired":
            expect({ status: delivery.status, requests, received: receivedBy.get(member.receiverId) ?? 0, subscription: subscriptions.get(delivery.subscriptionId) }, label).toEqual({
              status: "expired",
              requests: plan.answers.length,
              received: 0,
              subscription: "expired",
            });
            expect(delivery.error, label).toMatch(/answered 410: the subscription has expired/);
            break;
          case "refused-long":
            expect({ status: delivery.status, requests, received: receivedBy.get(member.receiverId) ?? 0 }, label).toEqual({ status: "failed", requests: 1, received: 0 });
            expect(delivery.error, label).toMatch(/asked to wait 7200 s/);
            break;
          case "gave-up":
            expect({ status: delivery.status, requests, received: receivedBy.get(member.receiverId) ?? 0 }, label).toEqual({ status: "failed", requests: 5, received: 0 });
            expect(delivery.error, label).toMatch(/gave up after 5 attempts/);
            break;
        }
      }
      expect([...seen].sort(), "every kind of answer was drawn for someone the campaign went to").toEqual(["accepted", "expired", "gave-up", "refused-long"]);
    });
  }, 280_000);
});
