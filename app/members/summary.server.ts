import { localDateOf } from "../analytics/local-dates";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import type { Database } from "../db/prisma.server";
import { memberIdentity, type MemberIdentity } from "../perks/identity.server";
import { memberPerks, type PerkStatus } from "../perks/perks.server";
import { localDayBounds } from "../pickup/hours";
import { memberRecommendations, type RecommendedItem } from "../recommend/recommend.server";
import { rhythmSentence } from "./rhythm";

/**
 * Who a customer is in cafe terms, for the barista at the POS and the
 * operator's `regulars members show`: visits and rhythm, usual order, perks
 * ready, today's open pickup order and whether push reaches them. A merged
 * customer id shows the surviving customer.
 */

export interface MemberSummary {
  customerId: string;
  name: string | null;
  memberStatus: "active" | "left" | "not_member";
  visits: number;
  firstVisitOn: string | null;
  lastVisitOn: string | null;
  pattern: string | null;
  /** e.g. "weekday mornings, every 9 days" */
  rhythm: string | null;
  usualOrder: RecommendedItem[];
  suggestions: RecommendedItem[];
  perks: PerkStatus[];
  openPickup: { orderId: string; name: string | null; slotStart: string; status: string } | null;
  pushEnabled: boolean;
}

/** Pickup orders not yet collected (nor given up on). */
const OPEN_PICKUP_STATES = ["new", "preparing", "ready"];

const dateText = (date: Date | null | undefined) => (date ? date.toISOString().slice(0, 10) : null);

/** The summary, or null when the customer is unknown in this shop. */
export async function memberSummary(db: Database, shop: string, customerId: string, now: Date = new Date()): Promise<MemberSummary | null> {
  const who = await memberIdentity(db, shop, customerId);
  const customer = await db.customer.findUnique({ where: { shop_id: { shop, id: who.survivorId } }, select: { firstName: true, lastName: true } });
  if (!customer) return null;
  const [members, feature, recommendations, perks, openPickup, pushEnabled] = await Promise.all([
    db.member.findMany({ where: { shop, customerId: { in: who.ids } }, select: { customerId: true, status: true } }),
    db.memberFeature.findUnique({ where: { shop_customerId: { shop, customerId: who.survivorId } } }),
    memberRecommendations(db, shop, who.survivorId),
    memberPerks(db, shop, who.survivorId, now),
    todaysPickup(db, shop, who, now),
    pushReaches(db, shop, who),
  ]);
  const name = [customer.firstName, customer.lastName].filter((part): part is string => Boolean(part?.trim())).join(" ");
  return {
    customerId: who.survivorId,
    name: name || null,
    memberStatus: members.some((m) => m.status === "active") ? "active" : members.length > 0 ? "left" : "not_member",
    visits: feature?.visitCount ?? 0,
    firstVisitOn: dateText(feature?.firstVisitOn),
    lastVisitOn: dateText(feature?.lastVisitOn),
    pattern: feature?.pattern ?? null,
    rhythm: rhythmSentence(feature ? { visitCount: feature.visitCount, pattern: feature.pattern, usualGapDays: feature.usualGapDays, gapMedianDays: feature.gapMedianDays } : null),
    usualOrder: recommendations.usual,
    suggestions: recommendations.suggestions,
    perks,
    openPickup,
    pushEnabled,
  };
}

/** The member's first pickup order of today (shop-local) that is not collected yet. */
async function todaysPickup(db: Database, shop: string, who: MemberIdentity, now: Date): Promise<MemberSummary["openPickup"]> {
  const { timezone } = await shopAnalyticsSettings(db, shop);
  const { start, end } = localDayBounds(localDateOf(now, timezone), timezone);
  const order = await db.pickupOrder.findFirst({
    where: { shop, customerId: { in: who.ids }, state: { in: OPEN_PICKUP_STATES }, slotStart: { gte: start, lt: end } },
    orderBy: [{ slotStart: "asc" }, { orderId: "asc" }],
    select: { orderId: true, slotStart: true, state: true },
  });
  if (!order) return null;
  const named = await db.order.findUnique({ where: { shop_id: { shop, id: order.orderId } }, select: { name: true } });
  return { orderId: order.orderId, name: named?.name ?? null, slotStart: order.slotStart.toISOString(), status: order.state };
}

/** Push reaches them: an active subscription of theirs, and their latest push consent event is a grant (not withdrawn since). */
async function pushReaches(db: Database, shop: string, who: MemberIdentity): Promise<boolean> {
  const [subscriptions, consent] = await Promise.all([
    db.pushSubscription.count({ where: { shop, customerId: { in: who.ids }, status: "active" } }),
    db.consentEvent.findFirst({ where: { shop, customerId: { in: who.ids }, kind: "push" }, orderBy: { at: "desc" }, select: { action: true } }),
  ]);
  return subscriptions > 0 && consent?.action === "granted";
}
