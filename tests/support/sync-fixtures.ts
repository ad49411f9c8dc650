import type { SyncedCustomer, SyncedOrder } from "../../app/sync/types";

export function order(overrides: Partial<SyncedOrder> = {}): SyncedOrder {
  return {
    id: "1001",
    name: "#1001",
    customerId: "501",
    locationId: "71",
    channel: "pos",
    sourceName: "pos",
    currency: "GBP",
    totalPrice: "7.40",
    subtotalPrice: "7.40",
    totalDiscounts: "0.00",
    financialStatus: "paid",
    processedAt: new Date("2026-11-02T08:15:00Z"),
    cancelledAt: null,
    noteAttributes: [],
    shopifyCreatedAt: new Date("2026-11-02T08:15:00Z"),
    shopifyUpdatedAt: new Date("2026-11-02T08:15:00Z"),
    lineItems: [
      { id: "1", productId: "9", variantId: "91", sku: "LATTE-OAT", title: "Oat latte", quantity: 1, price: "3.90" },
      { id: "2", productId: "8", variantId: "81", sku: "CROISSANT", title: "Croissant", quantity: 1, price: "3.50" },
    ],
    refunds: [],
    ...overrides,
  };
}

export function customer(overrides: Partial<SyncedCustomer> = {}): SyncedCustomer {
  return {
    id: "501",
    email: "ada@example.com",
    phone: null,
    firstName: "Ada",
    lastName: "Lovelace",
    emailMarketingState: "SUBSCRIBED",
    emailMarketingAt: new Date("2026-10-01T00:00:00Z"),
    smsMarketingState: null,
    smsMarketingAt: null,
    tags: [],
    shopifyCreatedAt: new Date("2026-10-01T00:00:00Z"),
    shopifyUpdatedAt: new Date("2026-10-01T00:00:00Z"),
    ...overrides,
  };
}
