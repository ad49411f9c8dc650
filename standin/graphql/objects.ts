import { gid, legacyId } from "../ids.ts";
import { fromCents, toCents } from "../money.ts";
import { currentSubtotalPrice, currentTotalPrice, refundedQuantity, totalRefunded } from "../orders.ts";
import type { ShopState } from "../store.ts";
import { offsetMinutes } from "../time.ts";
import type { BulkOperation, Customer, LineItem, Location, MarketingConsent, Order, Refund, SmsMarketingConsent } from "../types.ts";
import { connection } from "./connection.ts";
import { GqlObject, type Args, type ResolveContext } from "./execute.ts";
import { ownerMetafieldFields } from "./metafields.ts";

/**
 * Store records as Admin GraphQL objects (API 2024-10 … 2026-01 field names,
 * including the deprecated ones apps still send, such as `Customer.email`).
 * Enums are upper case, UnsignedInt64 counts are strings, money is MoneyBag.
 */

const value = <T extends string | number | boolean | null>(v: T) => () => v;
const upper = (v: string | null) => (v === null ? null : v.toUpperCase());

export function money(amount: string, currencyCode: string): GqlObject {
  return new GqlObject("MoneyV2", { amount: value(amount), currencyCode: value(currencyCode) });
}

export function moneyBag(amount: string, currencyCode: string): GqlObject {
  return new GqlObject("MoneyBag", {
    shopMoney: () => money(amount, currencyCode),
    presentmentMoney: () => money(amount, currencyCode),
  });
}

export function shopObject(state: ShopState): GqlObject {
  const info = state.info;
  return new GqlObject(
    "Shop",
    {
      id: value(gid("Shop", info.id)),
      name: value(info.name),
      email: value(info.email),
      contactEmail: value(info.email),
      myshopifyDomain: value(info.myshopifyDomain),
      url: value(`https://${info.myshopifyDomain}`),
      ianaTimezone: value(info.ianaTimezone),
      timezoneOffsetMinutes: () => offsetMinutes(new Date(), info.ianaTimezone),
      timezoneOffset: () => {
        const minutes = offsetMinutes(new Date(), info.ianaTimezone);
        const abs = Math.abs(minutes);
        return `${minutes < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
      },
      currencyCode: value(info.currencyCode),
      enabledPresentmentCurrencies: () => [info.currencyCode],
      createdAt: value(info.createdAt),
      primaryDomain: () =>
        new GqlObject("Domain", {
          id: value(`gid://shopify/Domain/${info.id}`),
          host: value(info.myshopifyDomain),
          url: value(`https://${info.myshopifyDomain}`),
          sslEnabled: value(true),
        }),
      plan: () =>
        new GqlObject("ShopPlan", {
          displayName: value("Development"),
          partnerDevelopment: value(true),
          shopifyPlus: value(false),
        }),
    },
    ["Node"],
  );
}

export function locationObject(location: Location): GqlObject {
  return new GqlObject(
    "Location",
    {
      id: value(location.id),
      legacyResourceId: value(String(legacyId(location.id))),
      name: value(location.name),
      isActive: value(location.isActive),
      fulfillsOnlineOrders: value(true),
      createdAt: value(location.createdAt),
      updatedAt: value(location.updatedAt),
      address: () =>
        new GqlObject("LocationAddress", {
          address1: value(location.address1),
          address2: value(null),
          city: value(location.city),
          zip: value(location.zip),
          countryCode: value(location.countryCode),
          formatted: () => [location.address1, `${location.city} ${location.zip}`, location.countryCode],
        }),
    },
    ["Node"],
  );
}

function consentObject(consent: MarketingConsent | SmsMarketingConsent | null, typename: string): GqlObject | null {
  if (!consent) return null;
  const fields: GqlObject["fields"] = {
    marketingState: value(upper(consent.state)),
    marketingOptInLevel: value(upper(consent.optInLevel)),
    consentUpdatedAt: value(consent.consentUpdatedAt),
  };
  if ("consentCollectedFrom" in consent) {
    fields.consentCollectedFrom = value(consent.consentCollectedFrom);
  }
  return new GqlObject(typename, fields);
}

export interface ObjectScope {
  state: ShopState;
  /** Orders the token may see (all, or only the last 60 days without read_all_orders). */
  visibleOrders: () => Order[];
}

