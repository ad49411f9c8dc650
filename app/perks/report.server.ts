import type { Database } from "../db/prisma.server";

/**
 * Perks given in a span of time, per program, for the weekly report: how
 * much the cafe gave instead of discounts. Programs without a redemption in
 * the span are left out; a program deleted since keeps its id as its name.
 */

export interface PerkRedemptionCount {
  programId: string;
  name: string;
  kind: string;
  redeemed: number;
}

/** Redemptions with start ≤ redeemedAt < end, most given first. */
export async function perkRedemptionsBetween(db: Database, shop: string, span: { start: Date; end: Date }): Promise<PerkRedemptionCount[]> {
  const counts = await db.perkRedemption.groupBy({
    by: ["programId"],
    where: { shop, redeemedAt: { gte: span.start, lt: span.end } },
    _count: { _all: true },
  });
  if (counts.length === 0) return [];
  const programs = await db.perkProgram.findMany({ where: { shop, id: { in: counts.map((row) => row.programId) } }, select: { id: true, name: true, kind: true } });
  const byId = new Map(programs.map((program) => [program.id, program]));
  return counts
    .map((row) => ({ programId: row.programId, name: byId.get(row.programId)?.name ?? row.programId, kind: byId.get(row.programId)?.kind ?? "unknown", redeemed: row._count._all }))
    .sort((a, b) => b.redeemed - a.redeemed || a.name.localeCompare(b.name) || a.programId.localeCompare(b.programId));
}
