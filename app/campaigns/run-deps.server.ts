import type { Runtime } from "../runtime.server";
import { offlineAdminApi } from "../shopify/admin-api.server";
import { adminDiscountIssuer } from "./discounts.server";
import { runtimeOutbox } from "./outbox.server";
import type { CampaignRunDeps } from "./run.server";

/** What a run needs from the running process: the database, the queues, the push layer and, on first need, the shop's Admin API. */
export function campaignRunDeps(runtime: Runtime, shop: string): CampaignRunDeps {
  return {
    db: runtime.db,
    jobs: runtime.jobs,
    outbox: runtimeOutbox(runtime),
    discounts: async () => adminDiscountIssuer(await offlineAdminApi(runtime, shop)),
  };
}