export function customerObject(scope: ObjectScope, customer: Customer): GqlObject {
  const currency = scope.state.info.currencyCode;
  const orders = () => scope.visibleOrders().filter((order) => order.customerId === customer.id);
  const spent = () => fromCents(orders().reduce((sum, order) => sum + toCents(currentTotalPrice(order)), 0));
  return new GqlObject(
    "Customer",
    {
      id: value(customer.id),
      legacyResourceId: value(String(legacyId(customer.id))),
      email: value(customer.email),
      phone: value(customer.phone),
      firstName: value(customer.firstName),
      lastName: value(customer.lastName),
      displayName: value([customer.firstName, customer.lastName].filter(Boolean).join(" ") || customer.email || customer.phone || ""),
      createdAt: value(customer.createdAt),
      updatedAt: value(customer.updatedAt),
      state: value(upper(customer.state)),
      note: value(customer.note),
      verifiedEmail: value(customer.verifiedEmail),
      locale: value(customer.locale),
      tags: () => customer.tags,
      ...ownerMetafieldFields(scope.state, customer.id),
      emailMarketingConsent: () => consentObject(customer.emailMarketingConsent, "CustomerEmailMarketingConsentState"),
      smsMarketingConsent: () => consentObject(customer.smsMarketingConsent, "CustomerSmsMarketingConsentState"),
      defaultEmailAddress: () =>
        customer.email === null
          ? null
          : new GqlObject("CustomerEmailAddress", {
              emailAddress: value(customer.email),
              marketingState: value(upper(customer.emailMarketingConsent?.state ?? "not_subscribed")),
              marketingOptInLevel: value(upper(customer.emailMarketingConsent?.optInLevel ?? null)),
              marketingUpdatedAt: value(customer.emailMarketingConsent?.consentUpdatedAt ?? null),
            }),
      defaultPhoneNumber: () =>
        customer.phone === null
          ? null
          : new GqlObject("CustomerPhoneNumber", {
              phoneNumber: value(customer.phone),
              marketingState: value(upper(customer.smsMarketingConsent?.state ?? "not_subscribed")),
              marketingOptInLevel: value(upper(customer.smsMarketingConsent?.optInLevel ?? null)),
              marketingUpdatedAt: value(customer.smsMarketingConsent?.consentUpdatedAt ?? null),
              marketingCollectedFrom: value(customer.smsMarketingConsent?.consentCollectedFrom ?? null),
            }),
      numberOfOrders: () => String(orders().length),
      amountSpent: () => money(spent(), currency),
      lastOrder: () => {
        const last = orders().sort((a, b) => a.createdAt.localeCompare(b.createdAt)).pop();
        return last ? orderObject(scope, last) : null;
      },
      orders: (args: Args, context: ResolveContext) =>
        connection(
          {
            typename: "OrderConnection",
            fieldName: "orders",
            items: orders(),
            sortValue: (order) => legacyId(order.id),
            numericId: (order) => legacyId(order.id),
            toNode: (order) => orderObject(scope, order),
          },
          args,
          context,
        ),
    },
    ["Node"],
  );
}

function lineItemObject(order: Order, line: LineItem): GqlObject {
  const currency = order.currency;
  const unitCents = toCents(line.price);
  const discountedUnit = fromCents(Math.round((unitCents * line.quantity - toCents(line.totalDiscount)) / line.quantity));
  const current = Math.max(0, line.quantity - refundedQuantity(order, line.id));
  return new GqlObject(
    "LineItem",
    {
      id: value(line.id),
      title: value(line.title),
      name: value(line.variantTitle ? `${line.title} - ${line.variantTitle}` : line.title),
      variantTitle: value(line.variantTitle),
      quantity: value(line.quantity),
      currentQuantity: value(current),
      refundableQuantity: value(current),
      sku: value(line.sku),
      vendor: value(line.vendor),
      requiresShipping: value(false),
      taxable: value(true),
      customAttributes: () => [],
      variant: () =>
        line.variantId === null
          ? null
          : new GqlObject("ProductVariant", {
              id: value(line.variantId),
              legacyResourceId: value(String(legacyId(line.variantId))),
              title: value(line.variantTitle ?? "Default Title"),
              sku: value(line.sku),
            }, ["Node"]),
      product: () =>
        line.productId === null
          ? null
          : new GqlObject("Product", {
              id: value(line.productId),
              legacyResourceId: value(String(legacyId(line.productId))),
              title: value(line.title),
            }, ["Node"]),
      originalUnitPriceSet: () => moneyBag(line.price, currency),
      discountedUnitPriceSet: () => moneyBag(discountedUnit, currency),
      originalTotalSet: () => moneyBag(fromCents(unitCents * line.quantity), currency),
      discountedTotalSet: () => moneyBag(fromCents(unitCents * line.quantity - toCents(line.totalDiscount)), currency),
      totalDiscountSet: () => moneyBag(line.totalDiscount, currency),
    },
    ["Node"],
  );
}

