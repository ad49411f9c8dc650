import { BlockStack, Card, InlineGrid, Text } from "@shopify/polaris";
import { peakHoursText, type LocationPickupMetrics } from "../pickup/metrics";

/**
 * The pickup figures of a range (app/pickup/metrics.server.ts) on a small
 * card: per location, the prepaid share of peak orders, the on-time rate,
 * minutes from slot to ready and to picked up, orders per 15 minutes at peak
 * and no-shows. Pass what `recentPickupMetrics` or `pickupMetrics` returned.
 */

export interface PickupMetricsCardProps {
  /** First and last-plus-one shop-local days, YYYY-MM-DD. */
  from: string;
  to: string;
  locations: readonly LocationPickupMetrics[];
  title?: string;
}

const percent = (value: number | null) => (value === null ? "—" : `${Math.round(value * 100)} %`);
const minutes = (value: number | null) => (value === null ? "—" : `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(1)} min`);
const rate = (value: number | null) => (value === null ? "—" : value.toFixed(1));

function Figure({ label, value, help }: { label: string; value: string; help?: string }) {
  return (
    <BlockStack gap="050">
      <Text as="p" variant="bodySm" tone="subdued">
        {label}
      </Text>
      <Text as="p" variant="headingMd">
        {value}
      </Text>
      {help ? (
        <Text as="p" variant="bodySm" tone="subdued">
          {help}
        </Text>
      ) : null}
    </BlockStack>
  );
}

function lastDay(to: string): string {
  const date = new Date(`${to}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? to : new Date(date.getTime() - 86_400_000).toISOString().slice(0, 10);
}

export function PickupMetricsCard({ from, to, locations, title = "Pickup at a glance" }: PickupMetricsCardProps) {
  return (
    <Card>
      <BlockStack gap="400">
        <BlockStack gap="100">
          <Text as="h2" variant="headingMd">
            {title}
          </Text>
          <Text as="p" tone="subdued">
            {from} to {lastDay(to)}, shop time. Peak hours are each location&apos;s busiest hours, holding the top quarter of its orders.
          </Text>
        </BlockStack>
        {locations.length === 0 ? (
          <Text as="p">No location takes pickup orders yet.</Text>
        ) : (
          locations.map((location) => (
            <BlockStack gap="200" key={location.locationId}>
              <Text as="h3" variant="headingSm">
                {location.name} · peak {peakHoursText(location.peakHours)}
              </Text>
              {location.orders === 0 ? (
                <Text as="p" tone="subdued">
                  No orders in this period.
                </Text>
              ) : (
                <InlineGrid columns={{ xs: 2, md: 3 }} gap="300">
                  <Figure label="Prepaid share of peak orders" value={percent(location.peakPickupShare)} help={`${location.peakPickupOrders} of ${location.peakOrders}`} />
                  <Figure label="Ready by slot time" value={percent(location.all.onTimeRate)} help={`${location.all.readied} readied`} />
                  <Figure label="Slot to ready" value={minutes(location.all.avgMinutesToReady)} />
                  <Figure label="Slot to picked up" value={minutes(location.all.avgMinutesToPickedUp)} />
                  <Figure label="Orders per 15 min at peak" value={rate(location.ordersPer15MinAtPeak)} help={`busiest: ${location.busiest15MinAtPeak}`} />
                  <Figure label="No-shows" value={String(location.all.noShows)} />
                </InlineGrid>
              )}
            </BlockStack>
          ))
        )}
      </BlockStack>
    </Card>
  );
}
