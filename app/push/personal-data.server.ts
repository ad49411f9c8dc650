import type { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";

/**
 * What push keeps about a customer, for the compliance webhooks
 * (app/compliance/personal-data.server.ts calls these): a data request lists
 * their subscriptions (browser, when, state) and the pushes sent to them;
 * a redaction deletes their subscriptions (an endpoint identifies a device)
 * and moves their deliveries to the same pseudonym as their orders, so
 * campaign results keep their counts without naming anyone.
 */

/** Tables holding a shop's push data, for shop/redact. */
export const PUSH_TABLES = ["PushDelivery", "PushSubscription", "PushKey"] as const;

export async function exportPushData(db: Database | Prisma.TransactionClient, shop: string, customerId: string): Promise<Record<string, unknown>> {
  const [subscriptions, deliveries] = await Promise.all([
    db.pushSubscription.findMany({
      where: { shop, customerId },
      select: { endpoint: true, status: true, userAgent: true, createdAt: true, updatedAt: true, expiredAt: true, lastSuccessAt: true },
      orderBy: { createdAt: "asc" },
    }),
    db.pushDelivery.findMany({
      where: { shop, customerId },
      select: { id: true, kind: true, campaignId: true, payload: true, status: true, scheduledFor: true, sentAt: true, clickedAt: true },
      orderBy: { createdAt: "asc" },
    }),
  ]);
  return { pushSubscriptions: subscriptions, pushDeliveries: deliveries };
}

export async function erasePushData(tx: Prisma.TransactionClient, shop: string, customerId: string, pseudonym: string): Promise<void> {
  await tx.pushSubscription.deleteMany({ where: { shop, customerId } });
  await tx.pushDelivery.updateMany({ where: { shop, customerId }, data: { customerId: pseudonym } });
}
