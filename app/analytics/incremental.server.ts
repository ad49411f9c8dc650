import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { membersOfSql } from "../merges/aliases.server";
import { memberLockKeySql, type MergeCounts } from "./bulk-sql.server";
import { resolveAnalyticsSettings } from "./dayparts";
import { featureMergeSql } from "./features.server";
import { localDateOf } from "./local-dates";
import { latestFitIdSql, memberGapsJsonSql, predictionsUpdateSql, predictMembers, type MemberGapRow } from "./model.server";
import { customerScope } from "./scope";
import { applyMemberChanges, compiledShopSegments, segmentLockKeySql } from "./segments/materialise.server";
import { segmentsVersionSql } from "./segments/store.server";
import { withSqlTransaction } from "./sql-tx.server";
import { visitMergeSql } from "./visits.server";

/** The most members one update takes; more is a job for the full recompute. */
export const MAX_MEMBERS_PER_UPDATE = 500;

export interface MemberUpdateResult {
  members: number;
  visits: number;
  visitsWritten: number;
  visitsRemoved: number;
  featuresWritten: number;
  featuresRemoved: number;
  predictions: number;
  segmentsEntered: number;
  segmentsExited: number;
}

/** The parts of an update, in order, as `onStep` reports them. */
export type MemberUpdateStep = "settings" | "visits" | "features" | "predictions" | "segments" | "commit";

export interface MemberUpdateOptions {
  now?: Date;
  /** Called after each part with its wall time in milliseconds (for benchmarks and logs). */
  onStep?: (step: MemberUpdateStep, ms: number) => void;
}

interface UpdateContext {
  timezone: string | null;
  timezoneOverride: string | null;
  /** JSON text, or null without ShopSettings or dayparts. */
  dayparts: string | null;
  segments_version: string;
  fit_id: string | null;
  /** The members asked for widened through CustomerAlias (see contextSql), sorted. */
  members: string[];
}

/**
 * After orders of a few customers arrived or changed: their visits, features,
 * predictions and segment memberships, as of the shop-local today, in one
 * transaction. Every statement is scoped to those customers through the
 * shop-leading indexes, so the cost follows the members, not the shop.
 * Idempotent: running it again changes nothing. Predictions use the shop's
 * latest fitted model (the nightly recompute refits it).
 *
 * The first statement takes the members' and the shop's segments' locks
 * and reads, in the same round trip, the shop's settings, the digest of its
 * segment definitions and the id of its latest model fit: compiled segments
 * and the parsed fit are kept per process and used only while those still
 * match. Then one statement for the visits, one for the features that also
 * returns the members' gap rows, the predictions computed here, and one
 * statement that writes them and brings every segment's stays and counts up
 * to date. The commit does not wait for the WAL flush: these rows are derived
 * and rebuildable (docs/decisions/0023-incremental-member-update.md).
 */
