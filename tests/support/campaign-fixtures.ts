import { createHash } from "node:crypto";
import type { Database } from "../../app/db/prisma.server";

/**
 * Members as campaigns see them, written straight into the tables the
 * analytics and push layers own (MemberFeature, SegmentMembership,
 * PushSubscription, ConsentEvent), so campaign tests do not depend on those
 * layers computing them.
 */

export interface MemberProfile {
  id: string;
  /** Member row status; null = never joined (no Member row). */
  member: "active" | "left" | null;
  /** Latest push consent event; null = none recorded. */
  push: "granted" | "withdrawn" | null;
  /** The member's push subscription; null = none. */
  subscription: "active" | "expired" | null;
  usualMinute: number | null;
  /** Segment stay: when it began, and when it ended (null = still in it). */
  segment?: { id: string; enteredAt: Date; exitedAt: Date | null };
  visitCount?: number;
  firstVisitOn?: Date;
  lastVisitOn?: Date;
  dueFrom?: Date | null;
  dueUntil?: Date | null;
  gapMedianDays?: number | null;
  pattern?: string;
}

export const reachableMember = (id: string, overrides: Partial<MemberProfile> = {}): MemberProfile => ({
  id,
  member: "active",
  push: "granted",
  subscription: "active",
  usualMinute: 8 * 60 + 30,
  ...overrides,
});

export async function createShop(db: Database, shop: string, settings: { timezone?: string; quiet?: [number, number]; programHoldoutPercent?: number; cap?: [number, number] } = {}) {
  await db.shop.create({ data: { domain: shop, timezone: settings.timezone ?? "Europe/London", currency: "GBP" } });
  await db.shopSettings.create({
    data: {
      shop,
      ...(settings.quiet ? { quietStartMinute: settings.quiet[0], quietEndMinute: settings.quiet[1] } : {}),
      ...(settings.programHoldoutPercent !== undefined ? { programHoldoutPercent: settings.programHoldoutPercent } : {}),
      ...(settings.cap ? { pushCapCount: settings.cap[0], pushCapDays: settings.cap[1] } : {}),
    },
  });
}

export async function createSegment(db: Database, shop: string, id: string, name = id) {
  await db.segment.create({ data: { shop, id, name, definition: { match: "all", conditions: [] }, builtIn: false } });
}

const day = (date: Date) => new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));

export async function insertMembers(db: Database, shop: string, profiles: readonly MemberProfile[], at: Date): Promise<void> {
  for (const profile of profiles) {
    if (profile.member) {
      await db.member.create({
        data: { shop, customerId: profile.id, status: profile.member, joinedVia: "storefront", joinedAt: new Date(at.getTime() - 30 * 86_400_000), leftAt: profile.member === "left" ? at : null },
      });
    }
    if (profile.push) {
      await db.consentEvent.create({
        data: { shop, id: `${profile.id}-push-granted`, customerId: profile.id, kind: "push", action: "granted", via: "storefront", text: "Send me invitations.", at: new Date(at.getTime() - 20 * 86_400_000) },
      });
      if (profile.push === "withdrawn") {
        await db.consentEvent.create({
          data: { shop, id: `${profile.id}-push-withdrawn`, customerId: profile.id, kind: "push", action: "withdrawn", via: "storefront", text: "Turned off notifications.", at: new Date(at.getTime() - 2 * 86_400_000) },
        });
      }
    }
    if (profile.subscription) {
      const endpoint = `https://push.example.net/${shop}/${profile.id}`;
      await db.pushSubscription.create({
        data: {
          shop,
          id: createHash("sha256").update(endpoint).digest("hex"),
          endpoint,
          p256dh: "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
          auth: "tBHItJI5svbpez7KI4CCXg",
          customerId: profile.id,
          browserId: `browser-${profile.id}-0000000000`,
          keyId: "key-1",
          status: profile.subscription,
          expiredAt: profile.subscription === "expired" ? at : null,
        },
      });
    }
    const lastVisitOn = profile.lastVisitOn ?? day(new Date(at.getTime() - 3 * 86_400_000));
    const firstVisitOn = profile.firstVisitOn ?? day(new Date(at.getTime() - 90 * 86_400_000));
    await db.memberFeature.create({
      data: {
        shop,
        customerId: profile.id,
        firstVisitOn,
        lastVisitOn,
        visitCount: profile.visitCount ?? 12,
        totalSpend: 48,
        avgSpend: 4,
        gapCount: Math.max(0, (profile.visitCount ?? 12) - 1),
        gapMedianDays: profile.gapMedianDays === undefined ? 7 : profile.gapMedianDays,
        pattern: profile.pattern ?? "weekday-morning",
        patternShare: 0.8,
        usualMinute: profile.usualMinute,
        acquisitionWeek: firstVisitOn,
        acquisitionMonth: firstVisitOn,
        dueFrom: profile.dueFrom ?? null,
        dueUntil: profile.dueUntil ?? null,
      },
    });
    if (profile.segment) {
      await db.segmentMembership.create({
        data: { shop, segmentId: profile.segment.id, customerId: profile.id, enteredAt: profile.segment.enteredAt, exitedAt: profile.segment.exitedAt },
      });
    }
  }
}

/** A marketing push another campaign of the shop sent (or will send) the member at `at`. */
export async function otherCampaignPush(db: Database, shop: string, campaignId: string, customerId: string, at: Date): Promise<void> {
  await db.campaign.upsert({
    where: { shop_id: { shop, id: campaignId } },
    create: { shop, id: campaignId, name: "Earlier invitation", kind: "broadcast", status: "completed", variants: [{ id: "a", title: "Hi", body: "Hi", url: "/", weight: 1 }], offer: { type: "tasting", link: "/" } },
    update: {},
  });
  await db.campaignRecipient.create({ data: { shop, campaignId, customerId, arm: "treatment", status: "sent", scheduledFor: at } });
}

export async function insertOrder(db: Database, shop: string, order: { id: string; customerId: string; at: Date; total: number; cancelled?: boolean; refunded?: number }): Promise<void> {
  await db.order.create({
    data: {
      shop,
      id: order.id,
      customerId: order.customerId,
      channel: "pos",
      currency: "GBP",
      totalPrice: order.total,
      refundedAmount: order.refunded ?? 0,
      processedAt: order.at,
      cancelledAt: order.cancelled ? order.at : null,
      shopifyUpdatedAt: order.at,
      source: "webhook",
    },
  });
}
