import { createHash } from "node:crypto";
import type { Notification } from "./notification";

/**
 * What campaigns need from the push layer (app/push/): hand over a message
 * for a member under an id the caller chooses, to be delivered at `sendAt`
 * (to the browser the member used last; docs/decisions/0014). The same id
 * handed over twice is delivered once; that, with the recipient row, is what makes a run that
 * crashed between deciding and sending safe to repeat.
 */

export type PushUrgency = "very-low" | "low" | "normal" | "high";

export interface OutgoingPush {
  shop: string;
  /** Idempotency key of the message; deterministic per campaign and member (or per transactional event). */
  deliveryId: string;
  customerId: string;
  /** The campaign it belongs to; null for transactional messages. */
  campaignId: string | null;
  kind: "campaign" | "transactional";
  notification: Notification;
  sendAt: Date;
  ttlSeconds: number;
  urgency: PushUrgency;
  /** Web Push topic: a newer message with the same topic replaces an undelivered older one. */
  topic: string | null;
}

export interface PushOutbox {
  /**
   * Hands the messages over, in one call; an outcome per message, in order.
   * `queued` is 0 when the member has no active subscription, else the
   * deliveries made (or already made under that id).
   */
  send(pushes: readonly OutgoingPush[]): Promise<Array<{ queued: number }>>;
}

const digest = (parts: readonly string[]) => createHash("sha256").update(JSON.stringify(parts)).digest("hex");

/** The delivery id of a campaign's message to a member: the same on every run, so a repeat is recognised. */
export function campaignDeliveryId(shop: string, campaignId: string, customerId: string): string {
  return `cmp_${digest(["campaign", shop, campaignId, customerId]).slice(0, 32)}`;
}

/** The delivery id of a transactional message: one per template, member and event (an order). */
export function transactionalDeliveryId(shop: string, template: string, customerId: string, eventKey: string): string {
  return `txn_${digest(["transactional", shop, template, customerId, eventKey]).slice(0, 32)}`;
}
