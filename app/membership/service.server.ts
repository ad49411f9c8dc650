import { enqueue } from "../../jobs/enqueue.server";
import { ensureMemberCard } from "../cards/cards.server";
import type { Runtime } from "../runtime.server";
import { joinMembership, leaveMembership, type JoinInput, type LeaveInput, type MembershipChange } from "./membership.server";
import { needsShopifySync } from "./types";

/**
 * Join or leave, then have the change written to Shopify by a job (never in
 * the request). A repeat that changed nothing still enqueues the sync when
 * Shopify is behind, so a lost enqueue heals on the customer's next tap.
 */

type Deps = Pick<Runtime, "db" | "jobs">;

/**
 * With the application key (the web tier passes its runtime), a new member
 * also gets their card (app/cards/); without it the card is issued when they
 * first open the card page.
 */
export async function joinAndSync(deps: Deps & { config?: Pick<Runtime["config"], "encryptionKey"> }, input: JoinInput): Promise<MembershipChange> {
  const change = await joinMembership(deps.db, input);
  await syncIfBehind(deps, input.shop, input.customerId, change);
  const applicationKey = deps.config?.encryptionKey;
  if (applicationKey && change.member?.status === "active") await ensureMemberCard(deps.db, applicationKey, input.shop, input.customerId, input.at);
  return change;
}

export async function leaveAndSync(deps: Deps, input: LeaveInput): Promise<MembershipChange> {
  const change = await leaveMembership(deps.db, input);
  await syncIfBehind(deps, input.shop, input.customerId, change);
  return change;
}

async function syncIfBehind(deps: Deps, shop: string, customerId: string, change: MembershipChange): Promise<void> {
  if (!change.member) return;
  if (change.changed || needsShopifySync(change.member)) {
    await enqueue(deps.jobs, "membership-sync", { shop, customerId });
  }
}
