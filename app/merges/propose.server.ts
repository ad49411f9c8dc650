import { randomUUID } from "node:crypto";
import type { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { aliasesOf } from "./aliases.server";
import { countryOfPhones, countryOfZone, maskEmail, maskPhone, normaliseEmail, normalisePhone } from "./normalise";

/**
 * Merge proposals from evidence (docs/merges.md): two customers of a shop are
 * proposed as one person when their emails or phones are the same once
 * normalised (./normalise.ts), or when a member's card was scanned on a sale
 * that already carried the other customer (CardScan). Names never propose:
 * two Jane Smiths are two people until something they own says otherwise.
 *
 * Idempotent: a pair already proposed, confirmed, rejected or undone — in
 * either order — is not proposed again, so a rejection stands.
 */

export type EvidenceKind = "email" | "phone" | "card";
export interface Evidence {
  kind: EvidenceKind;
  /** What matched, masked for the owner's eyes (ja…@example.com, +44…123, card ABCD on 2025-03-01). */
  detail: string;
}

/** A contact value shared by more profiles than this is a shop's placeholder or a shared line, not one person's. */
export const MAX_SHARED_CONTACT = 3;

export interface ProposeResult {
  /** New proposals written by this run. */
  proposed: number;
  /** Pairs with evidence that were already known (any status). */
  known: number;
  /** Contact values skipped because more than MAX_SHARED_CONTACT customers share them. */
  sharedSkipped: number;
  /** The country national phone numbers were read in, or null (national numbers were then ignored). */
  phoneCountry: string | null;
}

interface CustomerRow {
  id: string;
  email: string | null;
  phone: string | null;
  created: Date;
}

export async function proposeMerges(db: Database, shop: string, now: Date = new Date()): Promise<ProposeResult> {
  const [shopRow, customers, scans, merges] = await Promise.all([
    db.shop.findUnique({ where: { domain: shop }, select: { timezone: true } }),
    db.$queryRaw<CustomerRow[]>`
      SELECT id, email, phone, COALESCE("shopifyCreatedAt", "createdAt") AS created FROM "Customer"
      WHERE shop = ${shop} AND "deletedAt" IS NULL AND "redactedAt" IS NULL AND (email IS NOT NULL OR phone IS NOT NULL)`,
    db.cardScan.findMany({
      where: { shop, saleCustomerId: { not: null } },
      select: { cardRef: true, customerId: true, saleCustomerId: true, scannedAt: true },
      orderBy: { scannedAt: "asc" },
    }),
    db.memberMerge.findMany({ where: { shop }, select: { id: true, survivorId: true, mergedId: true, status: true } }),
  ]);
  const phoneCountry = (shopRow ? countryOfZone(shopRow.timezone) : null) ?? countryOfPhones(customers.flatMap((c) => (c.phone ? [c.phone] : [])));
  // Evidence is between the people the customers stand for now: merged customers count as their survivor.
  const aliases = aliasesOf(merges.filter((merge) => merge.status === "confirmed"));
  const person = (id: string) => aliases.get(id)?.survivorId ?? id;

  const evidence = new Map<string, { a: string; b: string; evidence: Evidence[] }>();
  const addEvidence = (x: string, y: string, item: Evidence) => {
    const [a, b] = [person(x), person(y)].sort() as [string, string];
    if (a === b) return;
    const key = `${a}\n${b}`;
    const entry = evidence.get(key) ?? { a, b, evidence: [] };
    if (!entry.evidence.some((known) => known.kind === item.kind && known.detail === item.detail)) entry.evidence.push(item);
    evidence.set(key, entry);
  };

  let sharedSkipped = 0;
  const byContact = (kind: "email" | "phone", value: (row: CustomerRow) => string | null, mask: (value: string) => string) => {
    const groups = new Map<string, string[]>();
    for (const row of customers) {
      const key = value(row);
      if (key !== null) groups.set(key, [...(groups.get(key) ?? []), row.id]);
    }
    for (const [key, ids] of groups) {
      if (ids.length < 2) continue;
      if (ids.length > MAX_SHARED_CONTACT) {
        sharedSkipped++;
        continue;
      }
      for (let i = 0; i < ids.length; i++) for (let j = i + 1; j < ids.length; j++) addEvidence(ids[i] ?? "", ids[j] ?? "", { kind, detail: mask(key) });
    }
  };
  byContact("email", (row) => normaliseEmail(row.email), maskEmail);
  byContact("phone", (row) => normalisePhone(row.phone, phoneCountry), maskPhone);
  for (const scan of scans) {
    if (scan.saleCustomerId === null || scan.saleCustomerId === scan.customerId) continue;
    addEvidence(scan.customerId, scan.saleCustomerId, { kind: "card", detail: `card ${scan.cardRef.slice(0, 4)}… scanned on ${scan.scannedAt.toISOString().slice(0, 10)}` });
  }
  if (evidence.size === 0) return { proposed: 0, known: 0, sharedSkipped, phoneCountry };

  const knownPairs = new Set(merges.map((merge) => [merge.survivorId, merge.mergedId].sort().join("\n")));
  const fresh = [...evidence.values()].filter((pair) => !knownPairs.has(`${pair.a}\n${pair.b}`));
  const ranks = await survivorRanks(db, shop, fresh.flatMap((pair) => [pair.a, pair.b]));
  const rows: Prisma.MemberMergeCreateManyInput[] = fresh.map((pair) => {
    const [survivorId, mergedId] = compareSurvivors(ranks.get(pair.a), ranks.get(pair.b)) <= 0 ? [pair.a, pair.b] : [pair.b, pair.a];
    return { shop, id: randomUUID(), survivorId, mergedId, status: "proposed", evidence: pair.evidence as unknown as Prisma.InputJsonValue, proposedAt: now };
  });
  // skipDuplicates: a concurrent run proposing the same pair in the same order leaves one row.
  const written = rows.length === 0 ? { count: 0 } : await db.memberMerge.createMany({ data: rows, skipDuplicates: true });
  return { proposed: written.count, known: evidence.size - fresh.length, sharedSkipped, phoneCountry };
}

interface SurvivorRank {
  id: string;
  visits: number;
  created: Date | null;
}

/** Visits (as the Visit table counts them) and creation time of each customer. */
async function survivorRanks(db: Database, shop: string, ids: string[]): Promise<Map<string, SurvivorRank>> {
  if (ids.length === 0) return new Map();
  const rows = await db.$queryRaw<SurvivorRank[]>`
    SELECT c.id, COALESCE(v.n, 0)::int AS visits, COALESCE(c."shopifyCreatedAt", c."createdAt") AS created
    FROM "Customer" c
    LEFT JOIN (SELECT "customerId", count(*) AS n FROM "Visit" WHERE shop = ${shop} AND "customerId" = ANY(${ids}::text[]) GROUP BY "customerId") v
      ON v."customerId" = c.id
    WHERE c.shop = ${shop} AND c.id = ANY(${ids}::text[])`;
  return new Map(rows.map((row) => [row.id, row]));
}

/** Negative when `a` should survive: more visits, then the older record, then the smaller id (so reruns agree). */
export function compareSurvivors(a: SurvivorRank | undefined, b: SurvivorRank | undefined): number {
  const visits = (b?.visits ?? 0) - (a?.visits ?? 0);
  if (visits !== 0) return visits;
  const created = (a?.created?.getTime() ?? Infinity) - (b?.created?.getTime() ?? Infinity);
  if (created !== 0 && !Number.isNaN(created)) return created;
  return (a?.id ?? "").localeCompare(b?.id ?? "");
}
