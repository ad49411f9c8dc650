import { recomputeFeatures } from "../analytics/features.server";
import { rebuildVisits } from "../analytics/visits.server";
import type { Database } from "../db/prisma.server";
import { CliInputError } from "./shop";

/** The analytics commands' shared preconditions: a known shop, and visits and features built from its orders. */

export async function requireShop(db: Database, shop: string): Promise<void> {
  const known = await db.shop.findUnique({ where: { domain: shop }, select: { domain: true } });
  if (!known) {
    throw new CliInputError(
      `Shop ${shop} is not known to Regulars. Install the app on it, or register it with: regulars shop create ${shop} --timezone Area/City --currency XXX`,
    );
  }
}

/**
 * A shop whose orders arrived before the analytics ran (an import, a fresh
 * backfill) has orders but no visits: build visits and member features once,
 * so the command answers instead of reporting an empty cafe.
 */
export async function ensureVisits(db: Database, shop: string): Promise<void> {
  const [visit, feature] = await Promise.all([
    db.visit.findFirst({ where: { shop }, select: { customerId: true } }),
    db.memberFeature.findFirst({ where: { shop }, select: { customerId: true } }),
  ]);
  if (visit && feature) return;
  if (!visit) {
    const order = await db.order.findFirst({ where: { shop, customerId: { not: null }, cancelledAt: null }, select: { id: true } });
    if (!order) return;
    console.error(`${shop} has orders but no visits yet: building visits and member features from its orders first.`);
    await rebuildVisits(db, shop);
  } else {
    console.error(`${shop} has visits but no member features yet: computing them first.`);
  }
  await recomputeFeatures(db, shop);
}
