import { Prisma } from "../db/generated/client";
import type { Database } from "../db/prisma.server";
import { csvLine, jsonCell } from "./csv";

/**
 * The shop's data export: every table the app keeps for a shop, one CSV per
 * table or everything as one JSON document, streamed page by page (keyset on
 * the table's primary key after the shop, so memory stays flat however large
 * the shop). Every query is `WHERE shop = $1`. Left out on purpose: the
 * Shopify access tokens (Session), the push private keys (PushKey) and the
 * push subscriptions' key material, and raw webhook bodies (transient copies
 * of what Shopify holds). The table and column names below are constants,
 * never input: a request names a table only by picking one of these keys.
 */

type KeyType = "text" | "date" | "timestamp" | "int";

interface ExportTable {
  /** The primary key after `shop`, with each column's type for the keyset comparison. */
  key: Array<[column: string, type: KeyType]>;
  /** Columns never exported. */
  omit?: string[];
  /** Tables keyed by the shop's domain in another column. */
  shopColumn?: string;
}

export const EXPORT_TABLES = {
  Shop: { key: [["domain", "text"]], shopColumn: "domain" },
  ShopSettings: { key: [["shop", "text"]] },
  Location: { key: [["id", "text"]] },
  Customer: { key: [["id", "text"]] },
  Order: { key: [["id", "text"]] },
  LineItem: { key: [["orderId", "text"], ["id", "text"]] },
  Refund: { key: [["id", "text"]] },
  Member: { key: [["customerId", "text"]] },
  ConsentEvent: { key: [["id", "text"]] },
  ImportRun: { key: [["id", "text"]], omit: ["errors"] },
  BackfillRun: { key: [["id", "text"]], omit: ["url"] },
  Visit: { key: [["customerId", "text"], ["localDate", "date"], ["locationKey", "text"]] },
  MemberFeature: { key: [["customerId", "text"]] },
  ModelFit: { key: [["id", "text"]] },
  Segment: { key: [["id", "text"]] },
  SegmentMembership: { key: [["segmentId", "text"], ["customerId", "text"], ["enteredAt", "timestamp"]] },
  Campaign: { key: [["id", "text"]] },
  CampaignRecipient: { key: [["campaignId", "text"], ["customerId", "text"]] },
  PushSubscription: { key: [["id", "text"]], omit: ["endpoint", "p256dh", "auth"] },
  PushDelivery: { key: [["id", "text"]] },
  PickupSettings: { key: [["locationId", "text"]] },
  PickupMenuItem: { key: [["variantId", "text"]] },
  PickupHold: { key: [["id", "text"]], omit: ["checkoutUrl"] },
  PickupOrder: { key: [["orderId", "text"]] },
  WeeklyReport: { key: [["week", "text"]], omit: ["html"] },
  AuditEvent: { key: [["id", "text"]] },
} as const satisfies Record<string, ExportTable>;

export type ExportTableName = keyof typeof EXPORT_TABLES;
export const EXPORT_TABLE_NAMES = Object.keys(EXPORT_TABLES) as ExportTableName[];

export function isExportTable(name: string): name is ExportTableName {
  return Object.hasOwn(EXPORT_TABLES, name);
}

const PAGE_ROWS = 1_000;

const ident = (name: string) => Prisma.raw(`"${name}"`);

/** The table's exported columns, in the table's order. */
export async function exportColumns(db: Database, table: ExportTableName): Promise<string[]> {
  const spec: ExportTable = EXPORT_TABLES[table];
  const rows = await db.$queryRaw<Array<{ column_name: string }>>`
    SELECT column_name FROM information_schema.columns
    WHERE table_schema = current_schema() AND table_name = ${table}
    ORDER BY ordinal_position`;
  const omit = new Set(spec.omit ?? []);
  return rows.map((row) => row.column_name).filter((column) => !omit.has(column));
}

/** The shop's rows of one table as JSON objects, a page at a time, in primary-key order. */
export async function* exportRows(db: Database, shop: string, table: ExportTableName): AsyncGenerator<Record<string, unknown>> {
  const spec: ExportTable = EXPORT_TABLES[table];
  const shopColumn = ident(spec.shopColumn ?? "shop");
  const keyColumns = Prisma.join(spec.key.map(([column]) => Prisma.sql`t.${ident(column)}`));
  const keyTexts = Prisma.join(spec.key.map(([column], index) => Prisma.sql`t.${ident(column)}::text AS ${ident(`k${index}`)}`));
  const omit = spec.omit ?? [];
  const row = omit.reduce<Prisma.Sql>((sql, column) => Prisma.sql`${sql} - ${column}::text`, Prisma.sql`to_jsonb(t)`);
  let after: string[] | null = null;
  for (;;) {
    const cursor: string[] | null = after;
    const keyset: Prisma.Sql = cursor
      ? Prisma.sql`AND (${keyColumns}) > (${Prisma.join(spec.key.map(([, type], index) => Prisma.sql`${cursor[index] ?? ""}::${Prisma.raw(type)}`))})`
      : Prisma.empty;
    const page: Array<Record<string, unknown> & { row: Record<string, unknown> }> = await db.$queryRaw<Array<Record<string, unknown> & { row: Record<string, unknown> }>>`
      SELECT ${row} AS row, ${keyTexts}
      FROM ${ident(table)} t
      WHERE t.${shopColumn} = ${shop} ${keyset}
      ORDER BY ${keyColumns}
      LIMIT ${PAGE_ROWS}`;
    for (const entry of page) yield entry.row;
    const last: Record<string, unknown> | undefined = page[page.length - 1];
    if (page.length < PAGE_ROWS || !last) return;
    after = spec.key.map((_, index): string => String(last[`k${index}`]));
  }
}

/** One table as CSV: a header line of column names, then one line per row. */
export async function* tableCsv(db: Database, shop: string, table: ExportTableName): AsyncGenerator<string> {
  const columns = await exportColumns(db, table);
  yield csvLine(columns);
  for await (const row of exportRows(db, shop, table)) yield csvLine(columns.map((column) => jsonCell(row[column])));
}

/** Everything as one JSON document: { "shop": …, "exportedAt": …, "tables": { "Customer": [ … ], … } }. */
export async function* shopJson(db: Database, shop: string, now: Date = new Date()): AsyncGenerator<string> {
  yield `{"shop":${JSON.stringify(shop)},"exportedAt":${JSON.stringify(now.toISOString())},"tables":{`;
  for (const [index, table] of EXPORT_TABLE_NAMES.entries()) {
    yield `${index === 0 ? "" : ","}${JSON.stringify(table)}:[`;
    let first = true;
    for await (const row of exportRows(db, shop, table)) {
      yield `${first ? "" : ","}\n${JSON.stringify(row)}`;
      first = false;
    }
    yield "]";
  }
  yield "}}\n";
}
