import { randomUUID } from "node:crypto";
import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { rebuildAliases } from "../merges/aliases.server";
import { erasePushData, exportPushData, PUSH_TABLES } from "../push/personal-data.server";

type Tx = Prisma.TransactionClient;

/**
 * Everything the app holds about one customer, gathered for a
 * customers/data_request. Each feature that stores personal data adds its
 * tables here and to `redactCustomer` (push subscriptions, pickup orders, …).
 */
export async function exportCustomerData(db: Database, shop: string, customerId: string): Promise<Record<string, unknown>> {
  const [customer, member, consents, orders, refunds, push, features, segments, campaigns, pickupHolds, pickupOrders] = await Promise.all([
    db.customer.findUnique({ where: { shop_id: { shop, id: customerId } } }),
    db.member.findUnique({ where: { shop_customerId: { shop, customerId } } }),
    db.consentEvent.findMany({ where: { shop, customerId }, orderBy: { at: "asc" } }),
    ordersWithLineItems(db, shop, customerId),
    db.$queryRaw<Array<{ id: string; orderId: string; amount: string; createdAt: Date }>>`
      SELECT r.id, r."orderId", r.amount::text AS amount, r."createdAt" FROM "Refund" r
      JOIN "Order" o ON o.shop = r.shop AND o.id = r."orderId"
      WHERE r.shop = ${shop} AND o."customerId" = ${customerId}`,
    exportPushData(db, shop, customerId),
    // What the app derived from their visits: rhythm, predictions, segments, campaigns.
    db.memberFeature.findUnique({ where: { shop_customerId: { shop, customerId } } }),
    db.segmentMembership.findMany({ where: { shop, customerId }, orderBy: { enteredAt: "asc" } }),
    db.campaignRecipient.findMany({ where: { shop, customerId }, orderBy: { decidedAt: "asc" } }),
    // Order-ahead: the slots they held and the pickup orders they placed.
    db.pickupHold.findMany({ where: { shop, customerId }, orderBy: { createdAt: "asc" } }),
    db.pickupOrder.findMany({ where: { shop, customerId }, orderBy: { createdAt: "asc" } }),
  ]);
  // Perks given to them at the counter.
  const perkRedemptions = await db.perkRedemption.findMany({ where: { shop, customerId }, orderBy: { redeemedAt: "asc" } });
  // Their member cards (app/cards/): when issued, revoked and last scanned; the secret is a key, not data about them.
  const memberCards = await db.memberCard.findMany({ where: { shop, customerId }, orderBy: { createdAt: "asc" }, select: { ref: true, createdAt: true, revokedAt: true, lastScannedAt: true } });
  // Duplicate merges that name them, and member cards scanned for or on their sales (app/merges/).
  const merges = await exportMergeData(db, shop, customerId);
  // Their usual order and personal suggestions (app/recommend/).
  const memberRecommendations = await db.memberRecommendation.findMany({ where: { shop, customerId }, orderBy: [{ kind: "asc" }, { rank: "asc" }] });
  return JSON.parse(
    JSON.stringify({ ...merges, customer, member, consents, orders, refunds, ...push, memberFeatures: features, segmentMemberships: segments, campaignRecipients: campaigns, pickupHolds, pickupOrders, perkRedemptions, memberCards, memberRecommendations }, (_key, value: unknown) =>
      typeof value === "bigint" ? value.toString() : value,
    ),
  ) as Record<string, unknown>;
}

async function exportMergeData(db: Database, shop: string, customerId: string) {
  const [memberMerges, customerAliases, cardScans] = await Promise.all([
    db.memberMerge.findMany({ where: { shop, OR: [{ survivorId: customerId }, { mergedId: customerId }] }, orderBy: { proposedAt: "asc" } }),
    db.customerAlias.findMany({ where: { shop, OR: [{ customerId }, { survivorId: customerId }] } }),
    db.cardScan.findMany({ where: { shop, OR: [{ customerId }, { saleCustomerId: customerId }] }, orderBy: { scannedAt: "asc" } }),
  ]);
  return { memberMerges, customerAliases, cardScans };
}

/**
 * Merges naming the customer go, and the aliases are rebuilt from the merges
 * left: nothing ties another record to theirs (their orders now belong to a
 * pseudonym that must link to nobody); the next recompute gives those records
 * their own visits back. Card scans of their card go; scans on their sales
 * keep the scan, not them.
 */
