import pg from "pg";
import { servesEmbedded } from "../db/server-kind.server";
import type { Runtime } from "../runtime.server";
import { stageModeFor, type StageMode } from "../sync/backfill/staging.server";
import { customerPayload, orderPayload, refundPayload, toSyncedCustomer, toSyncedOrder, toSyncedRefund } from "./payloads";
import { isWebhookTopic, type WebhookTopic } from "./topics";
import { payloadSchema } from "./parse";
import { applyWebhook, markWebhookFailed } from "./process.server";
import { applySetBased, type SetBasedDelivery, type SetBasedOutcome } from "./set-based.server";
import { linkSubscriptionsFromOrder } from "../push/subscriptions.server";
import { requestMemberUpdates } from "../../jobs/analytics.server";
import { takePickupOrders } from "../pickup/intake.server";
import { YIELD_EVERY, yieldToEventLoop } from "./event-loop";
import { assertNever } from "../lib/assert-never";
import { shopLog } from "../lib/log.server";
import { observeWebhookLag } from "../lib/metrics.server";

/** Deliveries read (and, mostly, applied) per transaction. */
export const DRAIN_BATCH = 1000;

/**
 * After a batch that was not full, the drain waits this long before reading
 * again, so that under steady traffic it applies a few large batches a second
 * rather than many small ones: each transaction has a fixed cost (staging
 * tables, commit) that a batch of a few deliveries does not amortise. An
 * order reaches the Order table this much later at most.
 */
export const DRAIN_GATHER_MS = 100;

interface Delivery {
  eventId: string;
  webhookId: string;
  /** As stored; intake records only topics it knows, so anything else is marked failed. */
  topic: string;
  apiVersion: string;
  triggeredAt: Date | null;
  /** Epoch milliseconds of receipt, for the webhook lag metric. */
  receivedMs: number;
  payload: unknown;
}

export interface DrainResult {
  applied: number;
  failed: number;
  batches: number;
}

/**
 * Applies a shop's received webhook deliveries in arrival order, a batch at a
 * time. Orders, customers and refunds — nearly all the traffic — are written
 * with set-based statements, a run of consecutive ones per transaction
 * (app/webhooks/set-based.server.ts); any other topic is applied on its own
 * where it stands in the order, so a run never jumps over it (a customer
 * deleted between two updates stays deleted). One drain runs per shop at a
 * time (the job's deduplication), and every step is idempotent, so a crash
 * anywhere only means work is redone.
 */
export async function drainWebhooks(
  runtime: Runtime,
  shop: string,
  options: { batchSize?: number; gatherMs?: number } = {},
): Promise<DrainResult> {
  const batchSize = options.batchSize ?? DRAIN_BATCH;
  const gatherMs = options.gatherMs ?? DRAIN_GATHER_MS;
  const result: DrainResult = { applied: 0, failed: 0, batches: 0 };
  const client = new pg.Client({ connectionString: runtime.database.url });
  // A connection dropped between statements (a database restart) fails the next one, and the job is retried;
  // without a listener its 'error' event would crash the worker.
  client.on("error", () => {});
  await client.connect();
  try {
    const mode = await stageModeOf(client, runtime);
    for (;;) {
      const batch = await nextBatch(client, shop, batchSize);
      if (batch.length === 0) return result;
      result.batches += 1;
      const full = batch.length === batchSize;
      const receivedMs = new Map(batch.map((delivery) => [delivery.eventId, delivery.receivedMs]));
      for (const step of await plan(batch)) {
        switch (step.kind) {
          case "set-based": {
            const applied = await applyRun(runtime, client, mode, shop, step.deliveries);
            result.applied += applied.length;
            result.failed += step.deliveries.length - applied.length;
            observeApplied(receivedMs, applied);
            break;
          }
          case "one":
            await applyWebhook(runtime, {
              shop,
              topic: step.topic,
              eventId: step.delivery.eventId,
              webhookId: step.delivery.webhookId,
              apiVersion: step.delivery.apiVersion,
              triggeredAt: step.delivery.triggeredAt?.toISOString() ?? null,
              body: step.delivery.payload,
            });
            result.applied += 1;
            observeApplied(receivedMs, [step.delivery]);
            // Every row of the shop is gone, the rest of this batch's deliveries with them.
            if (step.topic === "shop/redact") return result;
            break;
          case "malformed":
            await markWebhookFailed(runtime, { shop, eventId: step.eventId }, step.error);
            result.failed += 1;
            shopLog(shop).warn({ eventId: step.eventId, reason: step.error }, "webhook delivery could not be applied; marked failed");
            break;
          default:
            return assertNever(step, "drain step");
        }
      }
      if (!full && gatherMs > 0) await new Promise((resolve) => setTimeout(resolve, gatherMs));
    }
  } finally {
    await client.end();
  }
}

/** Receipt-to-applied time of deliveries just committed (app/lib/metrics.server.ts). */
function observeApplied(receivedMs: Map<string, number>, deliveries: Array<{ eventId: string }>): void {
  const now = Date.now();
  for (const { eventId } of deliveries) observeWebhookLag(receivedMs.get(eventId) ?? now, now);
}

/**
 * Applies a run set-based. When PostgreSQL refuses a value in it (a data
 * exception: an amount or a date out of range that the parser let through),
 * the run is applied again one delivery at a time and each refused delivery is
 * set aside as failed with the reason: one bad payload must not stop the
 * shop's drain, retried forever. Returns the deliveries applied.
 */
