import { Prisma } from "../../db/generated/client";
import type { Database } from "../../db/prisma.server";
import { customerScope } from "../scope";
import { prismaRunner, type SqlRunner } from "../sql-tx.server";
import { BUILT_IN_SEGMENTS, MIXED_PATTERN, patternRegulars, type BuiltInSegment } from "./built-in";
import { compileSegment, localDateText, type ResolvedSegment } from "./compile";
import { formatIssue } from "./definition";
import { loadShopSegments, loadShopSegmentsVersioned } from "./store.server";

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
 * orders changed): every segment at once, in one statement of one short
 * transaction (`applyMemberChanges`).
 */
export async function refreshSegments(db: Database, shop: string, opts: { asOf: Date; customerIds?: string[] }): Promise<RefreshResult> {
  localDateText(opts.asOf); // rejects a date that is not a local date before any work
  const scope = customerScope(opts.customerIds);
  const result: RefreshResult = { entered: 0, exited: 0, segments: [], skipped: [] };
  if (scope.kind === "none") return result;

  const { compiled, skipped } = compileSegments(shop, opts.asOf, await loadShopSegments(db, shop));
  result.skipped.push(...skipped);

  if (scope.kind === "some") {
    const ids = scope.ids;
    result.segments = await db.$transaction(async (tx) => {
      await lockSegments(tx, shop, compiled.map((segment) => segment.segmentId));
      return (await applyMemberChanges(prismaRunner(tx), shop, compiled, ids)).segments;
    }, TRANSACTION);
  } else {
    for (const segment of compiled) {
      const outcome = await db.$transaction(async (tx) => {
        await lockSegments(tx, shop, [segment.segmentId]);
        // Set against set, a hash join is always right. A table that has just filled
        // up still has the statistics of an empty one, and the nested loop the planner
        // then picks rescans the open stays once per stay: minutes instead of a second.
        await tx.$executeRaw`SET LOCAL enable_nestloop = off`;
        return applyChanges(tx, shop, segment);
      }, TRANSACTION);
      result.segments.push(outcome);
    }
  }
  return summarise(result);
}

function summarise(result: RefreshResult): RefreshResult {
  for (const outcome of result.segments) {
    result.entered += outcome.entered;
    result.exited += outcome.exited;
  }
  return result;
}

type Tx = Prisma.TransactionClient;

/** A segment's definition compiled to a WHERE clause over "MemberFeature" f. */
export interface CompiledSegment {
  segmentId: string;
  where: Prisma.Sql;
}

export interface CompiledSegments {
  compiled: CompiledSegment[];
  /** Segments left as they were because their definition no longer compiles. */
  skipped: Array<{ segmentId: string; problem: string }>;
}

function compileSegments(shop: string, asOf: Date, segments: Map<string, ResolvedSegment>): CompiledSegments {
  const result: CompiledSegments = { compiled: [], skipped: [] };
  for (const [segmentId, resolved] of segments) {
    const outcome = resolved.ok ? compileSegment(resolved.definition, { shop, asOf, segments, segmentId }) : resolved;
    if (outcome.ok) result.compiled.push({ segmentId, where: outcome.where });
    else result.skipped.push({ segmentId, problem: outcome.issues.map(formatIssue).join("; ") });
  }
  return result;
}

/**
 * Per process, each shop's segments compiled for one as-of date, kept while
 * the shop's segments are unchanged: the caller reads `segmentsVersionSql`
 * in its transaction, and a different digest (a segment added, changed or
 * removed, in any process) compiles them afresh.
 */
const compiledCache = new Map<string, { version: string; asOf: string; segments: CompiledSegments }>();
const COMPILED_CACHE_SHOPS = 1_000;

/** The shop's segments compiled as of `asOf`; `version` is their digest as the caller's transaction read it. */
export async function compiledShopSegments(tx: SqlRunner, shop: string, asOf: Date, version: string): Promise<CompiledSegments> {
  const asOfText = localDateText(asOf);
  const cached = compiledCache.get(shop);
  if (cached && cached.version === version && cached.asOf === asOfText) return cached.segments;
  const loaded = await loadShopSegmentsVersioned(tx, shop);
  const segments = compileSegments(shop, asOf, loaded.segments);
  compiledCache.delete(shop);
  if (compiledCache.size >= COMPILED_CACHE_SHOPS) compiledCache.delete(compiledCache.keys().next().value ?? "");
  compiledCache.set(shop, { version: loaded.version, asOf: asOfText, segments });
  return segments;
}

/**
 * One refresher per segment at a time (nightly and incremental can overlap),
 * so a customer never gets two open stays. Every advisory lock of the
 * analytics is taken in the order of its 64-bit key (`segmentLockKeySql`,
 * the member locks of ../bulk-sql.server), so no two refreshers deadlock.
 */
