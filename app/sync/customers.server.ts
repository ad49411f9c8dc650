import type { Database } from "../db/prisma.server";
import type { SyncSource, SyncedCustomer } from "./types";
import type { UpsertOutcome } from "./orders.server";

/**
 * Stores a customer idempotently: written when new or when its `updated_at`
 * is newer than the one held (an imported customer, with none, yields to any
 * Shopify version). A deleted or redacted customer is never brought back.
 */
export async function upsertCustomer(
  db: Database,
  shop: string,
  customer: SyncedCustomer,
  source: SyncSource,
): Promise<UpsertOutcome> {
  const rows = await db.$queryRaw<Array<{ inserted: boolean }>>`
    INSERT INTO "Customer" (shop, id, email, phone, "firstName", "lastName", "emailMarketingState",
      "emailMarketingAt", "smsMarketingState", "smsMarketingAt", tags, "shopifyCreatedAt", "shopifyUpdatedAt",
      source, "createdAt", "updatedAt")
    VALUES (${shop}, ${customer.id}, ${customer.email}, ${customer.phone}, ${customer.firstName},
      ${customer.lastName}, ${customer.emailMarketingState}, ${customer.emailMarketingAt},
      ${customer.smsMarketingState}, ${customer.smsMarketingAt}, ${customer.tags}::text[],
      ${customer.shopifyCreatedAt}, ${customer.shopifyUpdatedAt}, ${source}, now(), now())
    ON CONFLICT (shop, id) DO UPDATE SET
      email = EXCLUDED.email, phone = EXCLUDED.phone, "firstName" = EXCLUDED."firstName",
      "lastName" = EXCLUDED."lastName", "emailMarketingState" = EXCLUDED."emailMarketingState",
      "emailMarketingAt" = EXCLUDED."emailMarketingAt", "smsMarketingState" = EXCLUDED."smsMarketingState",
      "smsMarketingAt" = EXCLUDED."smsMarketingAt", tags = EXCLUDED.tags,
      "shopifyCreatedAt" = EXCLUDED."shopifyCreatedAt", "shopifyUpdatedAt" = EXCLUDED."shopifyUpdatedAt",
      source = EXCLUDED.source, "updatedAt" = now()
    WHERE "Customer"."deletedAt" IS NULL AND "Customer"."redactedAt" IS NULL
      AND COALESCE("Customer"."shopifyUpdatedAt", '-infinity'::timestamp) < COALESCE(EXCLUDED."shopifyUpdatedAt", '-infinity'::timestamp)
    RETURNING (xmax = 0) AS inserted`;
  const row = rows[0];
  if (!row) return "stale";
  return row.inserted ? "created" : "updated";
}

/** customers/delete: keeps the row (orders still point at it) but marks it gone; later updates cannot revive it. */
export async function markCustomerDeleted(db: Database, shop: string, customerId: string, at: Date): Promise<void> {
  await db.$executeRaw`
    INSERT INTO "Customer" (shop, id, source, "deletedAt", "createdAt", "updatedAt")
    VALUES (${shop}, ${customerId}, 'webhook', ${at}, now(), now())
    ON CONFLICT (shop, id) DO UPDATE SET "deletedAt" = COALESCE("Customer"."deletedAt", EXCLUDED."deletedAt"), "updatedAt" = now()`;
}
