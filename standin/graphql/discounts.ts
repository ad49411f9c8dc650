import { discountStatus, type CodeDiscount, type CodeDiscountInput, type DiscountUserError } from "../discounts.ts";
import { GqlObject, QueryError, type Args, type JsonValue, type ResolveContext } from "./execute.ts";
import type { AdminScope } from "./root.ts";

/**
 * `discountCodeBasicCreate(basicCodeDiscount:)`: an amount-off code discount
 * (percentage), limited to named customers through `context.customers.add`
 * (or the deprecated `customerSelection.customers.add`), answered as Shopify
 * does: `codeDiscountNode { id codeDiscount { ... on DiscountCodeBasic } }`
 * and `userErrors` (DiscountUserError). Needs the write_discounts scope.
 */

const value = <T extends string | number | boolean | null>(v: T) => () => v;

type JsonObject = { [key: string]: JsonValue };
const object = (v: JsonValue | undefined): JsonObject => (v !== null && typeof v === "object" && !Array.isArray(v) ? v : {});
const textOf = (v: JsonValue | undefined): string | null => (typeof v === "string" ? v : null);
const numberOf = (v: JsonValue | undefined): number | null => (typeof v === "number" ? v : null);

const SAMPLE_DISCOUNT: CodeDiscount = {
  id: "gid://shopify/DiscountCodeNode/1",
  title: "Sample",
  code: "SAMPLE",
  startsAt: "2025-01-01T12:00:00Z",
  endsAt: "2025-01-02T12:00:00Z",
  customerIds: ["gid://shopify/Customer/1"],
  percentage: 0.1,
  appliesOncePerCustomer: true,
  usageLimit: 1,
  createdAt: "2025-01-01T12:00:00Z",
};
const SAMPLE_ERROR: DiscountUserError = { field: ["basicCodeDiscount", "code"], code: "TAKEN", message: "sample" };

export function readCodeDiscountInput(raw: JsonValue | undefined): CodeDiscountInput {
  const input = object(raw);
  const buyersFrom = (holder: JsonValue | undefined): CodeDiscountInput["buyers"] => {
    const selection = object(holder);
    if (selection.all === true || selection.all === "ALL") return { all: true };
    const add = object(selection.customers).add;
    if (Array.isArray(add)) return { customerIds: add.filter((id): id is string => typeof id === "string") };
    return null;
  };
  const gets = object(input.customerGets);
  const percentage = numberOf(object(gets.value).percentage);
  return {
    title: textOf(input.title),
    code: textOf(input.code),
    startsAt: textOf(input.startsAt),
    endsAt: textOf(input.endsAt),
    buyers: buyersFrom(input.context) ?? buyersFrom(input.customerSelection),
    percentage,
    appliesOncePerCustomer: input.appliesOncePerCustomer === true,
    usageLimit: numberOf(input.usageLimit),
  };
}

function userErrorObject(error: DiscountUserError): GqlObject {
  return new GqlObject("DiscountUserError", {
    field: () => error.field,
    code: value(error.code),
    message: value(error.message),
    extraInfo: value(null),
  });
}

function codeDiscountNode(discount: CodeDiscount, now: Date): GqlObject {
  const basic = new GqlObject(
    "DiscountCodeBasic",
    {
      title: value(discount.title),
      status: value(discountStatus(discount, now)),
      startsAt: value(discount.startsAt),
      endsAt: value(discount.endsAt),
      createdAt: value(discount.createdAt),
      usageLimit: value(discount.usageLimit),
      appliesOncePerCustomer: value(discount.appliesOncePerCustomer),
      asyncUsageCount: value(0),
      codesCount: () => new GqlObject("Count", { count: value(1), precision: value("EXACT") }),
      codes: () =>
        new GqlObject("DiscountRedeemCodeConnection", {
          nodes: () => [new GqlObject("DiscountRedeemCode", { code: value(discount.code), asyncUsageCount: value(0), id: value(`${discount.id}/code`) })],
        }),
      customerGets: () =>
        new GqlObject("DiscountCustomerGets", {
          value: () => new GqlObject("DiscountPercentage", { percentage: value(discount.percentage) }, ["DiscountCustomerGetsValue"]),
        }),
    },
    ["DiscountCode"],
  );
  return new GqlObject("DiscountCodeNode", { id: value(discount.id), codeDiscount: () => basic }, ["Node"]);
}

export function discountMutations(scope: AdminScope): GqlObject["fields"] {
  return {
    discountCodeBasicCreate: (args: Args, context: ResolveContext) => {
      if (context.validating || context.dryRun) {
        return new GqlObject("DiscountCodeBasicCreatePayload", {
          codeDiscountNode: () => codeDiscountNode(SAMPLE_DISCOUNT, new Date(SAMPLE_DISCOUNT.createdAt)),
          userErrors: () => [userErrorObject(SAMPLE_ERROR)],
        });
      }
      if (!scope.scopes.has("write_discounts")) {
        throw new QueryError("Access denied for discountCodeBasicCreate field. Required access: `write_discounts` access scope.", {
          path: ["discountCodeBasicCreate"],
          extensions: { code: "ACCESS_DENIED", requiredAccess: "`write_discounts` access scope." },
        });
      }
      const shop = scope.state.info.myshopifyDomain;
      const outcome = scope.store.createCodeDiscount(shop, readCodeDiscountInput(args.basicCodeDiscount));
      const now = scope.store.now();
      return new GqlObject("DiscountCodeBasicCreatePayload", {
        codeDiscountNode: () => (outcome.ok ? codeDiscountNode(outcome.discount, now) : null),
        userErrors: () => (outcome.ok ? [] : outcome.errors.map(userErrorObject)),
      });
    },
  };
}
