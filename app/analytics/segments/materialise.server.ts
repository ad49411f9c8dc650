import { Prisma } from "../../db/generated/client";
import type { Database } from "../../db/prisma.server";
import { customerScope } from "../scope";
import { BUILT_IN_SEGMENTS, MIXED_PATTERN, patternRegulars, type BuiltInSegment } from "./built-in";
import { compileSegment, localDateText } from "./compile";
import { formatIssue } from "./definition";
import { loadShopSegments } from "./store.server";

/**
 * Segment membership as history: one SegmentMembership row per stay, open
 * while exitedAt is null, so campaigns can trigger on "entered segment" and
 * reports can tell how long people stayed.
 */

export interface SegmentRefreshOutcome {
  segmentId: string;
  entered: number;
  exited: number;
}

export interface RefreshResult {
  entered: number;
  exited: number;
  segments: SegmentRefreshOutcome[];
  /** Segments left as they were because their definition no longer compiles. */
  skipped: Array<{ segmentId: string; problem: string }>;
}

// A full refresh of a large shop's segment can take longer than Prisma's 5 s default.
const TRANSACTION = { maxWait: 60_000, timeout: 600_000 };

/**
 * Brings every segment of the shop up to date as of `asOf` (a local date):
 * computes who matches now, set-based, and in one transaction per segment
 * closes the stays of those who no longer match and opens stays for those
 * who newly match. Running it again changes nothing.
 *
 * With `customerIds`, only those customers are re-evaluated (after their
 * orders changed): every segment is then updated in one short transaction,
 * which keeps an incremental update to a few round trips.
 */
export async function refreshSegments(db: Database, shop: string, opts: { asOf: Date; customerIds?: string[] }): Promise<RefreshResult> {
  localDateText(opts.asOf); // rejects a date that is not a local date before any work
  const scope = customerScope(opts.customerIds);
  const result: RefreshResult = { entered: 0, exited: 0, segments: [], skipped: [] };
  if (scope.kind === "none") return result;

  const segments = await loadShopSegments(db, shop);
  const compiled: Array<{ segmentId: string; where: Prisma.Sql }> = [];
  for (const [segmentId, resolved] of segments) {
    const outcome = resolved.ok ? compileSegment(resolved.definition, { shop, asOf: opts.asOf, segments, segmentId }) : resolved;
    if (outcome.ok) compiled.push({ segmentId, where: outcome.where });
    else result.skipped.push({ segmentId, problem: outcome.issues.map(formatIssue).join("; ") });
  }

  if (scope.kind === "some") {
    const ids = scope.ids;
    result.segments = await db.$transaction(async (tx) => {
      await lockSegments(tx, shop, compiled.map((segment) => segment.segmentId));
      const outcomes: SegmentRefreshOutcome[] = [];
      for (const segment of compiled) outcomes.push(await applyChanges(tx, shop, segment, ids));
      return outcomes;
    }, TRANSACTION);
  } else {
    for (const segment of compiled) {
      const outcome = await db.$transaction(async (tx) => {
        await lockSegments(tx, shop, [segment.segmentId]);
        // Set against set, a hash join is always right. A table that has just filled
        // up still has the statistics of an empty one, and the nested loop the planner
        // then picks rescans the open stays once per stay: minutes instead of a second.
        await tx.$executeRaw`SET LOCAL enable_nestloop = off`;
        return applyChanges(tx, shop, segment, undefined);
      }, TRANSACTION);
      result.segments.push(outcome);
    }
  }
  for (const outcome of result.segments) {
    result.entered += outcome.entered;
    result.exited += outcome.exited;
  }
  return result;
}

type Tx = Prisma.TransactionClient;

/**
 * One refresher per segment at a time (nightly and incremental can overlap),
 * so a customer never gets two open stays. Taken in id order: no deadlock.
 */
