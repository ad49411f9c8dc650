import { z } from "zod";
import { updateMembersAfterOrders, MAX_MEMBERS_PER_UPDATE, type MemberUpdateResult } from "../analytics/incremental.server";
import { refreshCohortSnapshots } from "../analytics/cohorts/snapshots.server";
import { shopAnalyticsSettings } from "../analytics/dayparts";
import { addDays, localDateOf } from "../analytics/local-dates";
import { recordAudit } from "../audit/audit.server";
import type { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { rebuildAliases } from "./aliases.server";

/**
 * The owner's decisions on merge proposals, each one transition of a
 * MemberMerge row, recorded in the row (status and time) and in the audit log:
 *   proposed → confirmed → undone, proposed → rejected.
 * Confirming and undoing rebuild CustomerAlias from the confirmed merges and
 * then recompute, for every customer whose visits moved, visits, features,
 * predictions and segment memberships (`updateMembersAfterOrders`: the
 * survivor's visits now include the merged customer's orders, the merged
 * customer's own rows are gone; undo restores both), and the shop's cohort
 * snapshots (the admin's cohort tables), which are whole-shop tables.
 */

export const MERGE_DECISIONS = ["confirm", "reject", "undo"] as const;
export type MergeDecision = (typeof MERGE_DECISIONS)[number];

export const mergeIdSchema = z.string({ error: "merge id must be a string" }).uuid("merge id must be a UUID");

export type DecideResult =
  | { ok: true; status: "confirmed" | "rejected" | "undone"; survivorId: string; mergedId: string; recomputed: MemberUpdateResult | null }
  | { ok: false; status: 404 | 409 | 422; message: string };

const FROM: Record<MergeDecision, string> = { confirm: "proposed", reject: "proposed", undo: "confirmed" };
const TO = { confirm: "confirmed", reject: "rejected", undo: "undone" } as const;

export async function decideMerge(
  db: Database,
  shop: string,
  input: { mergeId: string; decision: MergeDecision; actor: string },
  now: Date = new Date(),
): Promise<DecideResult> {
  const id = mergeIdSchema.safeParse(input.mergeId);
  if (!id.success) return { ok: false, status: 422, message: id.error.issues[0]?.message ?? "invalid merge id" };
  if (!MERGE_DECISIONS.includes(input.decision)) return { ok: false, status: 422, message: `decision must be one of ${MERGE_DECISIONS.join(", ")}` };
  const decision = input.decision;
  const outcome = await db.$transaction(async (tx) => {
    // One decision at a time per shop: alias chains are read and rebuilt whole.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended('regulars:merges:' || ${shop}::text, 0))`;
    const merge = await tx.memberMerge.findUnique({ where: { shop_id: { shop, id: id.data } } });
    // Scoped by shop: another shop's merge id is simply unknown here.
    if (!merge) return { ok: false as const, status: 404 as const, message: "no such merge proposal in this shop" };
    if (merge.status !== FROM[decision]) {
      return { ok: false as const, status: 409 as const, message: `this merge is ${merge.status}; only a ${FROM[decision]} merge can be ${TO[decision]}` };
    }
    if (decision === "confirm") {
      const refusal = await confirmRefusal(tx, shop, merge.survivorId, merge.mergedId);
      if (refusal) return { ok: false as const, status: 409 as const, message: refusal };
    }
    await tx.memberMerge.update({
      where: { shop_id: { shop, id: merge.id } },
      data: { status: TO[decision], ...(decision === "undo" ? { undoneAt: now } : { decidedAt: now }) },
    });
    const affected = decision === "reject" ? [] : await rebuildAliases(tx, shop);
    await recordAudit(tx, {
      shop,
      actor: input.actor,
      action: `merge.${decision}`,
      target: `merge:${merge.id}`,
      details: { survivorId: merge.survivorId, mergedId: merge.mergedId, customersRecomputed: affected.length },
    });
    return { ok: true as const, merge, affected };
  });
  if (!outcome.ok) return outcome;
  const recomputed = await recomputeMembers(db, shop, outcome.affected, now);
  return { ok: true, status: TO[decision], survivorId: outcome.merge.survivorId, mergedId: outcome.merge.mergedId, recomputed };
}

/** Why a proposed merge cannot be confirmed now, or null. */
async function confirmRefusal(tx: Prisma.TransactionClient, shop: string, survivorId: string, mergedId: string): Promise<string | null> {
  const [mergedAlias, survivorAlias] = await Promise.all([
    tx.customerAlias.findUnique({ where: { shop_customerId: { shop, customerId: mergedId } } }),
    tx.customerAlias.findUnique({ where: { shop_customerId: { shop, customerId: survivorId } } }),
  ]);
  if (mergedAlias) return `customer ${mergedId} is already merged into ${mergedAlias.survivorId}; undo that merge first`;
  if (survivorAlias?.survivorId === mergedId) return `customer ${survivorId} is already merged into ${mergedId}`;
  return null;
}

/**
 * Visits, features, predictions and segments of the customers whose visits
 * moved, then the cohort snapshots as of the shop-local yesterday (as the
 * nightly recompute leaves them). More customers than one member update takes
 * (a long chain undone at once) are done in slices.
 */
async function recomputeMembers(db: Database, shop: string, customerIds: string[], now: Date): Promise<MemberUpdateResult | null> {
  if (customerIds.length === 0) return null;
  let total: MemberUpdateResult | null = null;
  for (let start = 0; start < customerIds.length; start += MAX_MEMBERS_PER_UPDATE / 2) {
    const slice = await updateMembersAfterOrders(db, shop, customerIds.slice(start, start + MAX_MEMBERS_PER_UPDATE / 2), { now });
    total = total === null ? slice : sumResults(total, slice);
  }
  const settings = await shopAnalyticsSettings(db, shop);
  await refreshCohortSnapshots(db, shop, { until: addDays(localDateOf(now, settings.timezone), -1) });
  return total;
}

function sumResults(a: MemberUpdateResult, b: MemberUpdateResult): MemberUpdateResult {
  const sum = { ...a };
  for (const key of Object.keys(sum) as (keyof MemberUpdateResult)[]) sum[key] = a[key] + b[key];
  return sum;
}
