import { enqueuePushes, type PushRequest } from "../push/enqueue.server";
import type { Runtime } from "../runtime.server";
import type { OutgoingPush, PushOutbox } from "./push-port";

/**
 * Campaigns' messages handed to the push layer (app/push/enqueue.server.ts):
 * one PushDelivery per delivery id, sent by the push queue at its time. A
 * delivery id seen before is a duplicate there and counts as handed over
 * here, which is what makes a repeated run harmless.
 */
export function pushOutbox(deps: Pick<Runtime, "db" | "jobs">): PushOutbox {
  return {
    async send(pushes) {
      if (pushes.length === 0) return [];
      const outcomes = await enqueuePushes(deps, pushes.map(toRequest));
      return outcomes.map((outcome) => ({ queued: outcome.status === "no-subscription" ? 0 : 1 }));
    },
  };
}

export function runtimeOutbox(runtime: Runtime): PushOutbox {
  return pushOutbox(runtime);
}

function toRequest(push: OutgoingPush): PushRequest {
  return {
    shop: push.shop,
    deliveryId: push.deliveryId,
    customerId: push.customerId,
    kind: push.kind,
    campaignId: push.campaignId,
    payload: { title: push.notification.title, body: push.notification.body, url: push.notification.url },
    scheduledFor: push.sendAt,
    ttlSeconds: push.ttlSeconds,
    urgency: push.urgency,
    topic: push.topic,
  };
}