async function lockSegments(tx: Tx, shop: string, segmentIds: string[]): Promise<void> {
  const keys = segmentIds.map((id) => `regulars:segment:${shop}:${id}`).sort();
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(key, 0)) FROM unnest(${keys}::text[]) AS key ORDER BY key`;
}

/**
 * Closes and opens stays for one segment in a single statement, against one
 * snapshot: who matches and who holds an open stay are materialised once and
 * compared with EXCEPT. A stay closed and reopened within the same millisecond
 * is simply reopened (ON CONFLICT). The member count is kept in the same
 * statement: counted afresh on a full refresh, adjusted on the fast path.
 */
async function applyChanges(
  tx: Tx,
  shop: string,
  segment: { segmentId: string; where: Prisma.Sql },
  customerIds: string[] | undefined,
): Promise<SegmentRefreshOutcome> {
  const { segmentId, where } = segment;
  const at = new Date();
  // For a few customers, their rows are fetched by primary key first and the
  // definition applied to those alone; otherwise the planner may prefer an
  // index the definition happens to match (shop, pattern) and read thousands.
  const features = customerIds
    ? Prisma.sql`(SELECT * FROM "MemberFeature" WHERE shop = ${shop} AND "customerId" = ANY(${customerIds}::text[]) OFFSET 0)`
    : Prisma.sql`"MemberFeature"`;
  const onlyStays = customerIds ? Prisma.sql`AND s."customerId" = ANY(${customerIds}::text[])` : Prisma.empty;
  const memberCount = customerIds
    ? Prisma.sql`"memberCount" = "memberCount" + (SELECT count(*) FROM entered)::int - (SELECT count(*) FROM exited)::int`
    : Prisma.sql`"memberCount" = (SELECT count(*) FROM open)::int + (SELECT count(*) FROM entered)::int - (SELECT count(*) FROM exited)::int,
        "refreshedAt" = ${at}`;
  const [counts] = await tx.$queryRaw<Array<{ entered: number; exited: number }>>`
    WITH matching AS MATERIALIZED (
      SELECT f."customerId" FROM ${features} f WHERE ${where}
    ), open AS MATERIALIZED (
      SELECT s."customerId" FROM "SegmentMembership" s
      WHERE s.shop = ${shop} AND s."segmentId" = ${segmentId} AND s."exitedAt" IS NULL ${onlyStays}
    ), leaving AS (
      SELECT "customerId" FROM open EXCEPT SELECT "customerId" FROM matching
    ), exited AS (
      UPDATE "SegmentMembership" s SET "exitedAt" = ${at} FROM leaving l
      WHERE s.shop = ${shop} AND s."segmentId" = ${segmentId} AND s."exitedAt" IS NULL ${onlyStays} AND s."customerId" = l."customerId"
      RETURNING 1
    ), entered AS (
      INSERT INTO "SegmentMembership" (shop, "segmentId", "customerId", "enteredAt")
      SELECT ${shop}, ${segmentId}, arriving."customerId", ${at}
      FROM (SELECT "customerId" FROM matching EXCEPT SELECT "customerId" FROM open) arriving
      ON CONFLICT (shop, "segmentId", "customerId", "enteredAt") DO UPDATE SET "exitedAt" = NULL
      RETURNING 1
    ), counted AS (
      UPDATE "Segment" SET ${memberCount} WHERE shop = ${shop} AND id = ${segmentId}
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM entered)::int AS entered, (SELECT count(*) FROM exited)::int AS exited, (SELECT count(*) FROM counted)::int AS counted`;
  return { segmentId, entered: counts?.entered ?? 0, exited: counts?.exited ?? 0 };
}

export interface SegmentEntry {
  customerId: string;
  enteredAt: Date;
  /** When the customer left again, or null while they are still in the segment. */
  exitedAt: Date | null;
}

/**
 * Who entered a segment after `since`, oldest entry first: what a campaign
 * triggered by "entered segment" reads. Pass the last entry seen as `after`
 * to page on; `stillIn` leaves out those who have left again.
 */
export async function listSegmentEntries(
  db: Database,
  shop: string,
  segmentId: string,
  opts: { since: Date; after?: { enteredAt: Date; customerId: string }; stillIn?: boolean; limit?: number },
): Promise<SegmentEntry[]> {
  const limit = opts.limit ?? 1_000;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new RangeError(`limit must be a whole number from 1 to 10000 (got ${limit})`);
  const after = opts.after;
  return db.segmentMembership.findMany({
    where: {
      shop,
      segmentId,
      enteredAt: { gt: opts.since },
      ...(opts.stillIn ? { exitedAt: null } : {}),
      ...(after
        ? { OR: [{ enteredAt: { gt: after.enteredAt } }, { enteredAt: after.enteredAt, customerId: { gt: after.customerId } }] }
        : {}),
    },
    select: { customerId: true, enteredAt: true, exitedAt: true },
    orderBy: [{ enteredAt: "asc" }, { customerId: "asc" }],
    take: limit,
  });
}

/**
 * Installs (or brings up to date) the built-in segments: due to return,
 * lapsing, new, at risk, and one "… regulars" per pattern label the shop's
 * customers show. Upserts by fixed id and writes only what differs, so
 * running it again changes nothing. Pattern segments whose label has gone
 * stay, keeping their history; they simply empty at the next refresh.
 */
export async function ensureBuiltInSegments(db: Database, shop: string): Promise<void> {
  const labels = await db.$queryRaw<Array<{ pattern: string }>>`
    SELECT DISTINCT pattern FROM "MemberFeature" WHERE shop = ${shop} AND pattern <> ${MIXED_PATTERN}`;
  const wanted = [...BUILT_IN_SEGMENTS, ...patternRegulars(labels.map((row) => row.pattern))];
  const existing = new Map(
    (
      await db.segment.findMany({
        where: { shop, id: { in: wanted.map((segment) => segment.id) } },
        select: { id: true, name: true, description: true, definition: true, builtIn: true },
      })
    ).map((row) => [row.id, row]),
  );
  const missing = wanted.filter((segment) => !existing.has(segment.id));
  if (missing.length > 0) {
    await db.segment.createMany({ data: missing.map((segment) => ({ shop, ...segment, builtIn: true })), skipDuplicates: true });
  }
  for (const segment of wanted) {
    const row = existing.get(segment.id);
    if (!row || isCurrent(row, segment)) continue;
    await db.segment.update({
      where: { shop_id: { shop, id: segment.id } },
      data: { name: segment.name, description: segment.description, definition: segment.definition, builtIn: true },
    });
  }
}

function isCurrent(row: { name: string; description: string | null; definition: unknown; builtIn: boolean }, segment: BuiltInSegment): boolean {
  return row.builtIn && row.name === segment.name && row.description === segment.description && canonical(row.definition) === canonical(segment.definition);
}

/** JSON with object keys sorted: PostgreSQL's jsonb does not keep key order. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}
