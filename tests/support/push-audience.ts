import type { Database } from "../../app/db/prisma.server";
import { subscriptionIdFor } from "../../app/push/subscriptions.server";
import type { MemberFacts } from "../../app/campaigns/eligibility";
import type { PushReceiver } from "./push-receiver";

/**
 * A shop's worth of members for push campaign tests, written in bulk: each
 * member's row, push consent, browser subscription (at a Web Push receiver)
 * and stay in one segment, with a planted mix of members who must not be
 * sent anything (left, consent withdrawn, no subscription, an expired one,
 * capped by an earlier campaign). The tables are the ones the membership,
 * push and analytics layers own; their own tests cover how they get there.
 */

export type PlantedKind = "reachable" | "left" | "withdrawn" | "no-subscription" | "expired-subscription" | "capped";

export interface PlantedMember {
  customerId: string;
  kind: PlantedKind;
  /** The receiver subscription of the member's browser; null when none was made. */
  receiverId: string | null;
  /** The eligibility facts the campaign should find (program holdout is the shop's rule, filled in by the caller). */
  facts: Omit<MemberFacts, "programHoldout">;
}

const DAY_MS = 86_400_000;
/** Browsers share a few key pairs (the receiver derives them from seeds): thousands of fresh P-256 keys add nothing. */
const KEY_SEEDS = 32;

/** The planted mix, by position: most members reachable, every other kind present. */
export function plantedKind(index: number): PlantedKind {
  if (index % 23 === 7) return "capped";
  switch (index % 10) {
    case 1:
      return "left";
    case 3:
      return "withdrawn";
    case 5:
      return "no-subscription";
    case 8:
      return index % 20 === 8 ? "expired-subscription" : "reachable";
    default:
      return "reachable";
  }
}

export interface AudienceOptions {
  shop: string;
  members: number;
  segmentId: string;
  /** The shop's active VAPID key: its id, and its public key the browsers subscribe with. */
  key: { id: string; publicKey: string };
  receiver: PushReceiver;
  /** Customer ids are numeric (Shopify's), counted up from here. */
  firstCustomerId: number;
  at: Date;
}

export async function seedPushAudience(db: Database, options: AudienceOptions): Promise<PlantedMember[]> {
  const { shop, segmentId, at, receiver, key } = options;
  const planted: PlantedMember[] = [];
  const subscriptions: Array<{ id: string; endpoint: string; p256dh: string; auth: string; customerId: string; status: string }> = [];
  for (let index = 0; index < options.members; index += 1) {
    const customerId = String(options.firstCustomerId + index);
    const kind = plantedKind(index);
    const browser = kind === "no-subscription" ? null : receiver.subscribe({ applicationServerKey: key.publicKey, keySeed: `audience-${index % KEY_SEEDS}` });
    if (browser) {
      subscriptions.push({ id: subscriptionIdFor(browser.endpoint), endpoint: browser.endpoint, ...browser.keys, customerId, status: kind === "expired-subscription" ? "expired" : "active" });
    }
    planted.push({
      customerId,
      kind,
      receiverId: browser?.id ?? null,
      facts: {
        membership: kind === "left" ? "left" : "active",
        pushConsent: kind === "withdrawn" ? "withdrawn" : "granted",
        activeSubscriptions: browser && kind !== "expired-subscription" ? 1 : 0,
        marketingPushTimes: kind === "capped" ? [new Date(at.getTime() - DAY_MS)] : [],
        alreadyRecipient: false,
        usualMinute: null,
      },
    });
  }

  // One statement per table (unnest over columns): Prisma's createMany takes seconds for a few thousand rows.
  const ids = planted.map((m) => m.customerId);
  const statuses = planted.map((m) => (m.kind === "left" ? "left" : "active"));
  await db.$executeRaw`
    INSERT INTO "Member" (shop, "customerId", status, "joinedVia", "joinedAt", "leftAt", "updatedAt")
    SELECT ${shop}, m.id, m.status, 'storefront', ${new Date(at.getTime() - 30 * DAY_MS)}::timestamp,
      CASE WHEN m.status = 'left' THEN ${at}::timestamp END, now()
    FROM unnest(${ids}::text[], ${statuses}::text[]) AS m(id, status)`;
  await db.$executeRaw`
    INSERT INTO "ConsentEvent" (shop, id, "customerId", kind, action, via, text, at)
    SELECT ${shop}, m.id || '-push-granted', m.id, 'push', 'granted', 'storefront', 'Send me invitations.', ${new Date(at.getTime() - 20 * DAY_MS)}::timestamp
    FROM unnest(${ids}::text[]) AS m(id)`;
  const withdrawn = planted.filter((m) => m.kind === "withdrawn").map((m) => m.customerId);
  await db.$executeRaw`
    INSERT INTO "ConsentEvent" (shop, id, "customerId", kind, action, via, text, at)
    SELECT ${shop}, m.id || '-push-withdrawn', m.id, 'push', 'withdrawn', 'storefront', 'Turned off notifications.', ${new Date(at.getTime() - 2 * DAY_MS)}::timestamp
    FROM unnest(${withdrawn}::text[]) AS m(id)`;
  const column = <T>(pick: (row: (typeof subscriptions)[number]) => T): T[] => subscriptions.map(pick);
  await db.$executeRaw`
    INSERT INTO "PushSubscription" (shop, id, endpoint, p256dh, auth, "customerId", "browserId", "keyId", status, "expiredAt", "updatedAt")
    SELECT ${shop}, s.id, s.endpoint, s.p256dh, s.auth, s.customer_id, 'browser-' || s.customer_id, ${key.id}, s.status,
      CASE WHEN s.status = 'expired' THEN ${new Date(at.getTime() - DAY_MS)}::timestamp END, now()
    FROM unnest(${column((r) => r.id)}::text[], ${column((r) => r.endpoint)}::text[], ${column((r) => r.p256dh)}::text[],
      ${column((r) => r.auth)}::text[], ${column((r) => r.customerId)}::text[], ${column((r) => r.status)}::text[])
      AS s(id, endpoint, p256dh, auth, customer_id, status)`;
  await db.segment.create({ data: { shop, id: segmentId, name: "Weekday regulars", definition: { match: "all", conditions: [] }, builtIn: false } });
  await db.$executeRaw`
    INSERT INTO "SegmentMembership" (shop, "segmentId", "customerId", "enteredAt")
    SELECT ${shop}, ${segmentId}, m.id, ${new Date(at.getTime() - DAY_MS)}::timestamp FROM unnest(${ids}::text[]) AS m(id)`;

  // The frequency cap's ledger: an earlier campaign's push yesterday.
  const capped = planted.filter((m) => m.kind === "capped");
  await db.campaign.create({
    data: { shop, id: "yesterday-broadcast", name: "Yesterday's invitation", kind: "broadcast", status: "completed", variants: [{ id: "a", title: "Hi", body: "Hi", url: "/", weight: 1 }], offer: { type: "tasting", link: "/" } },
  });
  await db.$executeRaw`
    INSERT INTO "CampaignRecipient" (shop, "campaignId", "customerId", arm, status, "scheduledFor")
    SELECT ${shop}, 'yesterday-broadcast', m.id, 'treatment', 'sent', ${new Date(at.getTime() - DAY_MS)}::timestamp
    FROM unnest(${capped.map((m) => m.customerId)}::text[]) AS m(id)`;
  return planted;
}
