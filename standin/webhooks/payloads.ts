import type { JsonValue } from "../graphql/execute.ts";
import { legacyId } from "../ids.ts";
import { currentSubtotalPrice, currentTotalPrice, lineItemsTotal, refundedQuantity } from "../orders.ts";
import type { ShopState } from "../store.ts";
import { formatInZone, formatNullableInZone } from "../time.ts";
import type { BulkOperation, Customer, LineItem, Location, MarketingConsent, Order, Refund, SmsMarketingConsent } from "../types.ts";

/**
 * Webhook bodies in Shopify's REST JSON shape: snake_case, numeric `id` plus
 * `admin_graphql_api_id`, money as strings, timestamps in the shop's own
 * offset. Field set follows the 2024-10+ payloads (customer totals such as
 * `orders_count` are gone from them, so they are absent here too).
 * https://shopify.dev/docs/api/webhooks
 */

export type JsonObject = { [key: string]: JsonValue };

const idOrNull = (value: string | null) => (value === null ? null : legacyId(value));

function priceSet(amount: string, currency: string): JsonObject {
  return {
    shop_money: { amount, currency_code: currency },
    presentment_money: { amount, currency_code: currency },
  };
}

function emailConsent(consent: MarketingConsent | null, zone: string): JsonValue {
  if (!consent) return null;
  return {
    state: consent.state,
    opt_in_level: consent.optInLevel,
    consent_updated_at: formatNullableInZone(consent.consentUpdatedAt, zone),
  };
}

function smsConsent(consent: SmsMarketingConsent | null, zone: string): JsonValue {
  if (!consent) return null;
  return {
    state: consent.state,
    opt_in_level: consent.optInLevel,
    consent_updated_at: formatNullableInZone(consent.consentUpdatedAt, zone),
    consent_collected_from: consent.consentCollectedFrom,
  };
}

export function customerWebhookPayload(shop: ShopState, customer: Customer): JsonObject {
  const zone = shop.info.ianaTimezone;
  return {
    id: legacyId(customer.id),
    email: customer.email,
    created_at: formatInZone(customer.createdAt, zone),
    updated_at: formatInZone(customer.updatedAt, zone),
    first_name: customer.firstName,
    last_name: customer.lastName,
    state: customer.state,
    note: customer.note,
    verified_email: customer.verifiedEmail,
    multipass_identifier: null,
    tax_exempt: false,
    phone: customer.phone,
    currency: shop.info.currencyCode,
    tags: customer.tags.join(", "),
    addresses: [],
    tax_exemptions: [],
    email_marketing_consent: emailConsent(customer.emailMarketingConsent, zone),
    sms_marketing_consent: smsConsent(customer.smsMarketingConsent, zone),
    admin_graphql_api_id: customer.id,
    default_address: null,
  };
}

/** customers/delete carries only what identifies the deleted customer. */
export function customerDeletePayload(customerId: string): JsonObject {
  return {
    id: legacyId(customerId),
    phone: null,
    addresses: [],
    tax_exemptions: [],
    email_marketing_consent: null,
    sms_marketing_consent: null,
    admin_graphql_api_id: customerId,
  };
}

function lineItemPayload(order: Order, line: LineItem): JsonObject {
  return {
    id: legacyId(line.id),
    admin_graphql_api_id: line.id,
    attributed_staffs: [],
    current_quantity: Math.max(0, line.quantity - refundedQuantity(order, line.id)),
    fulfillable_quantity: order.fulfillmentStatus === "fulfilled" ? 0 : line.quantity,
    fulfillment_service: "manual",
    fulfillment_status: order.fulfillmentStatus === "fulfilled" ? "fulfilled" : null,
    gift_card: false,
    grams: 0,
    name: line.variantTitle ? `${line.title} - ${line.variantTitle}` : line.title,
    price: line.price,
    price_set: priceSet(line.price, order.currency),
    product_exists: line.productId !== null,
    product_id: idOrNull(line.productId),
    properties: [],
    quantity: line.quantity,
    requires_shipping: false,
    sku: line.sku,
    taxable: true,
    title: line.title,
    total_discount: line.totalDiscount,
    total_discount_set: priceSet(line.totalDiscount, order.currency),
    variant_id: idOrNull(line.variantId),
    variant_inventory_management: null,
    variant_title: line.variantTitle,
    vendor: line.vendor,
    tax_lines: [],
    duties: [],
    discount_allocations: [],
  };
}

