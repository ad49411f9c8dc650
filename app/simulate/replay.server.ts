import { DEFAULT_WEBHOOK_API_VERSION } from "../../standin/server";
import { buildWebhookRequest, deliverWebhook, type WebhookRequest } from "../../standin/webhooks/send";
import type { DeliveryPlan } from "./deliveries";
import type { Progress } from "./progress";
import { eventPayload } from "./shopify-payloads";
import type { Simulation } from "./simulate";

/**
 * Sends a delivery plan to an app as Shopify would: each body signed with the
 * app's API secret by the stand-in's signer, to `<url>/webhooks/<topic>`,
 * `concurrency` at a time in plan order. Like Shopify, a delivery that gets no
 * answer or a 5xx/429 is retried (same event and webhook id); any other
 * non-2xx answer is a failure, reported with the event it was.
 */

export interface ReplayOptions {
  /** The app's base URL, e.g. http://127.0.0.1:3000. */
  url: string;
  apiSecret: string;
  concurrency: number;
  apiVersion?: string;
  /** Attempts per delivery before it counts as failed. */
  maxAttempts?: number;
  /** Stop after this many failed deliveries in a row (a wrong secret or URL fails them all). */
  giveUpAfter?: number;
  progress?: Progress;
}

export interface ReplayFailure {
  topic: string;
  eventId: string;
  status: number | null;
  error: string | null;
}

export interface ReplayReport {
  deliveries: number;
  delivered: number;
  duplicates: number;
  reordered: number;
  retries: number;
  failures: ReplayFailure[];
  /** True when it stopped early after `giveUpAfter` failures in a row. */
  gaveUp: boolean;
  seconds: number;
  perSecond: number;
}

const RETRYABLE = (status: number) => status >= 500 || status === 429;

export async function replayWebhooks(sim: Simulation, plan: DeliveryPlan, options: ReplayOptions): Promise<ReplayReport> {
  const base = options.url.replace(/\/+$/, "");
  const maxAttempts = options.maxAttempts ?? 5;
  const giveUpAfter = options.giveUpAfter ?? 50;
  const started = performance.now();
  const failures: ReplayFailure[] = [];
  let next = 0;
  let delivered = 0;
  let retries = 0;
  let failedInARow = 0;
  let gaveUp = false;

  const send = async (request: WebhookRequest): Promise<{ status: number | null; error: string | null }> => {
    let outcome: { status: number | null; error: string | null } = { status: null, error: null };
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        retries++;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** (attempt - 2)));
      }
      try {
        const response = await deliverWebhook(request);
        outcome = { status: response.status, error: response.status >= 300 ? response.body.slice(0, 200) : null };
        if (!RETRYABLE(response.status)) return outcome;
      } catch (error) {
        outcome = { status: null, error: error instanceof Error ? error.message : String(error) };
      }
    }
    return outcome;
  };

  const worker = async () => {
    while (next < plan.deliveries.length && !gaveUp) {
      const delivery = plan.deliveries[next++];
      if (!delivery) break;
      const { event } = delivery;
      const request = buildWebhookRequest(
        {
          shop: sim.settings.shop,
          topic: event.topic,
          payload: eventPayload(sim, event),
          address: `${base}/webhooks/${event.topic}`,
          eventId: event.eventId,
          webhookId: event.webhookId,
          triggeredAt: new Date(event.at),
          apiVersion: options.apiVersion,
        },
        { apiSecret: options.apiSecret, defaultApiVersion: DEFAULT_WEBHOOK_API_VERSION, now: new Date() },
      );
      const outcome = await send(request);
      if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) {
        delivered++;
        failedInARow = 0;
      } else {
        failures.push({ topic: event.topic, eventId: event.eventId, ...outcome });
        if (++failedInARow >= giveUpAfter) gaveUp = true;
      }
      options.progress?.advance();
    }
  };

  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  options.progress?.finish();
  const seconds = (performance.now() - started) / 1000;
  return {
    deliveries: plan.deliveries.length,
    delivered,
    duplicates: plan.duplicates,
    reordered: plan.reordered,
    retries,
    failures,
    gaveUp,
    seconds,
    perSecond: seconds > 0 ? delivered / seconds : 0,
  };
}