async function lockSegments(tx: Tx, shop: string, segmentIds: string[]): Promise<void> {
  await tx.$queryRaw`
    SELECT count(pg_advisory_xact_lock(k))::int AS locked
    FROM (SELECT DISTINCT ${segmentLockKeySql(shop, Prisma.raw("id"))} AS k FROM unnest(${segmentIds}::text[]) AS id ORDER BY k) keys`;
}

/** The advisory lock key of a segment (`id` is an SQL expression giving its id). */
export function segmentLockKeySql(shop: string, id: Prisma.Sql): Prisma.Sql {
  return Prisma.sql`hashtextextended('regulars:segment:' || ${shop}::text || ':' || ${id}, 0)`;
}

/** Bound values per statement of `applyMemberChanges`, well below PostgreSQL's 65,535. */
const MAX_VALUES_PER_STATEMENT = 20_000;

/**
 * The fast path for a few customers, every segment at once: one statement
 * evaluates all compiled definitions on the customers' feature rows (fetched
 * by primary key first), compares the result with their open stays, closes
 * and opens stays, and adjusts the member counts of the segments whose count
 * changed. The caller holds the segments' locks. Same outcome, segment by
 * segment, as the whole-shop refresh restricted to the customers.
 *
 * Both tables are reached through the customers alone (their feature rows by
 * primary key, their stays, open or closed, by the (shop, customerId) index,
 * and the stays to close by their row address), so one plan serves any
 * customers and segments: the statement may run as a prepared statement with
 * a generic plan (../sql-tx.server). Open stays and segments are picked out
 * after that scan: as conditions of the scan they would let a plan (whose
 * statistics of a freshly filled table say few stays are open) read every
 * open stay of the shop through the (shop, segmentId, exitedAt) index instead.
 */
export async function applyMemberChanges(
  tx: SqlRunner,
  shop: string,
  compiled: CompiledSegment[],
  customerIds: string[],
  opts: { featuresUpdate?: Prisma.Sql } = {},
): Promise<{ segments: SegmentRefreshOutcome[]; featuresUpdated: number }> {
  const counts = new Map<string, { entered: number; exited: number }>();
  let featuresUpdate = opts.featuresUpdate;
  let featuresUpdated = 0;
  let batch: CompiledSegment[] = [];
  let values = featuresUpdate?.values.length ?? 0;
  const flush = async () => {
    if (batch.length === 0 && !featuresUpdate) return;
    const [row] = await tx.query<{ updated: number; changes: string }>(memberChangesSql(shop, batch, customerIds, featuresUpdate));
    if (!row) throw new Error(`segment update for ${shop} returned no summary row`);
    featuresUpdated += row.updated;
    for (const change of JSON.parse(row.changes) as Array<{ segmentId: string; entered: number; exited: number }>) {
      counts.set(change.segmentId, { entered: change.entered, exited: change.exited });
    }
    // Later statements read the rows this one wrote.
    featuresUpdate = undefined;
    batch = [];
    values = 0;
  };
  for (const segment of compiled) {
    if (batch.length > 0 && values + segment.where.values.length > MAX_VALUES_PER_STATEMENT) await flush();
    batch.push(segment);
    values += segment.where.values.length;
  }
  await flush();
  return {
    segments: compiled.map(({ segmentId }) => ({ segmentId, entered: counts.get(segmentId)?.entered ?? 0, exited: counts.get(segmentId)?.exited ?? 0 })),
    featuresUpdated,
  };
}

/**
 * `featuresUpdate`, an UPDATE of the customers' feature rows ending in
 * `RETURNING f.*`, runs first in the same statement: the definitions then
 * see the rows as it leaves them (its rows in place of the stored ones).
 */
