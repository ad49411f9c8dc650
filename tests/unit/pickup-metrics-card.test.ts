import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { AppProvider } from "@shopify/polaris";
import en from "@shopify/polaris/locales/en.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { PickupMetricsCard } from "../../app/components/PickupMetricsCard";
import { computePickupMetrics } from "../../app/pickup/metrics";

/** The card renders the computed figures of each location, and says so when there is nothing to show. */

const render = (props: Parameters<typeof PickupMetricsCard>[0]) => renderToStaticMarkup(createElement(AppProvider, { i18n: en }, createElement(PickupMetricsCard, props)));

describe("PickupMetricsCard", () => {
  it("shows each location's figures", () => {
    const locations = computePickupMetrics({
      traffic: [
        { locationId: "1001", day: "2026-03-02", hour: 8, quarter: 0, orders: 6, pickups: 3 },
        { locationId: "1001", day: "2026-03-02", hour: 12, quarter: 0, orders: 2, pickups: 0 },
      ],
      service: [{ locationId: "1001", hour: 8, pickups: 3, readied: 2, onTime: 1, readyMinutes: -3, pickedUp: 2, pickedUpMinutes: 9, noShows: 1 }],
      locations: new Map([["1001", "High Street"], ["1002", "Station"]]),
    });
    const html = render({ from: "2026-03-02", to: "2026-03-09", locations });
    expect(html).toContain("2026-03-02 to 2026-03-08");
    expect(html).toContain("High Street · peak 08:00–09:00");
    expect(html).toContain("50 %"); // prepaid share at peak and on-time rate
    expect(html).toContain("3 of 6");
    expect(html).toContain("−1.5 min");
    expect(html).toContain("+4.5 min");
    expect(html).toContain("1.5"); // 6 peak orders over 1 day × 1 hour × 4 quarters
    expect(html).toContain("Station · peak —");
    expect(html).toContain("No orders in this period.");
  });

  it("says when no location takes pickup orders", () => {
    expect(render({ from: "2026-03-02", to: "2026-03-09", locations: [] })).toContain("No location takes pickup orders yet.");
  });
});
