import type { Database } from "../db/prisma.server";
import type { StagedRow } from "./types";

/**
 * Validated rows wait in ImportStagedOrder until the whole file has been
 * checked (docs/decisions/0006-csv-import-all-or-nothing.md). A batch is one
 * INSERT … SELECT FROM unnest(arrays): ten bound parameters however many rows,
 * where a VALUES list would need twelve per row.
 */
export async function stageRows(db: Database, shop: string, runId: string, rows: StagedRow[]): Promise<void> {
  if (rows.length === 0) return;
  const column = <T>(pick: (row: StagedRow) => T): T[] => rows.map(pick);
  await db.$executeRaw`
    INSERT INTO "ImportStagedOrder" (shop, "runId", line, "orderId", "customerId", email, "locationId", channel,
      currency, "totalPrice", "processedAt", items)
    SELECT ${shop}, ${runId}, r.line, r.order_id, r.customer_id, r.email, r.location_id, r.channel, r.currency,
      r.total, r.ordered_at AT TIME ZONE 'UTC', r.items
    FROM unnest(
      ${column((row) => row.line)}::int[],
      ${column((row) => row.orderId)}::text[],
      ${column((row) => row.customerId)}::text[],
      ${column((row) => row.email)}::text[],
      ${column((row) => row.locationId)}::text[],
      ${column((row) => row.channel)}::text[],
      ${column((row) => row.currency)}::text[],
      ${column((row) => row.total)}::numeric[],
      ${column((row) => row.orderedAt.toISOString())}::timestamptz[],
      ${column((row) => JSON.stringify(row.items))}::jsonb[]
    ) AS r(line, order_id, customer_id, email, location_id, channel, currency, total, ordered_at, items)`;
}

export async function clearStaging(db: Database, shop: string, runId: string): Promise<void> {
  await db.$executeRaw`DELETE FROM "ImportStagedOrder" WHERE shop = ${shop} AND "runId" = ${runId}`;
}
