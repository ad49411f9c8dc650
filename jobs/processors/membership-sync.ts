import { UnrecoverableError, type Job } from "bullmq";
import { ShopifyCustomerMissingError } from "../../app/membership/shopify-admin.server";
import { syncMembershipToShopify, type MembershipSyncOutcome } from "../../app/membership/shopify-sync.server";
import type { Runtime } from "../../app/runtime.server";
import { AdminApiError, offlineAdminApi, type AdminApi } from "../../app/shopify/admin-api.server";
import { jobPayloads } from "../queues";

/** Validates the payload and writes the customer's membership to Shopify as it is now. */
export async function processMembershipSync(job: Job, runtime: Runtime): Promise<MembershipSyncOutcome> {
  const parsed = jobPayloads["membership-sync"].safeParse(job.data);
  if (!parsed.success) throw new UnrecoverableError(`membership-sync payload invalid: ${parsed.error.issues[0]?.message}`);
  const { shop, customerId } = parsed.data;
  let api: AdminApi;
  try {
    api = await offlineAdminApi(runtime, shop);
  } catch (error) {
    // No offline session: the shop uninstalled (or never finished installing); retrying cannot fix that.
    if (error instanceof AdminApiError) throw new UnrecoverableError(error.message);
    throw error;
  }
  try {
    return await syncMembershipToShopify(runtime.db, api, { shop, customerId, now: () => new Date() });
  } catch (error) {
    if (error instanceof ShopifyCustomerMissingError) throw new UnrecoverableError(error.message);
    throw error;
  }
}
