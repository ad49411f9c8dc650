import { z } from "zod";
import type { Database } from "../db/prisma.server";
import type { Evidence } from "./propose.server";

/** The merges page's rows: who the two customers are, in cafe terms, and why they were proposed. */

export interface MergeSide {
  customerId: string;
  name: string | null;
  visits: number;
}

export interface MergeRow {
  id: string;
  status: "proposed" | "confirmed" | "rejected" | "undone";
  survivor: MergeSide;
  merged: MergeSide;
  evidence: Evidence[];
  proposedAt: string;
  decidedAt: string | null;
  undoneAt: string | null;
}

const evidenceSchema = z.array(z.object({ kind: z.enum(["email", "phone", "card"]), detail: z.string() }));
const statusSchema = z.enum(["proposed", "confirmed", "rejected", "undone"]);

export const MERGE_HISTORY_SIZE = 50;

export async function listMerges(db: Database, shop: string): Promise<{ proposed: MergeRow[]; history: MergeRow[] }> {
  const [proposed, history] = await Promise.all([
    db.memberMerge.findMany({ where: { shop, status: "proposed" }, orderBy: [{ proposedAt: "desc" }, { id: "asc" }], take: 200 }),
    db.memberMerge.findMany({
      where: { shop, status: { not: "proposed" } },
      orderBy: [{ decidedAt: "desc" }, { id: "asc" }],
      take: MERGE_HISTORY_SIZE,
    }),
  ]);
  const ids = [...new Set([...proposed, ...history].flatMap((merge) => [merge.survivorId, merge.mergedId]))];
  const [customers, visits] = await Promise.all([
    db.customer.findMany({ where: { shop, id: { in: ids } }, select: { id: true, firstName: true, lastName: true } }),
    // Visits as the orders make them, whoever they count for now: the owner compares the two profiles.
    db.$queryRaw<{ customerId: string; visits: number }[]>`
      SELECT "customerId", count(*)::int AS visits FROM (
        SELECT DISTINCT "customerId", (("processedAt" AT TIME ZONE 'UTC') AT TIME ZONE sh.timezone)::date, COALESCE("locationId", 'online')
        FROM "Order" o JOIN "Shop" sh ON sh.domain = o.shop
        WHERE o.shop = ${shop} AND o."customerId" = ANY(${ids}::text[]) AND o."cancelledAt" IS NULL) d
      GROUP BY "customerId"`,
  ]);
  const names = new Map(customers.map((c) => [c.id, [c.firstName, c.lastName].filter(Boolean).join(" ") || null]));
  const counts = new Map(visits.map((row) => [row.customerId, row.visits]));
  const side = (customerId: string): MergeSide => ({ customerId, name: names.get(customerId) ?? null, visits: counts.get(customerId) ?? 0 });
  const row = (merge: (typeof proposed)[number]): MergeRow => ({
    id: merge.id,
    status: statusSchema.parse(merge.status),
    survivor: side(merge.survivorId),
    merged: side(merge.mergedId),
    evidence: evidenceSchema.catch([]).parse(merge.evidence),
    proposedAt: merge.proposedAt.toISOString(),
    decidedAt: merge.decidedAt?.toISOString() ?? null,
    undoneAt: merge.undoneAt?.toISOString() ?? null,
  });
  return { proposed: proposed.map(row), history: history.map(row) };
}
