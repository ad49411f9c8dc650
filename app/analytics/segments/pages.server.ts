import { shopAnalyticsSettings } from "../dayparts";
import { localDateOf } from "../local-dates";
import type { Database } from "../../db/prisma.server";
import { recordAudit } from "../../audit/audit.server";
import { formatIssue, type SegmentIssue } from "./definition";
import { refreshSegments } from "./materialise.server";
import { previewSegment } from "./preview.server";
import { saveSegment } from "./store.server";

/**
 * What the admin's segment pages read and write, every query scoped by the
 * signed-in shop: the list with member counts, the builder's live count (the
 * same validation and compiler as `regulars segments preview`), saving with
 * an audit event, one segment's members a page at a time (keyset on the
 * customer id), and the members as CSV rows.
 */

/** The largest definition text the builder may send. */
export const MAX_DEFINITION_BYTES = 20_000;

export interface SegmentListRow {
  id: string;
  name: string;
  description: string | null;
  builtIn: boolean;
  memberCount: number;
  refreshedAt: string | null;
}

export async function listSegmentsForPage(db: Database, shop: string): Promise<SegmentListRow[]> {
  const rows = await db.segment.findMany({
    where: { shop },
    orderBy: [{ builtIn: "desc" }, { name: "asc" }, { id: "asc" }],
    select: { id: true, name: true, description: true, builtIn: true, memberCount: true, refreshedAt: true },
  });
  return rows.map((row) => ({ ...row, refreshedAt: row.refreshedAt?.toISOString() ?? null }));
}

/** The shop's "today" in its own calendar, the as-of date of counts and refreshes. */
export async function shopToday(db: Database, shop: string, now: Date = new Date()): Promise<Date> {
  const { timezone } = await shopAnalyticsSettings(db, shop);
  return localDateOf(now, timezone);
}

export type DefinitionText = { ok: true; definition: unknown } | { ok: false; messages: string[] };

/** JSON text from the builder, size-limited before it is parsed. */
export function readDefinitionText(text: unknown): DefinitionText {
  if (typeof text !== "string" || text.trim() === "") return { ok: false, messages: ["definition: write a segment definition (JSON)"] };
  if (Buffer.byteLength(text, "utf8") > MAX_DEFINITION_BYTES) return { ok: false, messages: [`definition: at most ${MAX_DEFINITION_BYTES.toLocaleString("en")} bytes`] };
  try {
    return { ok: true, definition: JSON.parse(text) };
  } catch (error) {
    return { ok: false, messages: [`definition: not valid JSON (${error instanceof Error ? error.message : "parse error"})`] };
  }
}

export type CountOutcome = { ok: true; count: number; asOf: string } | { ok: false; messages: string[] };

export async function countDefinition(db: Database, shop: string, text: unknown, now: Date = new Date()): Promise<CountOutcome> {
  const read = readDefinitionText(text);
  if (!read.ok) return read;
  const result = await previewSegment(db, shop, read.definition, { asOf: await shopToday(db, shop, now) });
  if (!result.ok) return { ok: false, messages: issueMessages(result.issues) };
  return { ok: true, count: result.count, asOf: result.asOf };
}

function issueMessages(issues: readonly SegmentIssue[]): string[] {
  return issues.map(formatIssue);
}

export type CreateOutcome = { ok: true; segmentId: string; memberCount: number } | { ok: false; messages: string[] };

/** Saves a new segment, audits it, and brings memberships up to date so its page shows its members at once. */
export async function createSegmentFromForm(
  db: Database,
  shop: string,
  actor: string,
  form: { name: unknown; description: unknown; definition: unknown },
  now: Date = new Date(),
): Promise<CreateOutcome> {
  const read = readDefinitionText(form.definition);
  const name = typeof form.name === "string" ? form.name : "";
  const description = typeof form.description === "string" ? form.description : "";
  if (!read.ok) return { ok: false, messages: [...(name.trim() === "" ? ["name: must be 1 to 80 characters"] : []), ...read.messages] };
  const saved = await saveSegment(db, shop, { name, description, definition: read.definition });
  if (!saved.ok) return { ok: false, messages: issueMessages(saved.issues) };
  await recordAudit(db, { shop, actor, action: "segment.create", target: `segment:${saved.segmentId}`, details: { name: name.trim(), definition: JSON.parse(JSON.stringify(read.definition)) } });
  await refreshSegments(db, shop, { asOf: await shopToday(db, shop, now) });
  const row = await db.segment.findUnique({ where: { shop_id: { shop, id: saved.segmentId } }, select: { memberCount: true } });
  return { ok: true, segmentId: saved.segmentId, memberCount: row?.memberCount ?? 0 };
}