async function redactMergeData(tx: Tx, shop: string, customerId: string): Promise<void> {
  await tx.memberMerge.deleteMany({ where: { shop, OR: [{ survivorId: customerId }, { mergedId: customerId }] } });
  await rebuildAliases(tx, shop);
  await tx.cardScan.deleteMany({ where: { shop, customerId } });
  await tx.cardScan.updateMany({ where: { shop, saleCustomerId: customerId }, data: { saleCustomerId: null } });
}

/** The customer's orders, each with its line items (there is no relation to include: docs/decisions/0009-*). */
async function ordersWithLineItems(db: Database, shop: string, customerId: string) {
  const orders = await db.order.findMany({ where: { shop, customerId }, orderBy: { processedAt: "asc" } });
  const lineItems = await db.lineItem.findMany({ where: { shop, orderId: { in: orders.map((order) => order.id) } }, orderBy: [{ orderId: "asc" }, { id: "asc" }] });
  const byOrder = new Map<string, typeof lineItems>();
  for (const item of lineItems) {
    const list = byOrder.get(item.orderId);
    if (list) list.push(item);
    else byOrder.set(item.orderId, [item]);
  }
  return orders.map((order) => ({ ...order, lineItems: byOrder.get(order.id) ?? [] }));
}

/**
 * customers/redact: erases the customer's personal data while keeping the
 * shop's anonymous aggregates right. Their orders stay (visits, revenue and
 * cohorts do not change) but move to a new random id that links to nobody;
 * the customer row keeps no name, email, phone or tags; membership, consent
 * records and anything addressed to them are deleted.
 */
export async function redactCustomer(db: Database, shop: string, customerId: string, orderIds: string[]): Promise<{ pseudonym: string }> {
  const pseudonym = `redacted-${randomUUID()}`;
  await db.$transaction(async (tx) => {
    await moveOrders(tx, shop, customerId, orderIds, pseudonym);
    await tx.$executeRaw`
      UPDATE "Customer" SET id = ${pseudonym}, email = NULL, phone = NULL, "firstName" = NULL, "lastName" = NULL,
        tags = '{}', "emailMarketingState" = NULL, "emailMarketingAt" = NULL, "smsMarketingState" = NULL,
        "smsMarketingAt" = NULL, "redactedAt" = now(), "updatedAt" = now()
      WHERE shop = ${shop} AND id = ${customerId}`;
    // A tombstone under the old id stops a late customers/update from bringing the data back.
    await tx.$executeRaw`
      INSERT INTO "Customer" (shop, id, source, "redactedAt", "createdAt", "updatedAt")
      VALUES (${shop}, ${customerId}, 'webhook', now(), now(), now())
      ON CONFLICT (shop, id) DO UPDATE SET email = NULL, phone = NULL, "firstName" = NULL, "lastName" = NULL,
        tags = '{}', "redactedAt" = now()`;
    // Derived rows follow the orders to the pseudonym, so cohorts, segments and campaign results keep their counts.
    for (const table of ["Visit", "MemberFeature", "SegmentMembership", "CampaignRecipient"] as const) {
      await tx.$executeRaw`UPDATE ${Prisma.raw(`"${table}"`)} SET "customerId" = ${pseudonym} WHERE shop = ${shop} AND "customerId" = ${customerId}`;
    }
    await erasePushData(tx, shop, customerId, pseudonym);
    // Pickup holds and orders keep their places and the queue's history under the pseudonym; a hold's cart and checkout link go.
    await tx.$executeRaw`
      UPDATE "PickupHold" SET "customerId" = ${pseudonym}, "cartId" = NULL, "checkoutUrl" = NULL, "updatedAt" = now()
      WHERE shop = ${shop} AND "customerId" = ${customerId}`;
    await tx.$executeRaw`
      UPDATE "PickupOrder" SET "customerId" = ${pseudonym}, "updatedAt" = now()
      WHERE shop = ${shop} AND ("customerId" = ${customerId} OR "orderId" IN (${orderIds.length > 0 ? Prisma.join(orderIds) : Prisma.sql`NULL`}))`;
    // Perks given stay counted in the weekly report, under the pseudonym.
    await tx.$executeRaw`UPDATE "PerkRedemption" SET "customerId" = ${pseudonym} WHERE shop = ${shop} AND "customerId" = ${customerId}`;
    await redactMergeData(tx, shop, customerId);
    await tx.member.deleteMany({ where: { shop, customerId } });
    // Their usual order and suggestions go; item affinities are counts over everyone's visits and stay.
    await tx.memberRecommendation.deleteMany({ where: { shop, customerId } });
    // Their member cards go: a card's ref would otherwise still name them at the counter.
    await tx.memberCard.deleteMany({ where: { shop, customerId } });
    await tx.consentEvent.deleteMany({ where: { shop, customerId } });
    // Earlier data-request exports are copies of the same data.
    await tx.complianceRequest.deleteMany({ where: { shop, customerId } });
    // Deliveries waiting to be applied (or set aside) still carry the payload Shopify sent.
    const about = await deliveriesAbout(tx, shop, customerId);
    if (about.length > 0) {
      await tx.$executeRaw`
        UPDATE "WebhookDelivery" SET payload = NULL, status = 'failed', error = 'erased by customers/redact'
        WHERE shop = ${shop} AND "eventId" IN (${Prisma.join(about)})`;
    }
  });
  return { pseudonym };
}