function refundPayload(shop: ShopState, order: Order, refund: Refund): JsonObject {
  const zone = shop.info.ianaTimezone;
  return {
    id: legacyId(refund.id),
    admin_graphql_api_id: refund.id,
    created_at: formatInZone(refund.createdAt, zone),
    note: refund.note,
    order_id: legacyId(order.id),
    processed_at: formatInZone(refund.processedAt, zone),
    restock: false,
    total_duties_set: priceSet("0.00", order.currency),
    user_id: null,
    order_adjustments: [],
    transactions: [
      {
        id: refund.transactionId,
        admin_graphql_api_id: `gid://shopify/OrderTransaction/${refund.transactionId}`,
        amount: refund.amount,
        authorization: null,
        created_at: formatInZone(refund.createdAt, zone),
        currency: order.currency,
        device_id: null,
        error_code: null,
        gateway: refund.gateway,
        kind: "refund",
        location_id: idOrNull(order.locationId),
        message: "Refunded",
        order_id: legacyId(order.id),
        parent_id: null,
        processed_at: formatInZone(refund.processedAt, zone),
        source_name: order.sourceName,
        status: "success",
        test: order.test,
        user_id: null,
      },
    ],
    refund_line_items: refund.refundLineItems.map((line) => {
      const item = order.lineItems.find((candidate) => candidate.id === line.lineItemId);
      return {
        id: line.id,
        line_item_id: legacyId(line.lineItemId),
        location_id: idOrNull(order.locationId),
        quantity: line.quantity,
        restock_type: "no_restock",
        subtotal: Number(line.subtotal),
        subtotal_set: priceSet(line.subtotal, order.currency),
        total_tax: 0,
        total_tax_set: priceSet("0.00", order.currency),
        line_item: item ? lineItemPayload(order, item) : null,
      };
    }),
    duties: [],
  };
}

export function refundWebhookPayload(shop: ShopState, order: Order, refund: Refund): JsonObject {
  return refundPayload(shop, order, refund);
}

export function orderWebhookPayload(shop: ShopState, order: Order): JsonObject {
  const zone = shop.info.ianaTimezone;
  const customer = order.customerId ? shop.customers.get(order.customerId) : undefined;
  const currency = order.currency;
  return {
    id: legacyId(order.id),
    admin_graphql_api_id: order.id,
    app_id: order.sourceName === "pos" ? 129785 : 580111,
    browser_ip: null,
    buyer_accepts_marketing: customer?.emailMarketingConsent?.state === "subscribed",
    cancel_reason: order.cancelReason,
    cancelled_at: formatNullableInZone(order.cancelledAt, zone),
    cart_token: null,
    checkout_id: null,
    checkout_token: null,
    closed_at: formatNullableInZone(order.closedAt, zone),
    confirmation_number: order.name.replace("#", "C"),
    confirmed: true,
    contact_email: order.email,
    created_at: formatInZone(order.createdAt, zone),
    currency,
    current_subtotal_price: currentSubtotalPrice(order),
    current_subtotal_price_set: priceSet(currentSubtotalPrice(order), currency),
    current_total_discounts: order.totalDiscounts,
    current_total_price: currentTotalPrice(order),
    current_total_price_set: priceSet(currentTotalPrice(order), currency),
    current_total_tax: order.totalTax,
    customer_locale: customer?.locale ?? null,
    device_id: null,
    discount_codes: [],
    email: order.email ?? "",
    estimated_taxes: false,
    financial_status: order.financialStatus,
    fulfillment_status: order.fulfillmentStatus,
    landing_site: null,
    location_id: idOrNull(order.locationId),
    name: order.name,
    note: order.note,
    note_attributes: order.noteAttributes.map((attr) => ({ name: attr.name, value: attr.value })),
    number: order.orderNumber - 1000,
    order_number: order.orderNumber,
    payment_gateway_names: [order.gateway],
    phone: null,
    presentment_currency: currency,
    processed_at: formatInZone(order.processedAt, zone),
    reference: null,
    source_identifier: null,
    source_name: order.sourceName,
    subtotal_price: order.subtotalPrice,
    subtotal_price_set: priceSet(order.subtotalPrice, currency),
    tags: order.tags.join(", "),
    taxes_included: order.taxesIncluded,
    test: order.test,
    token: legacyId(order.id).toString(16),
    total_discounts: order.totalDiscounts,
    total_discounts_set: priceSet(order.totalDiscounts, currency),
    total_line_items_price: lineItemsTotal(order),
    total_line_items_price_set: priceSet(lineItemsTotal(order), currency),
    total_outstanding: "0.00",
    total_price: order.totalPrice,
    total_price_set: priceSet(order.totalPrice, currency),
    total_tax: order.totalTax,
    total_tax_set: priceSet(order.totalTax, currency),
    total_tip_received: "0.00",
    total_weight: 0,
    updated_at: formatInZone(order.updatedAt, zone),
    user_id: null,
    billing_address: null,
    customer: customer ? customerWebhookPayload(shop, customer) : null,
    discount_applications: [],
    fulfillments: [],
    line_items: order.lineItems.map((line) => lineItemPayload(order, line)),
    payment_terms: null,
    refunds: order.refunds.map((refund) => refundPayload(shop, order, refund)),
    shipping_address: null,
    shipping_lines: [],
  };
}