export interface SegmentMemberRow {
  customerId: string;
  name: string | null;
  email: string | null;
  member: boolean;
  visitCount: number | null;
  lastVisitOn: string | null;
  pattern: string | null;
  enteredAt: string;
}

export const MEMBERS_PAGE_SIZE = 50;
const CUSTOMER_ID = /^[A-Za-z0-9_.:-]{1,100}$/;

/** A members-page cursor (the last customer id shown), or null when it is not one. */
export function membersCursor(text: string | null): string | null {
  return text !== null && CUSTOMER_ID.test(text) ? text : null;
}

export interface SegmentPage {
  segment: { id: string; name: string; description: string | null; builtIn: boolean; memberCount: number; refreshedAt: string | null; definition: unknown };
  members: SegmentMemberRow[];
  after: string | null;
  next: string | null;
}

/** One segment of the shop with a page of its current members; null when the shop has no such segment. */
export async function segmentPage(db: Database, shop: string, segmentId: string, after: string | null): Promise<SegmentPage | null> {
  const segment = await db.segment.findUnique({
    where: { shop_id: { shop, id: segmentId } },
    select: { id: true, name: true, description: true, builtIn: true, memberCount: true, refreshedAt: true, definition: true },
  });
  if (!segment) return null;
  const rows = await memberRows(db, shop, segmentId, after, MEMBERS_PAGE_SIZE + 1);
  const members = rows.slice(0, MEMBERS_PAGE_SIZE);
  return {
    segment: { ...segment, refreshedAt: segment.refreshedAt?.toISOString() ?? null },
    members,
    after,
    next: rows.length > MEMBERS_PAGE_SIZE ? (members[members.length - 1]?.customerId ?? null) : null,
  };
}

async function memberRows(db: Database, shop: string, segmentId: string, after: string | null, limit: number): Promise<SegmentMemberRow[]> {
  const rows = await db.$queryRaw<Array<Omit<SegmentMemberRow, "enteredAt"> & { enteredAt: Date }>>`
    SELECT s."customerId",
           NULLIF(trim(concat_ws(' ', c."firstName", c."lastName")), '') AS name,
           c.email,
           EXISTS (SELECT 1 FROM "Member" m WHERE m.shop = s.shop AND m."customerId" = s."customerId" AND m.status = 'active') AS member,
           f."visitCount",
           to_char(f."lastVisitOn", 'YYYY-MM-DD') AS "lastVisitOn",
           f.pattern,
           s."enteredAt"
    FROM "SegmentMembership" s
    LEFT JOIN "MemberFeature" f ON f.shop = s.shop AND f."customerId" = s."customerId"
    LEFT JOIN "Customer" c ON c.shop = s.shop AND c.id = s."customerId"
    WHERE s.shop = ${shop} AND s."segmentId" = ${segmentId} AND s."exitedAt" IS NULL
      AND s."customerId" > ${after ?? ""}
    ORDER BY s."customerId"
    LIMIT ${limit}`;
  return rows.map((row) => ({ ...row, enteredAt: row.enteredAt.toISOString() }));
}

export const MEMBERS_CSV_HEADER = ["customer_id", "name", "email", "member", "visits", "last_visit", "pattern", "in_segment_since"] as const;

/** Every current member of the segment, in pages, as CSV values. */
export async function* segmentMemberValues(db: Database, shop: string, segmentId: string): AsyncGenerator<Array<string | number | boolean | null>> {
  let after: string | null = null;
  for (;;) {
    const rows: SegmentMemberRow[] = await memberRows(db, shop, segmentId, after, 1_000);
    for (const row of rows) yield [row.customerId, row.name, row.email, row.member, row.visitCount, row.lastVisitOn, row.pattern, row.enteredAt];
    const last = rows[rows.length - 1];
    if (rows.length < 1_000 || !last) return;
    after = last.customerId;
  }
}
