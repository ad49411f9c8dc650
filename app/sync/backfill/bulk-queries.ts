import type { BackfillResource } from "./types";

/**
 * The bulk queries a backfill runs (Admin GraphQL 2025-10). Each selects what
 * the sync writer stores and nothing else: a bulk file is read line by line,
 * and every extra field costs time on Shopify's side and ours.
 * https://shopify.dev/docs/api/usage/bulk-operations/queries
 *
 * Line items are the one nested connection: Shopify writes them as lines of
 * their own after their order, pointing back with `__parentId`. Refunds and
 * note attributes are plain lists, so they stay inside the order's line.
 */
export const ORDERS_BULK_QUERY = `{
  orders {
    edges {
      node {
        id
        name
        createdAt
        updatedAt
        processedAt
        cancelledAt
        sourceName
        currencyCode
        displayFinancialStatus
        customer { id }
        retailLocation { id }
        physicalLocation { id }
        customAttributes { key value }
        totalPriceSet { shopMoney { amount } }
        subtotalPriceSet { shopMoney { amount } }
        totalDiscountsSet { shopMoney { amount } }
        refunds { id createdAt totalRefundedSet { shopMoney { amount } } }
        lineItems {
          edges {
            node {
              id
              quantity
              sku
              title
              variant { id }
              product { id }
              originalUnitPriceSet { shopMoney { amount } }
            }
          }
        }
      }
    }
  }
}`;

/** `defaultEmailAddress`/`defaultPhoneNumber` carry the consent states since 2025-01 (the older fields are deprecated). */
export const CUSTOMERS_BULK_QUERY = `{
  customers {
    edges {
      node {
        id
        firstName
        lastName
        tags
        createdAt
        updatedAt
        defaultEmailAddress { emailAddress marketingState marketingUpdatedAt }
        defaultPhoneNumber { phoneNumber marketingState marketingUpdatedAt }
      }
    }
  }
}`;

export function bulkQueryFor(resource: BackfillResource): string {
  return resource === "orders" ? ORDERS_BULK_QUERY : CUSTOMERS_BULK_QUERY;
}