function memberChangesSql(shop: string, segments: CompiledSegment[], customerIds: string[], featuresUpdate: Prisma.Sql | undefined): Prisma.Sql {
  const at = new Date();
  const matching =
    segments.length > 0
      ? Prisma.join(
          segments.map(({ segmentId, where }) => Prisma.sql`SELECT ${segmentId}::text AS "segmentId", f."customerId" FROM features f WHERE ${where}`),
          " UNION ALL ",
        )
      : Prisma.sql`SELECT NULL::text AS "segmentId", NULL::text AS "customerId" WHERE false`;
  const segmentIds = segments.map((segment) => segment.segmentId);
  const features = featuresUpdate
    ? Prisma.sql`updated AS (
        ${featuresUpdate}
      ), features AS MATERIALIZED (
        SELECT * FROM updated
        UNION ALL
        SELECT * FROM "MemberFeature" m
        WHERE m.shop = ${shop} AND m."customerId" = ANY(${customerIds}::text[]) AND m."customerId" NOT IN (SELECT "customerId" FROM updated)
      )`
    : Prisma.sql`updated AS (
        SELECT NULL::text AS "customerId" WHERE false
      ), features AS MATERIALIZED (
        SELECT * FROM "MemberFeature" WHERE shop = ${shop} AND "customerId" = ANY(${customerIds}::text[])
      )`;
  return Prisma.sql`
    WITH ${features}, matching AS MATERIALIZED (
      ${matching}
    ), stays AS MATERIALIZED (
      SELECT s.ctid AS stay, s."segmentId", s."customerId", s."exitedAt" FROM "SegmentMembership" s
      WHERE s.shop = ${shop} AND s."customerId" = ANY(${customerIds}::text[])
    ), open AS (
      SELECT stay, "segmentId", "customerId" FROM stays WHERE "exitedAt" IS NULL AND "segmentId" = ANY(${segmentIds}::text[])
    ), exited AS (
      UPDATE "SegmentMembership" s SET "exitedAt" = ${at}
      FROM open o
      WHERE s.ctid = o.stay AND s."exitedAt" IS NULL
        AND NOT EXISTS (SELECT 1 FROM matching m WHERE m."segmentId" = o."segmentId" AND m."customerId" = o."customerId")
      RETURNING s."segmentId"
    ), entered AS (
      INSERT INTO "SegmentMembership" (shop, "segmentId", "customerId", "enteredAt")
      SELECT ${shop}, arriving."segmentId", arriving."customerId", ${at}
      FROM (SELECT "segmentId", "customerId" FROM matching EXCEPT SELECT "segmentId", "customerId" FROM open) arriving
      ON CONFLICT (shop, "segmentId", "customerId", "enteredAt") DO UPDATE SET "exitedAt" = NULL
      RETURNING "segmentId"
    ), changes AS (
      SELECT "segmentId", count(*) FILTER (WHERE change > 0)::int AS entered, count(*) FILTER (WHERE change < 0)::int AS exited,
        sum(change)::int AS delta
      FROM (SELECT "segmentId", 1 AS change FROM entered UNION ALL SELECT "segmentId", -1 FROM exited) moves
      GROUP BY "segmentId"
    ), counted AS (
      UPDATE "Segment" g SET "memberCount" = g."memberCount" + c.delta
      FROM changes c
      WHERE g.shop = ${shop} AND g.id = c."segmentId" AND c.delta <> 0
      RETURNING g.id
    )
    SELECT (SELECT count(*) FROM updated)::int AS updated,
      (SELECT COALESCE(json_agg(json_build_object('segmentId', "segmentId", 'entered', entered, 'exited', exited)), '[]')::text FROM changes) AS changes,
      (SELECT count(*) FROM counted)::int AS counted`;
}

/**
 * The whole-shop refresh of one segment in a single statement, against one
 * snapshot: who matches and who holds an open stay are materialised once and
 * compared with EXCEPT; stays are closed and opened, and the member count is
 * counted afresh. A stay closed and reopened within the same millisecond is
 * simply reopened (ON CONFLICT).
 */
async function applyChanges(tx: Tx, shop: string, segment: CompiledSegment): Promise<SegmentRefreshOutcome> {
  const { segmentId, where } = segment;
  const at = new Date();
  const [counts] = await tx.$queryRaw<Array<{ entered: number; exited: number }>>`
    WITH matching AS MATERIALIZED (
      SELECT f."customerId" FROM "MemberFeature" f WHERE ${where}
    ), open AS MATERIALIZED (
      SELECT s."customerId" FROM "SegmentMembership" s
      WHERE s.shop = ${shop} AND s."segmentId" = ${segmentId} AND s."exitedAt" IS NULL
    ), leaving AS (
      SELECT "customerId" FROM open EXCEPT SELECT "customerId" FROM matching
    ), exited AS (
      UPDATE "SegmentMembership" s SET "exitedAt" = ${at} FROM leaving l
      WHERE s.shop = ${shop} AND s."segmentId" = ${segmentId} AND s."exitedAt" IS NULL AND s."customerId" = l."customerId"
      RETURNING 1
    ), entered AS (
      INSERT INTO "SegmentMembership" (shop, "segmentId", "customerId", "enteredAt")
      SELECT ${shop}, ${segmentId}, arriving."customerId", ${at}
      FROM (SELECT "customerId" FROM matching EXCEPT SELECT "customerId" FROM open) arriving
      ON CONFLICT (shop, "segmentId", "customerId", "enteredAt") DO UPDATE SET "exitedAt" = NULL
      RETURNING 1
    ), counted AS (
      UPDATE "Segment"
      SET "memberCount" = (SELECT count(*) FROM open)::int + (SELECT count(*) FROM entered)::int - (SELECT count(*) FROM exited)::int,
        "refreshedAt" = ${at}
      WHERE shop = ${shop} AND id = ${segmentId}
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