/**
 * The unapplied deliveries whose payload is about this customer (its `id`,
 * or its `customer.id`). The payloads are read as text and parsed here, not
 * navigated in SQL: a payload that is valid JSON but holds a lone surrogate
 * escape (accepted at intake, set aside by the drain) makes PostgreSQL's
 * `->>` fail for the whole statement, which would block every redaction of
 * the shop.
 */
async function deliveriesAbout(tx: Tx, shop: string, customerId: string): Promise<string[]> {
  const rows = await tx.$queryRaw<Array<{ eventId: string; payload: string }>>`
    SELECT "eventId", payload::text AS payload FROM "WebhookDelivery"
    WHERE shop = ${shop} AND payload IS NOT NULL AND status <> 'processed'
      AND topic NOT IN ('customers/redact', 'customers/data_request', 'shop/redact')`;
  // As `->>` reads them: a string as it is, a whole number as its digits (Shopify's ids are well inside 2^53).
  const idOf = (value: unknown): string | null => (typeof value === "string" ? value : Number.isSafeInteger(value) ? String(value) : null);
  return rows.flatMap((row) => {
    let payload: unknown;
    try {
      payload = JSON.parse(row.payload);
    } catch {
      return [];
    }
    if (typeof payload !== "object" || payload === null) return [];
    const record = payload as { id?: unknown; customer?: unknown };
    const customer = typeof record.customer === "object" && record.customer !== null ? (record.customer as { id?: unknown }).id : undefined;
    return idOf(record.id) === customerId || idOf(customer) === customerId ? [row.eventId] : [];
  });
}

async function moveOrders(tx: Tx, shop: string, customerId: string, orderIds: string[], pseudonym: string): Promise<void> {
  // Note attributes can carry names (pickup notes); they go with the rest.
  await tx.$executeRaw`
    UPDATE "Order" SET "customerId" = ${pseudonym}, "noteAttributes" = '[]'::jsonb, "updatedAt" = now()
    WHERE shop = ${shop} AND ("customerId" = ${customerId}
      OR id IN (${orderIds.length > 0 ? Prisma.join(orderIds) : Prisma.sql`NULL`}))`;
}

/** Every table holding shop data, for shop/redact and its test. Session and Shop are keyed differently. */
export const SHOP_TABLES = [
  "ShopHeartbeat",
  "Location",
  "Customer",
  "LineItem",
  "Order",
  "Refund",
  "WebhookDelivery",
  "BackfillRun",
  "ImportStagedOrder",
  "ImportUpload",
  "ImportRun",
  "Member",
  "ConsentEvent",
  "ComplianceRequest",
  "SegmentMembership",
  "Segment",
  "Visit",
  "MemberFeature",
  "ModelFit",
  "CohortSnapshot",
  "AnalyticsRun",
  "ShopSettings",
  "CampaignRecipient",
  "Campaign",
  "PickupOrder",
  "PickupHold",
  "PickupSlot",
  "PickupMenuItem",
  "PickupSettings",
  "WeeklyReportAsset",
  "WeeklyReport",
  "AuditEvent",
  "MemberCard",
  "CardScan",
  "MemberMerge",
  "CustomerAlias",
  "PerkRedemption",
  "PerkProgram",
  "MemberRecommendation",
  "ItemAffinity",
  "RecommendItem",
  ...PUSH_TABLES,
  "Session",
] as const;

/** shop/redact (48 hours after uninstall): every row of the shop is deleted. */
export async function redactShop(db: Database, shop: string): Promise<void> {
  await db.$transaction(async (tx) => {
    for (const table of SHOP_TABLES) {
      await tx.$executeRaw`DELETE FROM ${Prisma.raw(`"${table}"`)} WHERE shop = ${shop}`;
    }
    await tx.shop.deleteMany({ where: { domain: shop } });
  });
}
