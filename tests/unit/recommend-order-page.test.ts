import { describe, expect, it } from "vitest";
import type { OrderAheadPage } from "../../app/pickup/order-ahead.server";
import { orderAheadHtml } from "../../app/pickup/order-page";

const location = { locationId: "1", name: "High Street", enabled: true };
const page: OrderAheadPage = {
  shopName: "Corner Cafe",
  currency: "GBP",
  timezone: "Europe/London",
  locations: [location],
  location,
  menu: [
    { variantId: "11", productId: "1", title: "Flat white", price: "3.40", isDrink: true, available: true },
    { variantId: "22", productId: "2", title: "Almond <croissant>", price: "3.60", isDrink: false, available: true },
  ],
  slots: [{ start: "2026-03-05T08:00:00.000Z", label: "08:00", date: "2026-03-05", ordersLeft: null }],
  loggedIn: true,
  hold: null,
};

describe("the order-ahead page's suggestions", () => {
  it("names the member's suggestions on the menu with what they go with, escaped", () => {
    const html = orderAheadHtml({ ...page, suggestions: [{ variantId: "22", title: "Almond <croissant>", becauseOfTitle: "Flat White" }] }, { proxyPath: "/apps/regulars" });
    expect(html).toContain('<p class="also-like">You might also like: <strong>Almond &lt;croissant&gt;</strong> <span class="muted">(goes with your Flat White)</span></p>');
  });

  it("says nothing when there is no suggestion", () => {
    expect(orderAheadHtml({ ...page, suggestions: [] }, { proxyPath: "/apps/regulars" })).not.toContain("You might also like");
    expect(orderAheadHtml(page, { proxyPath: "/apps/regulars" })).not.toContain("You might also like");
  });
});
