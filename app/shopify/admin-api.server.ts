import { createAdminApiClient } from "@shopify/admin-api-client";
import type { Runtime } from "../runtime.server";
import { standinFetch } from "./standin-routing.server";

/** The Admin API version every call of the app uses (matches shopify.app.toml). */
export const ADMIN_API_VERSION = "2026-10";

/** A failed Admin API call: GraphQL errors, an HTTP error, or no offline session. */
export class AdminApiError extends Error {
  constructor(message: string, readonly shop: string) {
    super(message);
    this.name = "AdminApiError";
  }
}

export interface AdminApi {
  shop: string;
  /** Runs a GraphQL operation and returns its `data`; throws AdminApiError on any error. */
  graphql(query: string, variables?: Record<string, unknown>): Promise<unknown>;
}

/**
 * An Admin GraphQL client for background work (workers, CLI), outside any
 * request: it uses the shop's offline access token.
 */
export function adminApi(shop: string, accessToken: string, originOverride?: string): AdminApi {
  const client = createAdminApiClient({
    storeDomain: shop,
    apiVersion: ADMIN_API_VERSION,
    accessToken,
    retries: 2,
    customFetchApi: standinFetch(originOverride),
  });
  return {
    shop,
    async graphql(query, variables) {
      const response = await client.request(query, { variables });
      if (response.errors) {
        const detail = response.errors.graphQLErrors?.map((e) => e.message).join("; ") ?? response.errors.message;
        throw new AdminApiError(`Admin API call for ${shop} failed: ${detail ?? "unknown error"}`, shop);
      }
      return response.data;
    },
  };
}

/** The Admin API as the shop's offline session; fails clearly when the shop has none (not installed). */
export async function offlineAdminApi(runtime: Runtime, shop: string): Promise<AdminApi> {
  const session = await runtime.db.session.findUnique({ where: { id: `offline_${shop}` } });
  if (!session?.accessToken) throw new AdminApiError(`No offline session for ${shop}: the app is not installed there`, shop);
  return adminApi(shop, session.accessToken, runtime.config.shopify.apiOriginOverride);
}