function refundObject(order: Order, refund: Refund): GqlObject {
  return new GqlObject(
    "Refund",
    {
      id: value(refund.id),
      legacyResourceId: value(String(legacyId(refund.id))),
      createdAt: value(refund.createdAt),
      updatedAt: value(refund.processedAt),
      note: value(refund.note),
      totalRefundedSet: () => moneyBag(refund.amount, order.currency),
      refundLineItems: (args: Args, context: ResolveContext) =>
        connection(
          {
            typename: "RefundLineItemConnection",
            fieldName: "refundLineItems",
            items: refund.refundLineItems,
            sortValue: (line) => line.id,
            numericId: (line) => line.id,
            toNode: (line) => {
              const item = order.lineItems.find((candidate) => candidate.id === line.lineItemId);
              return new GqlObject("RefundLineItem", {
                id: value(`gid://shopify/RefundLineItem/${line.id}`),
                quantity: value(line.quantity),
                restockType: value("NO_RESTOCK"),
                restocked: value(false),
                subtotalSet: () => moneyBag(line.subtotal, order.currency),
                lineItem: () => (item ? lineItemObject(order, item) : null),
              });
            },
          },
          args,
          context,
        ),
    },
    ["Node"],
  );
}

export function orderObject(scope: ObjectScope, order: Order): GqlObject {
  const currency = order.currency;
  const location = () => {
    const found = scope.state.locations.find((candidate) => candidate.id === order.locationId);
    return found ? locationObject(found) : null;
  };
  return new GqlObject(
    "Order",
    {
      id: value(order.id),
      legacyResourceId: value(String(legacyId(order.id))),
      name: value(order.name),
      email: value(order.email),
      phone: value(null),
      createdAt: value(order.createdAt),
      processedAt: value(order.processedAt),
      updatedAt: value(order.updatedAt),
      cancelledAt: value(order.cancelledAt),
      cancelReason: value(upper(order.cancelReason)),
      closed: value(order.closedAt !== null),
      closedAt: value(order.closedAt),
      confirmed: value(true),
      test: value(order.test),
      currencyCode: value(currency),
      presentmentCurrencyCode: value(currency),
      sourceName: value(order.sourceName),
      sourceIdentifier: value(null),
      note: value(order.note),
      tags: () => order.tags,
      customAttributes: () => order.noteAttributes.map((attr) => new GqlObject("Attribute", { key: value(attr.name), value: value(attr.value) })),
      displayFinancialStatus: value(upper(order.financialStatus)),
      displayFulfillmentStatus: value(order.fulfillmentStatus === null ? "UNFULFILLED" : upper(order.fulfillmentStatus)),
      fullyPaid: value(order.financialStatus === "paid" || order.financialStatus.includes("refunded")),
      paymentGatewayNames: () => [order.gateway],
      taxesIncluded: value(order.taxesIncluded),
      customer: () => {
        const customer = order.customerId ? scope.state.customers.get(order.customerId) : undefined;
        return customer ? customerObject(scope, customer) : null;
      },
      physicalLocation: location,
      retailLocation: location,
      totalPrice: value(order.totalPrice),
      subtotalPrice: value(order.subtotalPrice),
      totalDiscounts: value(order.totalDiscounts),
      totalTax: value(order.totalTax),
      totalPriceSet: () => moneyBag(order.totalPrice, currency),
      subtotalPriceSet: () => moneyBag(order.subtotalPrice, currency),
      totalDiscountsSet: () => moneyBag(order.totalDiscounts, currency),
      totalTaxSet: () => moneyBag(order.totalTax, currency),
      currentTotalPriceSet: () => moneyBag(currentTotalPrice(order), currency),
      currentSubtotalPriceSet: () => moneyBag(currentSubtotalPrice(order), currency),
      totalRefundedSet: () => moneyBag(totalRefunded(order), currency),
      refunds: (args: Args) => {
        const first = typeof args.first === "number" ? args.first : order.refunds.length;
        return order.refunds.slice(0, first).map((refund) => refundObject(order, refund));
      },
      lineItems: (args: Args, context: ResolveContext) =>
        connection(
          {
            typename: "LineItemConnection",
            fieldName: "lineItems",
            items: order.lineItems,
            sortValue: (line) => legacyId(line.id),
            numericId: (line) => legacyId(line.id),
            toNode: (line) => lineItemObject(order, line),
          },
          args,
          context,
        ),
    },
    ["Node"],
  );
}

export function bulkOperationObject(operation: BulkOperation): GqlObject {
  return new GqlObject(
    "BulkOperation",
    {
      id: value(operation.id),
      status: value(operation.status),
      errorCode: value(operation.errorCode),
      createdAt: value(operation.createdAt),
      completedAt: value(operation.completedAt),
      // UnsignedInt64 travels as a string in JSON.
      objectCount: value(String(operation.objectCount)),
      rootObjectCount: value(String(operation.rootObjectCount)),
      fileSize: value(operation.fileSize === null ? null : String(operation.fileSize)),
      url: value(operation.url),
      partialDataUrl: value(operation.partialDataUrl),
      query: value(operation.query),
      type: value(operation.type),
    },
    ["Node"],
  );
}
