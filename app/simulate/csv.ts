import { fromCents } from "../../standin/money";
import { formatInZone } from "../../standin/time";
import type { SimOrder } from "./history";
import type { Simulation } from "./simulate";

/**
 * The history as the order importer reads it (issue #3): one row per order
 * that stands — voided orders are left out, as a till's sales export leaves
 * them out, and refunds have no column — with `ordered_at` in the shop's local
 * time and offset, `location` the Shopify location id (as webhooks name it), and
 * items as `SKU:qty;SKU:qty`. Guests have no customer id and no email.
 */

export const CSV_HEADER = "order_id,customer_id,ordered_at,total,currency,location,channel,email,items";

export function* csvLines(sim: Simulation): Generator<string> {
  yield CSV_HEADER;
  for (const order of sim.orders) if (!order.cancellation) yield csvRow(sim, order);
}

export function csvRow(sim: Simulation, order: SimOrder): string {
  const customer = order.customerIndex === null ? undefined : sim.customers[order.customerIndex];
  const location = order.locationIndex === null ? undefined : sim.locations[order.locationIndex];
  return [
    order.id,
    customer?.id ?? "",
    formatInZone(new Date(order.at).toISOString(), sim.settings.timezone),
    fromCents(order.totalCents),
    sim.settings.currency,
    location?.id ?? "",
    order.channel,
    customer?.email ?? "",
    order.lines.map((entry) => `${entry.item.sku}:${entry.quantity}`).join(";"),
  ]
    .map(csvField)
    .join(",");
}

/** RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}
