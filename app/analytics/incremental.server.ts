import type { Database } from "../db/prisma.server";
import { shopAnalyticsSettings } from "./dayparts";
import { recomputeFeatures } from "./features.server";
import { localDateOf } from "./local-dates";
import { updatePredictions } from "./model.server";
import { customerScope } from "./scope";
import { refreshSegments } from "./segments/materialise.server";
import { rebuildVisits } from "./visits.server";

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

/**
 * After orders of a few customers arrived or changed: their visits, features,
 * predictions and segment memberships, as of the shop-local today. Every
 * statement is scoped to those customers through the shop-leading indexes,
 * so the cost follows the members, not the shop. Idempotent: running it again
 * changes nothing. Predictions use the shop's latest fitted model (the
 * nightly recompute refits it).
 */
export async function updateMembersAfterOrders(
  db: Database,
  shop: string,
  customerIds: string[],
  opts: { now?: Date } = {},
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
  const settings = await shopAnalyticsSettings(db, shop);
  const asOf = localDateOf(opts.now ?? new Date(), settings.timezone);
  const visits = await rebuildVisits(db, shop, { customerIds: ids, settings });
  const features = await recomputeFeatures(db, shop, { customerIds: ids });
  const predictions = await updatePredictions(db, shop, { asOf, customerIds: ids });
  const segments = await refreshSegments(db, shop, { asOf, customerIds: ids });
  return {
    ...result,
    visits: visits.visits,
    visitsWritten: visits.written,
    visitsRemoved: visits.removed,
    featuresWritten: features.written,
    featuresRemoved: features.removed,
    predictions: predictions.updated,
    segmentsEntered: segments.entered,
    segmentsExited: segments.exited,
  };
}