async function applyRun(runtime: Runtime, client: pg.Client, mode: StageMode, shop: string, deliveries: SetBasedDelivery[]): Promise<SetBasedDelivery[]> {
  const outcome = await applySetBased(client, mode, shop, deliveries).catch((error: unknown) => {
    if (!isDataException(error)) throw error;
    return error;
  });
  if (!(outcome instanceof Error)) {
    await afterOrders(runtime, shop, outcome);
    return deliveries;
  }
  const [only] = deliveries;
  if (deliveries.length === 1 && only) {
    await markWebhookFailed(runtime, { shop, eventId: only.eventId }, `payload cannot be stored: ${outcome.message}`);
    return [];
  }
  const applied: SetBasedDelivery[] = [];
  for (const delivery of deliveries) applied.push(...(await applyRun(runtime, client, mode, shop, [delivery])));
  return applied;
}

/** SQLSTATE class 22: the statement was fine, a value in it was not. */
function isDataException(error: unknown): error is Error & { code: string } {
  return error instanceof Error && "code" in error && typeof error.code === "string" && error.code.startsWith("22");
}

/**
 * Once a run is committed: the members whose orders changed get their visits,
 * features, predictions and segments brought up to date (a job), a
 * browser that ordered is linked to the member's push subscriptions, and
 * order-ahead orders join the pickup queue once checked against their hold.
 */
async function afterOrders(runtime: Runtime, shop: string, outcome: SetBasedOutcome): Promise<void> {
  for (const order of outcome.orders) await linkSubscriptionsFromOrder(runtime.db, shop, order, order.at);
  await requestMemberUpdates(runtime.jobs, shop, [...outcome.customerIds]);
  await takePickupOrders(runtime.db, shop, outcome.pickupOrders);
}

async function nextBatch(client: pg.Client, shop: string, size: number): Promise<Delivery[]> {
  const { rows } = await client.query<{
    eventId: string;
    webhookId: string;
    topic: string;
    apiVersion: string | null;
    triggeredAt: Date | null;
    receivedMs: number;
    payload: unknown;
  }>(
    // receivedAt is UTC without a zone: its epoch is taken in SQL, where no local time zone applies.
    `SELECT "eventId", "webhookId", topic, "apiVersion", "triggeredAt", (extract(epoch FROM "receivedAt") * 1000)::float8 AS "receivedMs", payload FROM "WebhookDelivery"
     WHERE shop = $1 AND status = 'received' ORDER BY "receivedAt", "eventId" LIMIT $2`,
    [shop, size],
  );
  return rows.map((row) => ({ ...row, apiVersion: row.apiVersion ?? "" }));
}

type Step =
  | { kind: "set-based"; deliveries: SetBasedDelivery[] }
  | { kind: "one"; topic: WebhookTopic; delivery: Delivery }
  | { kind: "malformed"; eventId: string; error: string };

/**
 * The batch as steps in arrival order: consecutive set-based deliveries form
 * one step, any other topic is a step of its own. A malformed delivery is
 * recorded as failed wherever it stands; it has no effect to order.
 */
async function plan(batch: Delivery[]): Promise<Step[]> {
  const steps: Step[] = [];
  let run: SetBasedDelivery[] = [];
  const closeRun = () => {
    if (run.length > 0) steps.push({ kind: "set-based", deliveries: run });
    run = [];
  };
  for (const [index, delivery] of batch.entries()) {
    if (index > 0 && index % YIELD_EVERY === 0) await yieldToEventLoop();
    const { topic } = delivery;
    if (!isWebhookTopic(topic)) {
      steps.push({ kind: "malformed", eventId: delivery.eventId, error: `unsupported topic ${topic}` });
      continue;
    }
    const read = readSetBased(topic, delivery);
    if (read === null) {
      closeRun();
      steps.push({ kind: "one", topic, delivery });
    } else if ("error" in read) {
      steps.push({ kind: "malformed", eventId: delivery.eventId, error: read.error });
    } else {
      run.push(read);
    }
  }
  closeRun();
  return steps;
}

/** The delivery as a set-based write, its parse error, or null for a topic applied on its own. */
function readSetBased(topic: WebhookTopic, delivery: Delivery): SetBasedDelivery | { error: string } | null {
  const { eventId, payload } = delivery;
  if (payload === null) return { error: "delivery has no stored payload" };
  switch (topic) {
    case "orders/create":
    case "orders/updated":
    case "orders/paid":
    case "orders/cancelled": {
      const parsed = orderPayload.safeParse(payload);
      return parsed.success ? { eventId, kind: "order", order: toSyncedOrder(parsed.data) } : { error: parsed.error.issues[0]?.message ?? "invalid order" };
    }
    case "customers/create":
    case "customers/update": {
      const parsed = customerPayload.safeParse(payload);
      return parsed.success ? { eventId, kind: "customer", customer: toSyncedCustomer(parsed.data) } : { error: parsed.error.issues[0]?.message ?? "invalid customer" };
    }
    case "refunds/create": {
      const parsed = refundPayload.safeParse(payload);
      return parsed.success ? { eventId, kind: "refund", refund: toSyncedRefund(parsed.data) } : { error: parsed.error.issues[0]?.message ?? "invalid refund" };
    }
    default: {
      // Applied on its own, where a payload that no longer parses would throw: set aside instead.
      const parsed = payloadSchema(topic)?.safeParse(payload);
      return parsed && !parsed.success ? { error: `${topic} payload: ${parsed.error.issues[0]?.message ?? "is invalid"}` } : null;
    }
  }
}

/**
 * COPY cannot go through the embedded database's socket. DATABASE_URL can
 * point at an embedded database another process serves (tests do), so ask the
 * server rather than trusting the configuration.
 */
async function stageModeOf(client: pg.Client, runtime: Runtime): Promise<StageMode> {
  if (runtime.database.kind === "embedded") return stageModeFor("embedded");
  return stageModeFor((await servesEmbedded(client)) ? "embedded" : "postgres");
}
