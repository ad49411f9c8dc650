import type { Database } from "../db/prisma.server";
import type { AdminApi } from "../shopify/admin-api.server";
import { findMember } from "./membership.server";
import { readShopifyMembership, writeShopifyMembership } from "./shopify-admin.server";
import { desiredShopifyMembership, hasWrites, planShopifyWrites } from "./shopify-fields";
import type { MemberRecord } from "./types";

/**
 * Writes a customer's membership, as it is now, to Shopify. It never replays
 * an event ("add the tag"), it compares Shopify with the Member row and writes
 * the difference, so a retried, duplicated or late job is harmless.
 *
 * Two sync jobs for one customer may run at once (join, then leave, on
 * different workers). Whichever finishes last re-reads the Member row after
 * writing; if it changed meanwhile, it writes again. So the last write to
 * Shopify is always of the latest state.
 */

export interface MembershipSyncOutcome {
  shop: string;
  customerId: string;
  status: "active" | "left" | "none";
  /** Writes made on the last pass ("tagsAdd", "metafieldsSet", …); empty when Shopify was already right. */
  writes: string[];
  passes: number;
}

/** The Member row kept changing under the sync; the job is retried later. */
export class MembershipChangedDuringSyncError extends Error {
  constructor(shop: string, customerId: string) {
    super(`membership of ${customerId} in ${shop} kept changing during sync`);
    this.name = "MembershipChangedDuringSyncError";
  }
}

const MAX_PASSES = 3;

export async function syncMembershipToShopify(
  db: Database,
  api: AdminApi,
  input: { shop: string; customerId: string; now: () => Date },
): Promise<MembershipSyncOutcome> {
  const { shop, customerId } = input;
  for (let pass = 1; pass <= MAX_PASSES; pass++) {
    const member = await findMember(db, shop, customerId);
    const writes = planShopifyWrites(await readShopifyMembership(api, customerId), desiredShopifyMembership(member));
    if (hasWrites(writes)) await writeShopifyMembership(api, customerId, writes);
    if (await recordSynced(db, shop, customerId, member, input.now())) {
      return {
        shop,
        customerId,
        status: member ? (member.status === "active" ? "active" : "left") : "none",
        writes: [
          ...(writes.addTag ? ["tagsAdd"] : []),
          ...(writes.removeTag ? ["tagsRemove"] : []),
          ...(writes.setMetafield !== null ? ["metafieldsSet"] : []),
          ...(writes.deleteMetafield ? ["metafieldsDelete"] : []),
        ],
        passes: pass,
      };
    }
  }
  throw new MembershipChangedDuringSyncError(shop, customerId);
}

/**
 * Marks the row synced only if it is still the version that was written
 * (status and updatedAt unchanged); false means it moved on and needs another pass.
 * syncedToShopifyAt is never earlier than updatedAt, so "synced" reads as
 * syncedToShopifyAt >= updatedAt whatever the clocks.
 */
async function recordSynced(db: Database, shop: string, customerId: string, written: MemberRecord | null, now: Date): Promise<boolean> {
  if (!written) return (await findMember(db, shop, customerId)) === null;
  const updated = await db.$executeRaw`
    UPDATE "Member" SET "syncedToShopifyAt" = GREATEST(${now}::timestamp, "updatedAt")
    WHERE shop = ${shop} AND "customerId" = ${customerId}
      AND status = ${written.status} AND "updatedAt" = ${written.updatedAt}::timestamp`;
  return updated === 1;
}
