import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";

/**
 * CustomerAlias holds the confirmed merges in effect, flattened: every merged
 * customer points straight at the customer that stands for the person (never
 * at another merged one), so one join maps an order's customer to its member.
 * The table is derived from the confirmed MemberMerge rows (`rebuildAliases`).
 */

/** The customer whose visits this customer's orders count as: itself when not merged. */
export async function survivorOf(db: Pick<Database, "customerAlias">, shop: string, customerId: string): Promise<string> {
  const alias = await db.customerAlias.findUnique({ where: { shop_customerId: { shop, customerId } }, select: { survivorId: true } });
  return alias?.survivorId ?? customerId;
}

/** A confirmed merge, as the alias rebuild needs it. */
export interface ConfirmedMerge {
  id: string;
  survivorId: string;
  mergedId: string;
}

/**
 * The aliases the confirmed merges make: each merged customer → the end of
 * its chain of survivors (A merged into B, B into C: A → C). Confirming never
 * lets a customer be merged twice or into itself, so chains end; a cycle
 * would still stop here rather than loop.
 */
export function aliasesOf(merges: readonly ConfirmedMerge[]): Map<string, { survivorId: string; mergeId: string }> {
  const parent = new Map(merges.map((merge) => [merge.mergedId, merge]));
  const aliases = new Map<string, { survivorId: string; mergeId: string }>();
  for (const merge of merges) {
    let survivor = merge.survivorId;
    const seen = new Set([merge.mergedId]);
    for (let next = parent.get(survivor); next && !seen.has(next.mergedId); next = parent.get(survivor)) {
      seen.add(next.mergedId);
      survivor = next.survivorId;
    }
    aliases.set(merge.mergedId, { survivorId: survivor, mergeId: merge.id });
  }
  return aliases;
}

type AliasTx = Pick<Prisma.TransactionClient, "memberMerge" | "customerAlias">;

/**
 * Brings CustomerAlias in line with the shop's confirmed merges and returns
 * every customer whose visits move: merged customers whose survivor changed,
 * and their old and new survivors. Run inside the transaction that changed a
 * merge's status.
 */
export async function rebuildAliases(tx: AliasTx, shop: string): Promise<string[]> {
  const [confirmed, stored] = await Promise.all([
    tx.memberMerge.findMany({ where: { shop, status: "confirmed" }, select: { id: true, survivorId: true, mergedId: true } }),
    tx.customerAlias.findMany({ where: { shop } }),
  ]);
  const wanted = aliasesOf(confirmed);
  const affected = new Set<string>();
  for (const alias of stored) {
    const next = wanted.get(alias.customerId);
    if (next?.survivorId === alias.survivorId && next.mergeId === alias.mergeId) continue;
    affected.add(alias.customerId).add(alias.survivorId);
    if (next) {
      affected.add(next.survivorId);
      await tx.customerAlias.update({ where: { shop_customerId: { shop, customerId: alias.customerId } }, data: next });
    } else {
      await tx.customerAlias.delete({ where: { shop_customerId: { shop, customerId: alias.customerId } } });
    }
  }
  const present = new Set(stored.map((alias) => alias.customerId));
  for (const [customerId, next] of wanted) {
    if (present.has(customerId)) continue;
    affected.add(customerId).add(next.survivorId);
    await tx.customerAlias.create({ data: { shop, customerId, ...next } });
  }
  return [...affected].sort();
}

/**
 * SQL: the customers whose orders make the visits of `ids`'s members — the
 * ids themselves, their survivors, and every customer aliased to either.
 * Aliases are flat (see above), so one step each way reaches all of them.
 */
export function membersOfSql(shop: string, ids: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`
    SELECT id FROM unnest(${ids}) AS id
    UNION SELECT a."survivorId" FROM "CustomerAlias" a WHERE a.shop = ${shop} AND a."customerId" = ANY(${ids})
    UNION SELECT b."customerId" FROM "CustomerAlias" b WHERE b.shop = ${shop}
      AND b."survivorId" IN (SELECT id FROM unnest(${ids}) AS id
        UNION SELECT c."survivorId" FROM "CustomerAlias" c WHERE c.shop = ${shop} AND c."customerId" = ANY(${ids}))`;
}

/** The customers whose orders make these customers' visits (see `membersOfSql`), sorted. */
export async function membersWithAliases(db: Database, shop: string, customerIds: readonly string[]): Promise<string[]> {
  if (customerIds.length === 0) return [];
  const rows = await db.$queryRaw<{ id: string }[]>`SELECT id FROM (${membersOfSql(shop, Prisma.sql`${[...customerIds]}::text[]`)}) m ORDER BY id`;
  return rows.map((row) => row.id);
}

/** Whether the shop has any merge in effect: the whole-shop visit rebuild joins aliases only then. */
export async function shopHasAliases(db: Pick<Database, "customerAlias">, shop: string): Promise<boolean> {
  return (await db.customerAlias.findFirst({ where: { shop }, select: { shop: true } })) !== null;
}
