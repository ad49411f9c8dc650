import "@shopify/shopify-api/adapters/node";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { ApiVersion, LogSeverity, shopifyApi } from "@shopify/shopify-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planDeliveries } from "../../app/simulate/deliveries";
import { simulationEvents } from "../../app/simulate/events";
import { replayWebhooks } from "../../app/simulate/replay.server";
import { simulateCafe } from "../../app/simulate/simulate";

/**
 * The simulator's webhook sender against a plain node:http receiver that
 * verifies every request with Shopify's own library, as the app does.
 */

const SECRET = "simulate-it-secret";
const SHOP = "replay-cafe.myshopify.com";
const shopify = shopifyApi({
  apiKey: "simulate-it-key",
  apiSecretKey: SECRET,
  apiVersion: ApiVersion.October25,
  hostName: "regulars.example",
  isEmbeddedApp: true,
  logger: { level: LogSeverity.Error },
});

interface Received {
  path: string;
  valid: boolean;
  topic: string | null;
  eventId: string | null;
  webhookId: string | null;
  shop: string | null;
}

let receiver: Server;
let url: string;
let received: Received[] = [];
/** Status to answer instead of 200, per event id, once. */
const failOnce = new Map<string, number>();

function readRaw(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    void readRaw(request).then(async (rawBody) => {
      const result = await shopify.webhooks.validate({ rawBody, rawRequest: request, rawResponse: response });
      const eventId = typeof request.headers["x-shopify-event-id"] === "string" ? request.headers["x-shopify-event-id"] : null;
      const injected = eventId ? failOnce.get(eventId) : undefined;
      if (eventId && injected) {
        failOnce.delete(eventId);
        response.writeHead(injected).end();
        return;
      }
      received.push({
        path: request.url ?? "",
        valid: result.valid,
        // The library reports CUSTOMERS_CREATE; the header carries Shopify's customers/create.
        topic: result.valid && typeof request.headers["x-shopify-topic"] === "string" ? request.headers["x-shopify-topic"] : null,
        eventId: result.valid ? eventId : null,
        webhookId: result.valid ? result.webhookId : null,
        shop: result.valid ? result.domain : null,
      });
      response.writeHead(result.valid ? 200 : 401).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const address = receiver.address();
  if (address === null || typeof address === "string") throw new Error("receiver not listening");
  url = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});

const sim = simulateCafe({ seed: "replay", shop: SHOP, days: 40, until: new Date("2025-04-15T00:00:00+01:00"), members: 150 });
const events = simulationEvents(sim);

describe("replaying a simulated cafe as webhooks", () => {
  it("signs every delivery as Shopify does, to /webhooks/<topic>, with duplicates and reordering at the requested rates", async () => {
    received = [];
    const plan = planDeliveries(events, { duplicateRate: 0.05, reorderRate: 0.05, window: 50, seed: "it" });
    // One at a time, so the arrival order is the plan's order and the receiver can measure it.
    const report = await replayWebhooks(sim, plan, { url, apiSecret: SECRET, concurrency: 1 });
    expect(report.failures).toEqual([]);
    expect(received).toHaveLength(plan.deliveries.length);
    expect(received.filter((r) => !(r.valid && r.shop === SHOP && r.path === `/webhooks/${r.topic}`)).slice(0, 3)).toEqual([]);
    expect(received.filter((r) => r.path === "/webhooks/orders/create")).toHaveLength(sim.orders.length + plan.deliveries.filter((d) => d.duplicate && d.event.topic === "orders/create").length);
    expect(new Set(received.map((r) => r.topic))).toEqual(new Set(["customers/create", "customers/update", "orders/create", "orders/updated", "orders/cancelled", "refunds/create"]));

    const sequence = new Map(events.map((event) => [event.eventId, event.sequence]));
    const seen = new Set<string>();
    let duplicates = 0;
    let late = 0;
    let highest = -1;
    for (const r of received) {
      const position = sequence.get(r.eventId ?? "");
      if (position === undefined) throw new Error(`unknown event id ${r.eventId}`);
      if (seen.has(r.eventId ?? "")) {
        duplicates++;
        continue;
      }
      seen.add(r.eventId ?? "");
      if (position < highest) late++;
      highest = Math.max(highest, position);
    }
    const n = events.length;
    const tolerance = 4 * Math.sqrt(n * 0.05 * 0.95) + 1;
    expect(seen.size).toBe(n);
    expect(Math.abs(duplicates - 0.05 * n)).toBeLessThan(tolerance);
    expect(Math.abs(late - 0.05 * n)).toBeLessThan(tolerance);
    expect(duplicates).toBe(plan.duplicates);
  });

  it("keeps up with many in flight at once, and retries a 503 with the same ids, as Shopify does", async () => {
    received = [];
    const plan = planDeliveries(events, { duplicateRate: 0.1, reorderRate: 0.1, window: 20, seed: "busy" });
    const unlucky = events.filter((_, i) => i % 97 === 0).map((event) => event.eventId);
    for (const eventId of unlucky) failOnce.set(eventId, 503);
    const report = await replayWebhooks(sim, plan, { url, apiSecret: SECRET, concurrency: 16 });
    expect(report.failures).toEqual([]);
    expect(report.retries).toBeGreaterThanOrEqual(unlucky.length);
    expect(report.delivered).toBe(plan.deliveries.length);
    expect(received.every((r) => r.valid)).toBe(true);
    expect(new Set(received.map((r) => r.eventId)).size).toBe(events.length);
    const webhookIds = new Map(events.map((event) => [event.eventId, event.webhookId]));
    expect(received.every((r) => webhookIds.get(r.eventId ?? "") === r.webhookId)).toBe(true);
  });

  it("reports the app's refusals, and gives up when everything is refused", async () => {
    received = [];
    const plan = planDeliveries(events, { duplicateRate: 0, reorderRate: 0, window: 1, seed: "refused" });
    const report = await replayWebhooks(sim, plan, { url, apiSecret: "not-the-secret", concurrency: 2, giveUpAfter: 10 });
    expect(report.gaveUp).toBe(true);
    expect(report.delivered).toBe(0);
    expect(report.failures.length).toBeGreaterThanOrEqual(10);
    expect(report.failures.length).toBeLessThan(20);
    expect(report.failures.every((failure) => failure.status === 401)).toBe(true);
  });
});
