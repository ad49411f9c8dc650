import { createHash } from "node:crypto";
import type { ImportRow, RowError } from "./types";

/**
 * Every imported order id starts with "import", which no Shopify order id
 * (a number) can: an import never overwrites an order Shopify sent, nor the
 * other way round. A given `order_id` X is stored as `import:X`; a derived one
 * as `import-` and 24 hex digits of a hash, so the two forms cannot meet.
 */
export function importedOrderId(givenOrderId: string): string {
  return `import:${givenOrderId}`;
}

/**
 * The row's content with formatting differences removed (column order,
 * spacing, "4.50" vs "4.5", an offset vs the same instant in shop time).
 */
export function rowFingerprint(row: ImportRow): string {
  return JSON.stringify([
    row.customerId ?? "",
    row.orderedAt.toISOString(),
    row.total,
    row.currency,
    row.locationId ?? "",
    row.channel,
    row.email ?? "",
    row.items.map((item) => `${item.sku}:${item.quantity}`).join(";"),
  ]);
}

/**
 * A derived id: the hash of the row's content and of how many identical rows
 * came before it in the file, so two identical coffees bought in the same
 * second are two orders, and importing the file again yields the same ids.
 */
export function derivedOrderId(fingerprint: string, occurrence: number): string {
  const hash = createHash("sha256").update(`${fingerprint}\n#${occurrence}`).digest("hex");
  return `import-${hash.slice(0, 24)}`;
}

export type IdResult = { ok: true; orderId: string } | { ok: false; error: RowError };

/** Hands out order ids across one file, refusing an `order_id` given twice. */
export class OrderIdAssigner {
  private readonly givenOnLine = new Map<string, number>();
  private readonly occurrences = new Map<string, number>();

  assign(row: ImportRow): IdResult {
    if (row.givenOrderId !== null) {
      const firstLine = this.givenOnLine.get(row.givenOrderId);
      if (firstLine !== undefined) {
        return {
          ok: false,
          error: { line: row.line, column: "order_id", message: `order_id ${row.givenOrderId} is also on line ${firstLine}` },
        };
      }
      this.givenOnLine.set(row.givenOrderId, row.line);
      return { ok: true, orderId: importedOrderId(row.givenOrderId) };
    }
    const fingerprint = rowFingerprint(row);
    // Keyed by the fingerprint's hash: a fixed 44 characters per distinct row, however long the row.
    const key = createHash("sha256").update(fingerprint).digest("base64");
    const occurrence = (this.occurrences.get(key) ?? 0) + 1;
    this.occurrences.set(key, occurrence);
    return { ok: true, orderId: derivedOrderId(fingerprint, occurrence) };
  }
}
