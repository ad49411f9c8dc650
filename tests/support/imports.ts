import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { Database } from "../../app/db/prisma.server";
import type { ImportSource } from "../../app/imports/import-orders.server";
import { withLineItems } from "./line-items";

/** A CSV text as an import source, read in small chunks like a file. */
export function csvSource(text: string, fileName = "orders.csv"): ImportSource {
  const bytes = Buffer.from(text);
  return {
    fileName,
    bytes: bytes.byteLength,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    open: () => Readable.from(Array.from({ length: Math.ceil(bytes.length / 1024) }, (_, i) => bytes.subarray(i * 1024, (i + 1) * 1024))),
  };
}

/** Every trade row a shop holds, in a stable order, as plain JSON (timestamps included). */
export async function shopSnapshot(db: Database, shop: string): Promise<string> {
  const [orders, customers, locations, refunds] = await Promise.all([
    db.order.findMany({ where: { shop }, orderBy: { id: "asc" } }).then((orders) => withLineItems(db, orders)),
    db.customer.findMany({ where: { shop }, orderBy: { id: "asc" } }),
    db.location.findMany({ where: { shop }, orderBy: { id: "asc" } }),
    db.refund.findMany({ where: { shop }, orderBy: { id: "asc" } }),
  ]);
  return JSON.stringify({ orders, customers, locations, refunds });
}

/** Rows per table, all shops: what an import may and may not change. */
export async function tableCounts(db: Database): Promise<Record<string, number>> {
  return {
    Order: await db.order.count(),
    LineItem: await db.lineItem.count(),
    Customer: await db.customer.count(),
    Location: await db.location.count(),
    Refund: await db.refund.count(),
    Shop: await db.shop.count(),
    ImportStagedOrder: await db.importStagedOrder.count(),
    ImportUpload: await db.importUpload.count(),
  };
}

/** A reproducible history of `rows` orders (a third guests), for batching and timing. */
export function generatedHistory(rows: number): string {
  const lines = ["customer_id,ordered_at,total,channel,items"];
  for (let i = 0; i < rows; i++) {
    const customer = i % 3 === 0 ? "" : String(100 + (i % 97));
    const day = String(1 + (i % 28)).padStart(2, "0");
    const minute = String(i % 60).padStart(2, "0");
    lines.push(`${customer},2026-02-${day}T08:${minute}:00,${(3 + (i % 7) / 2).toFixed(2)},${i % 5 === 0 ? "web" : "pos"},LATTE-OAT:1;CROISSANT:${1 + (i % 2)}`);
  }
  return `${lines.join("\n")}\n`;
}
