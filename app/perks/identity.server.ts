import type { Database } from "../db/prisma.server";
import { survivorOf } from "../merges/aliases.server";

/**
 * Who a customer id stands for once duplicates are merged: the surviving
 * customer, and every id merged into it. Visits move to the survivor when a
 * merge is applied; rows written before it (a perk redeemed under the old id,
 * a segment stay) are still found through the merged-away ids.
 */
export interface MemberIdentity {
  survivorId: string;
  /** The survivor first, then the ids merged into it. */
  ids: string[];
}

type Reader = Pick<Database, "customerAlias">;

export async function memberIdentity(db: Database, shop: string, customerId: string): Promise<MemberIdentity> {
  const survivorId = await survivorOf(db, shop, customerId);
  return { survivorId, ids: [survivorId, ...(await mergedInto(db, shop, survivorId))] };
}

async function mergedInto(db: Reader, shop: string, survivorId: string): Promise<string[]> {
  const aliases = await db.customerAlias.findMany({ where: { shop, survivorId }, select: { customerId: true }, orderBy: { customerId: "asc" } });
  return aliases.map((alias) => alias.customerId).filter((id) => id !== survivorId);
}