export async function updateMembersAfterOrders(
  db: Database,
  shop: string,
  customerIds: string[],
  opts: MemberUpdateOptions = {},
): Promise<MemberUpdateResult> {
  const scope = customerScope(customerIds);
  const ids = scope.kind === "some" ? scope.ids : [];
  if (ids.length > MAX_MEMBERS_PER_UPDATE) {
    throw new RangeError(`at most ${MAX_MEMBERS_PER_UPDATE} members per update (got ${ids.length}); recompute the shop instead`);
  }
  const result: MemberUpdateResult = {
    members: ids.length,
    visits: 0,
    visitsWritten: 0,
    visitsRemoved: 0,
    featuresWritten: 0,
    featuresRemoved: 0,
    predictions: 0,
    segmentsEntered: 0,
    segmentsExited: 0,
  };
  if (ids.length === 0) return result;

  let lap = performance.now();
  const step = (name: MemberUpdateStep) => {
    const now = performance.now();
    opts.onStep?.(name, now - lap);
    lap = now;
  };
  const updated = await withSqlTransaction(db, async (tx) => {
    const [context] = await tx.query<UpdateContext>(contextSql(shop, ids));
    if (!context) throw new Error(`member update for ${shop} read no context row`);
    const stored = context.timezone === null ? null : { timezone: context.timezone, timezoneOverride: context.timezoneOverride, dayparts: parseJson(context.dayparts) };
    const settings = resolveAnalyticsSettings(shop, stored);
    // Merged customers' orders count for their survivor: every later statement covers them all.
    const members = context.members;
    const asOf = localDateOf(opts.now ?? new Date(), settings.timezone);
    step("settings");

    const [visits] = await tx.query<MergeCounts>(visitMergeSql(shop, settings, members));
    if (!visits) throw new Error(`visit rebuild for ${shop} returned no summary row`);
    step("visits");
    // The members' gap rows come back with the feature counts.
    const [features] = await tx.query<MergeCounts & { extra: string }>(featureMergeSql(shop, members, memberGapsJsonSql(shop, asOf, members, Prisma.sql`fresh`)));
    if (!features) throw new Error(`feature recompute for ${shop} returned no summary row`);
    step("features");
    const gaps = JSON.parse(features.extra) as MemberGapRow[];
    const predicted = await predictMembers(tx, shop, { asOf, members: gaps, latestFitId: context.fit_id });
    step("predictions");
    // The predictions are written by the segment statement, whose definitions see them.
    const compiled = await compiledShopSegments(tx, shop, asOf, context.segments_version);
    const changes = await applyMemberChanges(tx, shop, compiled.compiled, members, {
      featuresUpdate: predicted.length > 0 ? predictionsUpdateSql(shop, predicted, Prisma.sql`RETURNING f.*`) : undefined,
    });
    const segments = changes.segments;
    step("segments");
    return {
      ...result,
      members: members.length,
      visits: visits.fresh,
      visitsWritten: visits.written,
      visitsRemoved: visits.removed,
      featuresWritten: features.written,
      featuresRemoved: features.removed,
      predictions: changes.featuresUpdated,
      segmentsEntered: segments.reduce((sum, outcome) => sum + outcome.entered, 0),
      segmentsExited: segments.reduce((sum, outcome) => sum + outcome.exited, 0),
    };
  }, { synchronousCommit: false, genericPlans: true });
  step("commit");
  return updated;
}

/**
 * Locks, then context. The members' locks serialise updates of the same
 * member (the later one's statements see every order committed before it);
 * the segments' locks keep one refresher per segment (see
 * refreshSegments). All are taken in key order, as everywhere else, so no
 * two updates deadlock. The row read beside them is from before the locks
 * were granted, which is all it needs to be: settings and definitions are
 * not guarded by these locks anywhere. The members are widened through
 * CustomerAlias first (a merged customer's orders make its survivor's
 * visits), and the widened list is returned: without merges it is the list
 * given, at the cost of two index probes of an empty table.
 */
function contextSql(shop: string, ids: string[]): Prisma.Sql {
  return Prisma.sql`
    WITH members AS MATERIALIZED (${membersOfSql(shop, Prisma.sql`${ids}::text[]`)}),
    keys AS (
      SELECT ${memberLockKeySql(shop, Prisma.raw("id"))} AS k FROM members
      UNION
      SELECT ${segmentLockKeySql(shop, Prisma.raw("id"))} FROM "Segment" WHERE shop = ${shop}
    ), locked AS MATERIALIZED (
      SELECT count(pg_advisory_xact_lock(k))::int AS n FROM (SELECT k FROM keys ORDER BY k) ordered
    )
    SELECT sh.timezone, ss."timezoneOverride", ss.dayparts::text AS dayparts, ${segmentsVersionSql(shop)} AS segments_version,
      ${latestFitIdSql(shop)} AS fit_id, l.n AS locked, (SELECT array_agg(id ORDER BY id) FROM members) AS members
    FROM locked l
    LEFT JOIN "Shop" sh ON sh.domain = ${shop}
    LEFT JOIN "ShopSettings" ss ON ss.shop = ${shop}`;
}

function parseJson(text: string | null): unknown {
  return text === null ? null : (JSON.parse(text) as unknown);
}