/** app/uninstalled sends the shop resource. */
export function shopWebhookPayload(shop: ShopState): JsonObject {
  const info = shop.info;
  const primary: Location | undefined = shop.locations[0];
  return {
    id: info.id,
    name: info.name,
    email: info.email,
    domain: info.myshopifyDomain,
    province: null,
    country: primary?.countryCode ?? "GB",
    address1: primary?.address1 ?? null,
    zip: primary?.zip ?? null,
    city: primary?.city ?? null,
    source: null,
    phone: null,
    created_at: formatInZone(info.createdAt, info.ianaTimezone),
    updated_at: formatInZone(info.createdAt, info.ianaTimezone),
    country_code: primary?.countryCode ?? "GB",
    currency: info.currencyCode,
    customer_email: info.email,
    timezone: `(GMT) ${info.ianaTimezone}`,
    iana_timezone: info.ianaTimezone,
    shop_owner: "Cafe Owner",
    money_format: "{{amount}}",
    weight_unit: "kg",
    taxes_included: true,
    plan_display_name: "Development",
    plan_name: "partner_test",
    myshopify_domain: info.myshopifyDomain,
    primary_location_id: primary ? legacyId(primary.id) : null,
    multi_location_enabled: true,
    password_enabled: true,
    has_storefront: true,
    enabled_presentment_currencies: [info.currencyCode],
  };
}

/** bulk_operations/finish: lower-case status and type, unlike the GraphQL enum. */
export function bulkOperationFinishPayload(shop: ShopState, operation: BulkOperation): JsonObject {
  const zone = shop.info.ianaTimezone;
  return {
    admin_graphql_api_id: operation.id,
    completed_at: formatNullableInZone(operation.completedAt, zone),
    created_at: formatInZone(operation.createdAt, zone),
    error_code: operation.errorCode === null ? null : operation.errorCode.toLowerCase(),
    status: operation.status.toLowerCase(),
    type: operation.type.toLowerCase(),
  };
}

const customerOrderIds = (shop: ShopState, customer: Customer) =>
  [...shop.orders.values()].filter((order) => order.customerId === customer.id).map((order) => legacyId(order.id));

function complianceCustomer(customer: Customer): JsonObject {
  return { id: legacyId(customer.id), email: customer.email, phone: customer.phone };
}

export function customersDataRequestPayload(shop: ShopState, customer: Customer, dataRequestId = 9999): JsonObject {
  return {
    shop_id: shop.info.id,
    shop_domain: shop.info.myshopifyDomain,
    orders_requested: customerOrderIds(shop, customer),
    customer: complianceCustomer(customer),
    data_request: { id: dataRequestId },
  };
}

export function customersRedactPayload(shop: ShopState, customer: Customer): JsonObject {
  return {
    shop_id: shop.info.id,
    shop_domain: shop.info.myshopifyDomain,
    customer: complianceCustomer(customer),
    orders_to_redact: customerOrderIds(shop, customer),
  };
}

export function shopRedactPayload(shop: ShopState): JsonObject {
  return { shop_id: shop.info.id, shop_domain: shop.info.myshopifyDomain };
}

