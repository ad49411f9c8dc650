import type { Prisma } from "../../db/generated/client";
import type { Database } from "../../db/prisma.server";
import { localDateText } from "./compile";
import { parseSegmentDefinition, type SegmentIssue } from "./definition";
import { compileForShop } from "./store.server";

export const PREVIEW_MAX_MEMBERS = 500;

export interface PreviewMember {
  customerId: string;
  /** First and last name, or null when unknown or erased. */
  name: string | null;
  email: string | null;
  member: boolean;
  visitCount: number;
  lastVisitOn: string;
  daysSinceLastVisit: number;
  pattern: string;
  usualGapDays: number | null;
  pAlive: number | null;
}

export type PreviewResult =
  | { ok: true; asOf: string; count: number; members: PreviewMember[] }
  | { ok: false; issues: SegmentIssue[] };

/**
 * How many of the shop's customers a definition matches as of a date, and
 * optionally the first `limit` of them (most recent visit first). An invalid
 * definition comes back as issues, never as an exception.
 */
export async function previewSegment(
  db: Database,
  shop: string,
  definition: unknown,
  options: { asOf: Date; limit?: number },
): Promise<PreviewResult> {
  const limit = options.limit ?? 0;
  if (!Number.isInteger(limit) || limit < 0 || limit > PREVIEW_MAX_MEMBERS) {
    throw new RangeError(`preview limit must be a whole number from 0 to ${PREVIEW_MAX_MEMBERS} (got ${limit})`);
  }
  const asOf = localDateText(options.asOf);
  const parsed = parseSegmentDefinition(definition);
  if (!parsed.ok) return parsed;
  const compiled = await compileForShop(db, shop, parsed.definition, { asOf: options.asOf });
  if (!compiled.ok) return compiled;

  const [{ count } = { count: 0 }] = await db.$queryRaw<Array<{ count: number }>>`
    SELECT count(*)::int AS count FROM "MemberFeature" f WHERE ${compiled.where}`;
  const members = limit === 0 ? [] : await firstMembers(db, compiled.where, asOf, limit);
  return { ok: true, asOf, count, members };
}

async function firstMembers(db: Database, where: Prisma.Sql, asOf: string, limit: number): Promise<PreviewMember[]> {
  return db.$queryRaw<PreviewMember[]>`
    SELECT f."customerId",
           NULLIF(trim(concat_ws(' ', c."firstName", c."lastName")), '') AS name,
           c.email,
           EXISTS (SELECT 1 FROM "Member" m WHERE m.shop = f.shop AND m."customerId" = f."customerId" AND m.status = 'active') AS member,
           f."visitCount",
           to_char(f."lastVisitOn", 'YYYY-MM-DD') AS "lastVisitOn",
           (${asOf}::date - f."lastVisitOn") AS "daysSinceLastVisit",
           f.pattern,
           f."usualGapDays",
           f."pAlive"
    FROM "MemberFeature" f
    LEFT JOIN "Customer" c ON c.shop = f.shop AND c.id = f."customerId"
    WHERE ${where}
    ORDER BY f."lastVisitOn" DESC, f."customerId"
    LIMIT ${limit}`;
}
