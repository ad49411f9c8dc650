import type { Database } from "../db/prisma.server";
import type { Runtime } from "../runtime.server";
import { pickVariant } from "./assignment";
import { campaignFromRow } from "./campaigns.server";
import { decideEligibility } from "./eligibility";
import { loadMemberFacts } from "./facts.server";
import { renderNotification } from "./notification";
import { runtimeOutbox } from "./outbox.server";
import { transactionalDeliveryId, type PushOutbox } from "./push-port";
import { shopMessaging } from "./rules.server";
import { prepareTransactional, TransactionalInputError } from "./templates";

const SHOP_DOMAIN = /^[a-z0-9][a-z0-9-]*\.myshopify\.com$/;
const CUSTOMER_ID = /^[1-9][0-9]{0,19}$/;

/**
 * Messages the customer asked for by what they did ("your order is ready",
 * used by the pickup flow). They go through the same eligibility function
 * as campaigns but as `transactional`: consent and live subscriptions are
 * respected; the marketing frequency cap, the holdouts and quiet hours are
 * not (the customer is waiting for this message now; see
 * docs/decisions/0015). They do not count towards the cap either.
 *
 * Idempotent: the delivery id is derived from the template, the member and
 * the event (the order), so calling twice for the same order sends once.
 */

export interface TransactionalRequest {
  shop: string;
  customerId: string;
  template: string;
  data: unknown;
}

export type TransactionalOutcome =
  | { sent: true; deliveryId: string }
  | { sent: false; reason: "consent" | "no-subscription" | "paused"; deliveryId: string };

export async function sendTransactional(runtime: Runtime, request: TransactionalRequest): Promise<TransactionalOutcome> {
  return sendTransactionalWith({ db: runtime.db, outbox: runtimeOutbox(runtime) }, request, new Date());
}

export async function sendTransactionalWith(deps: { db: Database; outbox: PushOutbox }, request: TransactionalRequest, now: Date): Promise<TransactionalOutcome> {
  const { shop, customerId } = request;
  if (!SHOP_DOMAIN.test(shop)) throw new TransactionalInputError(`shop must be a *.myshopify.com domain (got ${JSON.stringify(shop)})`);
  if (!CUSTOMER_ID.test(customerId)) throw new TransactionalInputError(`customerId must be a Shopify customer id (got ${JSON.stringify(customerId)})`);
  const message = prepareTransactional(request.template, request.data);
  const deliveryId = transactionalDeliveryId(shop, message.template, customerId, message.eventKey);

  const row = await deps.db.campaign.findUnique({ where: { shop_id: { shop, id: message.template } } });
  const override = row && row.kind === "transactional" ? campaignFromRow(row) : null;
  if (override?.status === "paused") return { sent: false, reason: "paused", deliveryId };
  const wording = override?.status === "active" ? pickVariant(shop, message.template, `${customerId}:${message.eventKey}`, override.variants) : message.defaultWording;

  const messaging = await shopMessaging(deps.db, shop);
  const facts = await loadMemberFacts(deps.db, { shop, campaignId: null, customerIds: [customerId], now, messaging });
  const fact = facts.get(customerId);
  if (!fact) throw new Error(`no facts loaded for customer ${customerId}`);
  const eligibility = decideEligibility({ purpose: "transactional", facts: fact, rules: messaging, timing: null, now });
  if (!eligibility.eligible) return { sent: false, reason: eligibility.reason === "consent" ? "consent" : "no-subscription", deliveryId };

  const notification = renderNotification(
    { title: wording.title, body: wording.body, url: wording.url === "" ? message.link : wording.url },
    { values: message.values, discountCode: null },
  );
  const [handed] = await deps.outbox.send([{
    shop,
    deliveryId,
    customerId,
    campaignId: null,
    kind: "transactional",
    notification,
    sendAt: eligibility.sendAt,
    ttlSeconds: message.ttlSeconds,
    urgency: message.urgency,
    topic: message.topic,
  }]);
  if (!handed || handed.queued === 0) return { sent: false, reason: "no-subscription", deliveryId };
  return { sent: true, deliveryId };
}
