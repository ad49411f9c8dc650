import { describe, expect, it } from "vitest";
import { DISCOUNT_CODE_MUTATION } from "../../app/campaigns/discounts.server";
import { BulkRunner } from "../../standin/bulk.ts";
import { handleGraphQL } from "../../standin/graphql/handler.ts";
import { StandinStore } from "../../standin/store.ts";

/** The stand-in's discountCodeBasicCreate, which campaign discount codes rely on, answered like Shopify. */

const SHOP = "unit-cafe.myshopify.com";

function cafe(scope = "read_customers,write_discounts") {
  const store = new StandinStore({ now: () => new Date("2026-03-01T12:00:00Z") });
  store.addShop({ domain: SHOP });
  const token = store.issueAccessToken(SHOP, { scope });
  const customer = store.addCustomer(SHOP, { email: "ada@example.com" });
  const bulk = new BulkRunner({ store, baseUrl: () => "http://127.0.0.1", delayMs: 0, onFinish: () => undefined });
  const graphql = (query: string, variables: Record<string, unknown> = {}) => {
    const reply = handleGraphQL({ store, bulk }, { shop: SHOP, accessToken: token.token, contentType: "application/json", body: JSON.stringify({ query, variables }) });
    expect(reply.status).toBe(200);
    return reply.body;
  };
  return { store, customer, graphql };
}

const discount = (customerGid: string, overrides: Record<string, unknown> = {}) => ({
  title: "Tasting (RG-ABC)",
  code: "RG-ABCDEFGHJK",
  startsAt: "2026-03-01T12:00:00Z",
  endsAt: "2026-03-04T12:00:00Z",
  context: { customers: { add: [customerGid] } },
  customerGets: { value: { percentage: 0.15 }, items: { all: true } },
  appliesOncePerCustomer: true,
  usageLimit: 1,
  ...overrides,
});

const READ_BACK = `mutation($d: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $d) {
  codeDiscountNode { id codeDiscount { __typename ... on DiscountCodeBasic { title status startsAt endsAt usageLimit appliesOncePerCustomer
    codes(first: 1) { nodes { code } } customerGets { value { ... on DiscountPercentage { percentage } } } } } }
  userErrors { field code message } } }`;

describe("stand-in discountCodeBasicCreate", () => {
  it("creates a percentage code for one customer, as the app asks for it", () => {
    const { store, customer, graphql } = cafe();
    const body = graphql(DISCOUNT_CODE_MUTATION, { discount: discount(customer.id) });
    expect(body).toMatchObject({ data: { discountCodeBasicCreate: { codeDiscountNode: { id: expect.stringMatching(/^gid:\/\/shopify\/DiscountCodeNode\/\d+$/) }, userErrors: [] } } });
    expect(store.codeDiscount(SHOP, "rg-abcdefghjk")).toMatchObject({
      code: "RG-ABCDEFGHJK",
      customerIds: [customer.id],
      percentage: 0.15,
      usageLimit: 1,
      appliesOncePerCustomer: true,
      endsAt: "2026-03-04T12:00:00Z",
    });
  });

  it("answers the created discount's fields", () => {
    const { customer, graphql } = cafe();
    const body = graphql(READ_BACK, { d: discount(customer.id, { code: "WELCOME" }) });
    expect(body).toMatchObject({
      data: {
        discountCodeBasicCreate: {
          codeDiscountNode: {
            codeDiscount: {
              __typename: "DiscountCodeBasic",
              title: "Tasting (RG-ABC)",
              status: "ACTIVE",
              usageLimit: 1,
              codes: { nodes: [{ code: "WELCOME" }] },
              customerGets: { value: { percentage: 0.15 } },
            },
          },
          userErrors: [],
        },
      },
    });
  });

  it("refuses a code already taken in the shop, whatever its case, and creates nothing", () => {
    const { store, customer, graphql } = cafe();
    graphql(DISCOUNT_CODE_MUTATION, { discount: discount(customer.id) });
    const again = graphql(DISCOUNT_CODE_MUTATION, { discount: discount(customer.id, { code: "rg-abcdefghjk", title: "Other" }) });
    expect(again).toMatchObject({
      data: {
        discountCodeBasicCreate: {
          codeDiscountNode: null,
          userErrors: [{ field: ["basicCodeDiscount", "code"], code: "TAKEN", message: "Code must be unique. Please try a different code." }],
        },
      },
    });
    expect(store.codeDiscount(SHOP, "RG-ABCDEFGHJK")?.title).toBe("Tasting (RG-ABC)");
  });

  it("reports each invalid field as a user error", () => {
    const { customer, graphql } = cafe();
    const body = graphql(DISCOUNT_CODE_MUTATION, {
      discount: discount(customer.id, {
        title: " ",
        endsAt: "2026-02-01T00:00:00Z",
        context: { customers: { add: [customer.id, "gid://shopify/Customer/1"] } },
        customerGets: { value: { percentage: 15 }, items: { all: true } },
      }),
    });
    const errors = (body as { data: { discountCodeBasicCreate: { userErrors: Array<{ field: string[]; code: string }> } } }).data.discountCodeBasicCreate.userErrors;
    expect(errors.map((e) => [e.field.join("."), e.code])).toEqual([
      ["basicCodeDiscount.title", "BLANK"],
      ["basicCodeDiscount.endsAt", "END_DATE_BEFORE_START_DATE"],
      ["basicCodeDiscount.context.customers.add.1", "INVALID"],
      ["basicCodeDiscount.customerGets.value.percentage", "VALUE_OUTSIDE_RANGE"],
    ]);
  });

  it("accepts the deprecated customerSelection and needs some buyers", () => {
    const { customer, graphql } = cafe();
    const { context: _unused, ...withoutContext } = discount(customer.id, { code: "OLD-STYLE" });
    void _unused;
    expect(graphql(DISCOUNT_CODE_MUTATION, { discount: { ...withoutContext, customerSelection: { customers: { add: [customer.id] } } } })).toMatchObject({
      data: { discountCodeBasicCreate: { userErrors: [] } },
    });
    expect(graphql(DISCOUNT_CODE_MUTATION, { discount: { ...withoutContext, code: "NOBODY" } })).toMatchObject({
      data: { discountCodeBasicCreate: { userErrors: [{ field: ["basicCodeDiscount", "context"], code: "BLANK" }] } },
    });
  });

  it("needs the write_discounts scope", () => {
    const { store, customer, graphql } = cafe("read_customers");
    expect(graphql(DISCOUNT_CODE_MUTATION, { discount: discount(customer.id) })).toMatchObject({
      errors: [{ message: "Access denied for discountCodeBasicCreate field. Required access: `write_discounts` access scope.", extensions: { code: "ACCESS_DENIED" } }],
    });
    expect(store.codeDiscount(SHOP, "RG-ABCDEFGHJK")).toBeNull();
  });

  it("refuses a misspelt payload field before creating anything", () => {
    const { store, customer, graphql } = cafe();
    const body = graphql(`mutation($d: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $d) { userErrors { feild } } }`, { d: discount(customer.id) });
    expect(body).toMatchObject({ errors: [{ message: "Field 'feild' doesn't exist on type 'DiscountUserError'" }] });
    expect(store.codeDiscount(SHOP, "RG-ABCDEFGHJK")).toBeNull();
  });
});
