import { z } from "zod";
import { AdminApiError, type AdminApi } from "../shopify/admin-api.server";
import { MEMBER_TAG, MEMBERSHIP_METAFIELD, type CurrentShopifyMembership, type ShopifyMembershipWrites } from "./shopify-fields";

/** The Admin GraphQL calls membership sync makes (needs `write_customers`). */

const READ = `#graphql
  query MembershipOnCustomer($id: ID!, $namespace: String!, $key: String!) {
    customer(id: $id) {
      id
      tags
      metafield(namespace: $namespace, key: $key) { value }
    }
  }`;

const TAGS_ADD = `#graphql
  mutation MembershipTagAdd($id: ID!, $tags: [String!]!) {
    tagsAdd(id: $id, tags: $tags) { userErrors { field message } }
  }`;

const TAGS_REMOVE = `#graphql
  mutation MembershipTagRemove($id: ID!, $tags: [String!]!) {
    tagsRemove(id: $id, tags: $tags) { userErrors { field message } }
  }`;

const METAFIELDS_SET = `#graphql
  mutation MembershipMetafieldSet($metafields: [MetafieldsSetInput!]!) {
    metafieldsSet(metafields: $metafields) {
      metafields { namespace key }
      userErrors { field message code }
    }
  }`;

const METAFIELDS_DELETE = `#graphql
  mutation MembershipMetafieldDelete($metafields: [MetafieldIdentifierInput!]!) {
    metafieldsDelete(metafields: $metafields) {
      deletedMetafields { key }
      userErrors { field message }
    }
  }`;

const readResult = z.object({
  customer: z
    .object({
      tags: z.array(z.string()),
      metafield: z.object({ value: z.string() }).nullable(),
    })
    .nullable(),
});

const userErrors = z.array(z.object({ message: z.string() }));
const payload = (field: string) => z.object({ [field]: z.object({ userErrors }).nullable() });

/** The customer is gone from Shopify (deleted or erased): nothing to write to, and retrying will not bring it back. */
export class ShopifyCustomerMissingError extends Error {
  constructor(readonly shop: string, readonly customerId: string) {
    super(`Shopify has no customer ${customerId} in ${shop}`);
    this.name = "ShopifyCustomerMissingError";
  }
}

export const customerGid = (customerId: string) => `gid://shopify/Customer/${customerId}`;

export async function readShopifyMembership(api: AdminApi, customerId: string): Promise<CurrentShopifyMembership> {
  const data = readResult.parse(
    await api.graphql(READ, { id: customerGid(customerId), namespace: MEMBERSHIP_METAFIELD.namespace, key: MEMBERSHIP_METAFIELD.key }),
  );
  if (!data.customer) throw new ShopifyCustomerMissingError(api.shop, customerId);
  return { tags: data.customer.tags, metafieldValue: data.customer.metafield?.value ?? null };
}

export async function writeShopifyMembership(api: AdminApi, customerId: string, writes: ShopifyMembershipWrites): Promise<void> {
  const id = customerGid(customerId);
  const identifier = { ownerId: id, namespace: MEMBERSHIP_METAFIELD.namespace, key: MEMBERSHIP_METAFIELD.key };
  if (writes.addTag) await mutate(api, "tagsAdd", TAGS_ADD, { id, tags: [MEMBER_TAG] });
  if (writes.removeTag) await mutate(api, "tagsRemove", TAGS_REMOVE, { id, tags: [MEMBER_TAG] });
  if (writes.setMetafield !== null) {
    await mutate(api, "metafieldsSet", METAFIELDS_SET, {
      metafields: [{ ...identifier, type: MEMBERSHIP_METAFIELD.type, value: writes.setMetafield }],
    });
  }
  if (writes.deleteMetafield) await mutate(api, "metafieldsDelete", METAFIELDS_DELETE, { metafields: [identifier] });
}

async function mutate(api: AdminApi, field: string, document: string, variables: Record<string, unknown>): Promise<void> {
  const parsed = payload(field).parse(await api.graphql(document, variables));
  const result = parsed[field];
  if (!result) throw new AdminApiError(`${field} returned nothing for ${api.shop}`, api.shop);
  if (result.userErrors.length > 0) {
    throw new AdminApiError(`${field} for ${api.shop} failed: ${result.userErrors.map((e) => e.message).join("; ")}`, api.shop);
  }
}
