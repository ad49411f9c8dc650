import { createHash, createPublicKey, randomUUID } from "node:crypto";
import { z } from "zod";
import type { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { checkedConsentText } from "../membership/consent";
import { checkPushEndpoint, type EndpointPolicy, type Resolver } from "./endpoint-policy.server";
import { findPushKeyByPublicKey } from "./keys.server";
import { WITHDRAW_PUSH_ON_UNSUBSCRIBE_TEXT } from "./storefront";

/**
 * Browsers' push subscriptions on a shop's storefront. A row is keyed by the
 * sha256 of its endpoint, so a browser that posts its subscription again
 * (every page view may) finds its row. `customerId` links it to a member:
 * set when the browser posts while the customer is logged in, or later from
 * the browser id (the storefront's id for the browser) when the same browser
 * logs in or places an order that carries it.
 *
 * Consent: a push consent event is recorded only for a known customer and
 * only from an explicit opt-in (the tap on the prompt), never from a re-sync.
 */

type Tx = Prisma.TransactionClient;

export const subscriptionIdFor = (endpoint: string) => createHash("sha256").update(endpoint).digest("hex");

/** The order note attribute (cart attribute) the storefront script writes the browser id to; "_" hides it at checkout. */
export const PUSH_BROWSER_ATTRIBUTE = "_regulars_browser";

export interface SubscribeInput {
  shop: string;
  /** The logged-in customer from the signed proxy query, or null for a visitor. */
  customerId: string | null;
  browserId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
  applicationServerKey: string;
  userAgent: string | null;
  /** The prompt's words when this request follows the customer's opt-in; null for a re-sync. */
  consentText: string | null;
  at: Date;
}

export type SubscriptionStatus = "active" | "expired" | "revoked";

export type SubscribeOutcome =
  | {
      ok: true;
      subscriptionId: string;
      created: boolean;
      /** "expired": the push service has dropped this endpoint; the browser should subscribe afresh. */
      status: SubscriptionStatus;
      linked: boolean;
      consentRecorded: boolean;
    }
  | { ok: false; error: { code: "endpoint_refused" | "unknown_key" | "invalid_keys"; message: string } };

const USER_AGENT_CHARS = 300;

export async function saveSubscription(db: Database, policy: EndpointPolicy, input: SubscribeInput, resolve?: Resolver): Promise<SubscribeOutcome> {
  const endpoint = await checkPushEndpoint(input.endpoint, policy, resolve);
  if (!endpoint.ok) return { ok: false, error: { code: "endpoint_refused", message: `This browser's push address cannot be used: ${endpoint.message}.` } };
  if (!isP256Point(input.p256dh)) return { ok: false, error: { code: "invalid_keys", message: "subscription.keys.p256dh is not a P-256 public key." } };
  const key = await findPushKeyByPublicKey(db, input.shop, input.applicationServerKey);
  if (!key) {
    return { ok: false, error: { code: "unknown_key", message: "The browser subscribed with a key this shop does not have; reload the page to subscribe again." } };
  }
  const id = subscriptionIdFor(input.endpoint);
  const userAgent = input.userAgent?.slice(0, USER_AGENT_CHARS) ?? null;
  return db.$transaction(async (tx) => {
    // An endpoint the push service dropped (404/410) stays expired while the browser re-posts the same keys:
    // it is dead, and the answer tells the script to subscribe afresh.
    const rows = await tx.$queryRaw<Array<{ created: boolean; status: string; customerId: string | null }>>`
      INSERT INTO "PushSubscription" (shop, id, endpoint, p256dh, auth, "customerId", "browserId", "keyId", status, "userAgent", "createdAt", "updatedAt")
      VALUES (${input.shop}, ${id}, ${input.endpoint}, ${input.p256dh}, ${input.auth}, ${input.customerId}, ${input.browserId}, ${key.id},
        'active', ${userAgent}, ${input.at}, ${input.at})
      ON CONFLICT (shop, id) DO UPDATE SET
        status = CASE WHEN "PushSubscription".status = 'expired' AND "PushSubscription".p256dh = EXCLUDED.p256dh
                      THEN 'expired' ELSE 'active' END,
        "expiredAt" = CASE WHEN "PushSubscription".status = 'expired' AND "PushSubscription".p256dh = EXCLUDED.p256dh
                      THEN "PushSubscription"."expiredAt" ELSE NULL END,
        p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, "keyId" = EXCLUDED."keyId", "browserId" = EXCLUDED."browserId",
        "customerId" = COALESCE(EXCLUDED."customerId", "PushSubscription"."customerId"),
        "userAgent" = COALESCE(EXCLUDED."userAgent", "PushSubscription"."userAgent"),
        "updatedAt" = EXCLUDED."updatedAt"
      RETURNING (xmax = 0) AS created, status, "customerId"`;
    const row = rows[0];
    if (!row) throw new Error("push subscription upsert returned no row");
    if (input.customerId !== null) await linkBrowser(tx, input.shop, input.browserId, input.customerId, input.at);
    const linked = row.customerId !== null;
    const consentRecorded =
      input.customerId !== null && input.consentText !== null && row.status === "active"
        ? await grantPushConsent(tx, input.shop, input.customerId, checkedConsentText(input.consentText), input.at)
        : false;
    return { ok: true, subscriptionId: id, created: row.created, status: asStatus(row.status), linked, consentRecorded };
  });
}

/** The browser turned notifications off (or the customer did, in the prompt's settings). */
export async function revokeSubscription(
  db: Database,
  input: { shop: string; endpoint: string; customerId: string | null; at: Date },
): Promise<{ revoked: boolean; consentWithdrawn: boolean }> {
  const id = subscriptionIdFor(input.endpoint);
  return db.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<Array<{ customerId: string | null }>>`
      UPDATE "PushSubscription" SET status = 'revoked', "updatedAt" = ${input.at}
      WHERE shop = ${input.shop} AND id = ${id} AND status <> 'revoked'
      RETURNING "customerId"`;
    const row = rows[0];
    if (!row) return { revoked: false, consentWithdrawn: false };
    // The customer at this browser turned off their last subscribed browser: that is a withdrawal.
    const owner = row.customerId;
    if (owner === null || owner !== input.customerId) return { revoked: true, consentWithdrawn: false };
    const others = await tx.pushSubscription.count({ where: { shop: input.shop, customerId: owner, status: "active" } });
    if (others > 0) return { revoked: true, consentWithdrawn: false };
    const latest = await latestPushConsent(tx, input.shop, owner);
    if (latest !== "granted") return { revoked: true, consentWithdrawn: false };
    await tx.consentEvent.create({
      data: { shop: input.shop, id: randomUUID(), customerId: owner, kind: "push", action: "withdrawn", via: "storefront", text: WITHDRAW_PUSH_ON_UNSUBSCRIBE_TEXT, at: input.at },
    });
    return { revoked: true, consentWithdrawn: true };
  });
}

