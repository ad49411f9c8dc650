import { describe, expect, it } from "vitest";
import { BulkRunner } from "../../standin/bulk.ts";
import { handleGraphQL } from "../../standin/graphql/handler.ts";
import { StandinStore } from "../../standin/store.ts";

/** The stand-in's tag and metafield operations, which membership sync relies on, answered like Shopify. */

const SHOP = "unit-cafe.myshopify.com";

function cafe() {
  const store = new StandinStore({ now: () => new Date("2026-03-01T12:00:00Z") });
  store.addShop({ domain: SHOP });
  const token = store.issueAccessToken(SHOP, { scope: "read_customers,write_customers" });
  const customer = store.addCustomer(SHOP, { email: "ada@example.com", tags: ["vip"] });
  const bulk = new BulkRunner({ store, baseUrl: () => "http://127.0.0.1", delayMs: 0, onFinish: () => undefined });
  const graphql = (query: string, variables: Record<string, unknown> = {}) => {
    const reply = handleGraphQL(
      { store, bulk },
      { shop: SHOP, accessToken: token.token, contentType: "application/json", body: JSON.stringify({ query, variables }) },
    );
    expect(reply.status).toBe(200);
    return reply.body;
  };
  return { store, customer, graphql };
}

const READ = `query($id: ID!) { customer(id: $id) { tags metafield(namespace: "$app:regulars", key: "membership") { value type namespace } } }`;
const SET = `mutation($metafields: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $metafields) { metafields { key namespace value } userErrors { field message code elementIndex } } }`;

describe("stand-in tags", () => {
  it("adds tags once (case-insensitively), accepts a comma-separated string, removes them", () => {
    const { customer, graphql, store } = cafe();
    const add = `mutation($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }`;
    expect(graphql(add, { id: customer.id, tags: ["regulars-member", "VIP"] })).toMatchObject({
      data: { tagsAdd: { node: { id: customer.id }, userErrors: [] } },
    });
    graphql(`mutation { tagsAdd(id: "${customer.id}", tags: " morning , regulars-member ") { userErrors { message } } }`);
    expect(store.customer(SHOP, customer.id).tags).toEqual(["vip", "regulars-member", "morning"]);
    expect(store.customer(SHOP, customer.id).updatedAt).toBe("2026-03-01T12:00:00Z");

    graphql(`mutation($id: ID!) { tagsRemove(id: $id, tags: ["Regulars-Member"]) { userErrors { message } } }`, { id: customer.id });
    expect(graphql(READ, { id: customer.id })).toMatchObject({ data: { customer: { tags: ["vip", "morning"], metafield: null } } });
  });

  it("reports an unknown resource as a user error", () => {
    const { graphql } = cafe();
    expect(graphql(`mutation { tagsAdd(id: "gid://shopify/Customer/1", tags: ["x"]) { node { id } userErrors { field message } } }`)).toEqual({
      data: { tagsAdd: { node: null, userErrors: [{ field: ["id"], message: "Resource not found" }] } },
      extensions: expect.anything(),
    });
  });

  it("refuses a misspelt field in a mutation payload before changing anything", () => {
    const { customer, graphql, store } = cafe();
    const body = graphql(`mutation { tagsAdd(id: "${customer.id}", tags: ["x"]) { userErrors { feild } } }`);
    expect(body).toMatchObject({ errors: [{ message: "Field 'feild' doesn't exist on type 'UserError'" }] });
    expect(store.customer(SHOP, customer.id).tags).toEqual(["vip"]);
  });
});

describe("stand-in metafields", () => {
  it("sets an app-owned JSON metafield, reads it back by $app namespace, and updates it in place", () => {
    const { customer, graphql, store } = cafe();
    const input = { ownerId: customer.id, namespace: "$app:regulars", key: "membership", type: "json", value: '{"status":"active"}' };
    expect(graphql(SET, { metafields: [input] })).toMatchObject({
      data: { metafieldsSet: { metafields: [{ key: "membership", namespace: "app--1--regulars", value: '{"status":"active"}' }], userErrors: [] } },
    });
    const id = store.metafield(SHOP, customer.id, "$app:regulars", "membership")?.id;
    graphql(SET, { metafields: [{ ...input, value: '{"status":"left"}' }] });
    expect(store.metafield(SHOP, customer.id, "$app:regulars", "membership")).toMatchObject({ id, value: '{"status":"left"}' });
    expect(graphql(READ, { id: customer.id })).toMatchObject({
      data: { customer: { metafield: { value: '{"status":"left"}', type: "json", namespace: "app--1--regulars" } } },
    });
  });

  it("writes all or nothing: one invalid input fails the call with its index", () => {
    const { customer, graphql, store } = cafe();
    const good = { ownerId: customer.id, namespace: "$app:regulars", key: "a1", type: "json", value: "{}" };
    const bad = { ownerId: customer.id, namespace: "$app:regulars", key: "b1", type: "json", value: "{not json" };
    expect(graphql(SET, { metafields: [good, bad] })).toMatchObject({
      data: { metafieldsSet: { metafields: null, userErrors: [{ field: ["metafields", "1", "value"], code: "INVALID_VALUE", elementIndex: 1 }] } },
    });
    expect(store.metafield(SHOP, customer.id, "$app:regulars", "a1")).toBeNull();
    const noOwner = { ...good, ownerId: "gid://shopify/Customer/1" };
    expect(graphql(SET, { metafields: [noOwner] })).toMatchObject({
      data: { metafieldsSet: { userErrors: [{ field: ["metafields", "0", "ownerId"], message: "Owner does not exist." }] } },
    });
  });

  it("deletes a metafield, answering null for one that did not exist", () => {
    const { customer, graphql, store } = cafe();
    store.setMetafields(SHOP, [{ ownerId: customer.id, namespace: "$app:regulars", key: "membership", type: "json", value: "{}" }]);
    const remove = `mutation($metafields: [MetafieldIdentifierInput!]!) { metafieldsDelete(metafields: $metafields) { deletedMetafields { ownerId namespace key } userErrors { message } } }`;
    const identifier = { ownerId: customer.id, namespace: "$app:regulars", key: "membership" };
    expect(graphql(remove, { metafields: [identifier, { ...identifier, key: "other" }] })).toMatchObject({
      data: { metafieldsDelete: { deletedMetafields: [{ ownerId: customer.id, namespace: "app--1--regulars", key: "membership" }, null], userErrors: [] } },
    });
    expect(store.metafield(SHOP, customer.id, "$app:regulars", "membership")).toBeNull();
  });

  it("drops a customer's metafields with the customer", () => {
    const { customer, store } = cafe();
    store.setMetafields(SHOP, [{ ownerId: customer.id, namespace: "$app:regulars", key: "membership", type: "json", value: "{}" }]);
    store.deleteCustomer(SHOP, customer.id);
    expect(store.shop(SHOP).metafields.size).toBe(0);
  });
});
