import type { Runtime } from "../../runtime.server";
import { ensureBackfillJob } from "./jobs.server";
import { createRun, findActiveRun, hasCompletedRun } from "./runs.server";
import type { BackfillResource, BackfillRunView } from "./types";

export interface RequestedRun {
  run: BackfillRunView;
  /** True when a run already in progress was reused instead of starting a second one. */
  reused: boolean;
}

/**
 * Asks for the shop's history to be copied in: one run per resource, each
 * moved forward by its own `backfill` job. Called on install (every token
 * exchange, so it must be cheap to repeat) and on demand: a run already in
 * progress for the shop and resource is reused, its job nudged, never doubled.
 *
 * Runs start in the order given; Shopify runs one bulk operation per shop at a
 * time, so the second waits for the first's operation (not for its import).
 */
export interface RequestOptions {
  /**
   * Leave out a resource that was backfilled completely before. For the
   * install hook, which runs on every token exchange: history needs copying
   * once, webhooks keep it current after that. On demand, leave it off.
   */
  once?: boolean;
}

export async function requestBackfill(
  runtime: Runtime,
  shop: string,
  resources: readonly BackfillResource[] = ["customers", "orders"],
  options: RequestOptions = {},
): Promise<RequestedRun[]> {
  const ordered = resources.filter((resource, index) => resources.indexOf(resource) === index);
  const requested = await runtime.db.$transaction(async (tx) => {
    // Two installs at once (Shopify retries, two admin tabs) must not both create runs.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`regulars:backfill-request:${shop}`}, 0))`;
    const runs: RequestedRun[] = [];
    for (const resource of ordered) {
      const active = await findActiveRun(tx, shop, resource);
      if (active) runs.push({ run: active, reused: true });
      else if (!(options.once && (await hasCompletedRun(tx, shop, resource)))) runs.push({ run: await createRun(tx, shop, resource), reused: false });
    }
    return runs;
  });
  for (const { run } of requested) await ensureBackfillJob(runtime, shop, run.id);
  return requested;
}
