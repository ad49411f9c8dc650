import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DrainRequests } from "../../app/webhooks/drain-requests";

/** A queue stand-in whose sends finish when the test says so. */
class ManualQueue {
  readonly sends: Array<{ shop: string; startedAt: number; settled: boolean; finish(ok: boolean): void }> = [];
  clock = 0;

  readonly send = (shop: string): Promise<void> =>
    new Promise((resolve, reject) => {
      const send = {
        shop,
        startedAt: ++this.clock,
        settled: false,
        finish: (ok: boolean) => {
          send.settled = true;
          if (ok) resolve();
          else reject(new Error(`queue refused ${shop}`));
        },
      };
      this.sends.push(send);
    });

  pending(shop?: string) {
    return this.sends.filter((s) => !s.settled && (shop === undefined || s.shop === shop));
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("DrainRequests", () => {
  it("sends at once, then folds every request made meanwhile into one send after it", async () => {
    const queue = new ManualQueue();
    const drains = new DrainRequests(queue.send);
    const first = drains.request("a.myshopify.com");
    await tick();
    expect(queue.pending()).toHaveLength(1);
    const later = [drains.request("a.myshopify.com"), drains.request("a.myshopify.com"), drains.request("a.myshopify.com")];
    await tick();
    expect(queue.pending()).toHaveLength(1); // still only the first
    queue.pending()[0]?.finish(true);
    await first;
    await tick();
    expect(queue.sends).toHaveLength(2); // one more for the three that came meanwhile
    let settled = false;
    void Promise.all(later).then(() => (settled = true));
    await tick();
    expect(settled).toBe(false); // they wait for the send issued after them
    queue.pending()[0]?.finish(true);
    await Promise.all(later);
    expect(drains.inFlight).toBe(0);
  });

  it("keeps shops apart", async () => {
    const queue = new ManualQueue();
    const drains = new DrainRequests(queue.send);
    const a = drains.request("a.myshopify.com");
    const b = drains.request("b.myshopify.com");
    await tick();
    expect(queue.pending().map((s) => s.shop).sort()).toEqual(["a.myshopify.com", "b.myshopify.com"]);
    for (const send of queue.pending()) send.finish(true);
    await Promise.all([a, b]);
  });

  it("gives a failed send's error to its callers only; the next request sends again", async () => {
    const queue = new ManualQueue();
    const drains = new DrainRequests(queue.send);
    const failing = drains.request("a.myshopify.com");
    await tick();
    queue.pending()[0]?.finish(false);
    await expect(failing).rejects.toThrow("queue refused a.myshopify.com");
    const retry = drains.request("a.myshopify.com");
    await tick();
    expect(queue.sends).toHaveLength(2);
    queue.pending()[0]?.finish(true);
    await expect(retry).resolves.toBeUndefined();
  });

  describe("with a follow-up delay", () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it("sends at most once per interval, serving everyone who arrived until then", async () => {
      vi.useFakeTimers({ toFake: ["setTimeout"] });
      const queue = new ManualQueue();
      const drains = new DrainRequests(queue.send, { followUpDelayMs: 20 });
      const first = drains.request("a.myshopify.com");
      await tick();
      const during = drains.request("a.myshopify.com");
      queue.pending()[0]?.finish(true);
      await first;
      await tick();
      const afterFirst = drains.request("a.myshopify.com");
      expect(queue.sends).toHaveLength(1); // the follow-up waits
      vi.advanceTimersByTime(20);
      await tick();
      expect(queue.sends).toHaveLength(2);
      const idle = drains.idle();
      queue.pending()[0]?.finish(true);
      await Promise.all([during, afterFirst]);
      // The shop stays in its quiet interval: a request now would wait for its end too.
      expect(drains.inFlight).toBe(1);
      vi.advanceTimersByTime(20);
      await idle;
      expect(queue.sends).toHaveLength(2);
      expect(drains.inFlight).toBe(0);
    });
  });

  it("with a delay, a request just after a quiet send still waits for the interval", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout"] });
    try {
      const queue = new ManualQueue();
      const drains = new DrainRequests(queue.send, { followUpDelayMs: 20 });
      const first = drains.request("a.myshopify.com");
      await tick();
      queue.pending()[0]?.finish(true);
      await first;
      const second = drains.request("a.myshopify.com");
      await tick();
      expect(queue.sends).toHaveLength(1);
      vi.advanceTimersByTime(20);
      await tick();
      expect(queue.sends).toHaveLength(2);
      queue.pending()[0]?.finish(true);
      await second;
    } finally {
      vi.useRealTimers();
    }
  });

  it("never strands a request: each settles only after a send begun after it, with that send's outcome", async () => {
    type Op = { kind: "request"; shop: number } | { kind: "finish"; shop: number; ok: boolean };
    const op = fc.oneof(
      fc.record({ kind: fc.constant("request" as const), shop: fc.integer({ min: 0, max: 2 }) }),
      fc.record({ kind: fc.constant("finish" as const), shop: fc.integer({ min: 0, max: 2 }), ok: fc.boolean() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops: Op[]) => {
        const queue = new ManualQueue();
        const drains = new DrainRequests(queue.send);
        const shopName = (n: number) => `shop-${n}.myshopify.com`;
        const requests: Array<{ shop: string; at: number; outcome?: "ok" | "failed"; settledAt?: number }> = [];
        const outcomes = new Map<number, "ok" | "failed">(); // send start time → outcome
        const finishSend = (send: ManualQueue["sends"][number], ok: boolean) => {
          outcomes.set(send.startedAt, ok ? "ok" : "failed");
          send.finish(ok);
        };
        for (const step of ops) {
          if (step.kind === "request") {
            const request: (typeof requests)[number] = { shop: shopName(step.shop), at: ++queue.clock };
            requests.push(request);
            drains.request(request.shop).then(
              () => Object.assign(request, { outcome: "ok", settledAt: queue.clock }),
              () => Object.assign(request, { outcome: "failed", settledAt: queue.clock }),
            );
          } else {
            const send = queue.pending(shopName(step.shop))[0];
            if (send) finishSend(send, step.ok);
          }
          await tick();
          // At most one send on its way per shop.
          for (let s = 0; s < 3; s++) expect(queue.pending(shopName(s)).length).toBeLessThanOrEqual(1);
        }
        // Let every send finish: nothing may be left waiting.
        for (let guard = 0; queue.pending().length > 0 && guard < 200; guard++) {
          const send = queue.pending()[0];
          if (send) finishSend(send, true);
          await tick();
        }
        for (const request of requests) {
          expect(request.outcome).toBeDefined();
          // Some send of the shop started after the request and settled with the outcome the request got.
          const served = queue.sends.some(
            (send) => send.shop === request.shop && send.startedAt > request.at && send.settled && outcomes.get(send.startedAt) === request.outcome,
          );
          expect(served).toBe(true);
        }
        expect(drains.inFlight).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