/** Links the browser's anonymous subscriptions to the customer now logged in there; returns how many. */
export async function linkBrowserToCustomer(db: Database, shop: string, browserId: string, customerId: string, at: Date): Promise<number> {
  return linkBrowser(db, shop, browserId, customerId, at);
}

const noteAttributes = z.array(z.object({ name: z.string(), value: z.unknown() }).loose());

/**
 * For the order ingest: an order placed from a browser that subscribed
 * anonymously carries its browser id as a note attribute; the subscriptions
 * of that browser become the ordering customer's. Orders without a customer
 * or without the attribute change nothing. Consent is not recorded here (no
 * words were shown with the order): a linked subscription can carry the
 * customer's transactional pushes, and marketing waits for their opt-in.
 */
export async function linkSubscriptionsFromOrder(
  db: Database,
  shop: string,
  order: { customerId: string | null; noteAttributes: unknown },
  at: Date,
): Promise<{ linked: number }> {
  if (order.customerId === null) return { linked: 0 };
  const parsed = noteAttributes.safeParse(order.noteAttributes);
  if (!parsed.success) return { linked: 0 };
  const attribute = parsed.data.find((entry) => entry.name === PUSH_BROWSER_ATTRIBUTE);
  const browserId = typeof attribute?.value === "string" ? attribute.value.trim() : "";
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(browserId)) return { linked: 0 };
  return { linked: await linkBrowser(db, shop, browserId, order.customerId, at) };
}

async function linkBrowser(db: Database | Tx, shop: string, browserId: string, customerId: string, at: Date): Promise<number> {
  return db.$executeRaw`
    UPDATE "PushSubscription" SET "customerId" = ${customerId}, "updatedAt" = ${at}
    WHERE shop = ${shop} AND "browserId" = ${browserId} AND "customerId" IS NULL`;
}

async function latestPushConsent(tx: Tx, shop: string, customerId: string): Promise<"granted" | "withdrawn" | null> {
  const latest = await tx.consentEvent.findFirst({ where: { shop, customerId, kind: "push" }, orderBy: { at: "desc" }, select: { action: true } });
  if (!latest) return null;
  return latest.action === "granted" ? "granted" : "withdrawn";
}

/** Records the opt-in unless the customer's push consent already stands; true when recorded. */
async function grantPushConsent(tx: Tx, shop: string, customerId: string, text: string, at: Date): Promise<boolean> {
  if ((await latestPushConsent(tx, shop, customerId)) === "granted") return false;
  await tx.consentEvent.create({ data: { shop, id: randomUUID(), customerId, kind: "push", action: "granted", via: "storefront", text, at } });
  return true;
}

function asStatus(status: string): SubscriptionStatus {
  return status === "expired" || status === "revoked" ? status : "active";
}

/** A point on P-256 in uncompressed form; the JWK import refuses one off the curve. */
export function isP256Point(base64url: string): boolean {
  const point = Buffer.from(base64url, "base64url");
  if (point.length !== 65 || point[0] !== 0x04) return false;
  try {
    createPublicKey({ key: { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") }, format: "jwk" });
    return true;
  } catch {
    return false;
  }
}
