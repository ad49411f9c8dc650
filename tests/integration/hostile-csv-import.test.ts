import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../app/db/prisma.server";
import { IMPORT_COLUMNS, REQUIRED_COLUMNS, type ImportColumn } from "../../app/imports/csv-header";
import { MalformedCsvError, readCsvRecords } from "../../app/imports/csv-reader.server";
import { ImportFileValidator } from "../../app/imports/file-validator";
import { importOrders, type ImportSource } from "../../app/imports/import-orders.server";
import { findRun } from "../../app/imports/runs.server";
import { createStandaloneShop } from "../../app/imports/standalone-shop.server";
import type { StagedRow } from "../../app/imports/types";
import { nastyString } from "../support/hostile-arbitraries";
import { shopSnapshot, tableCounts } from "../support/imports";
import { withLineItems } from "../support/line-items";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * The CSV importer against files nobody should send (issue 8): random bytes,
 * byte-order marks, other encodings, broken quoting, huge fields, formulas,
 * NUL bytes and wrong headers. Whatever arrives, the import ends in a verdict
 * (never an exception), a rejected file changes no table, and a completed one
 * stores exactly the rows validation accepted.
 */

const SHOP = "north-cafe.myshopify.com";
const OTHER = "south-cafe.myshopify.com";
const NOW = new Date("2026-11-28T00:00:00Z");

function bytesSource(bytes: Buffer, fileName = "hostile.csv"): ImportSource {
  return {
    fileName,
    bytes: bytes.byteLength,
    sha256: createHash("sha256").update(bytes).digest("hex"),
    // Small chunks, so multi-byte characters and quoted values are split across reads.
    open: () => Readable.from(Array.from({ length: Math.ceil(bytes.length / 97) }, (_, i) => bytes.subarray(i * 97, (i + 1) * 97))),
  };
}

/** What validation alone makes of a file: the rows it accepts, or that it refuses the file. */
async function validate(bytes: Buffer): Promise<{ valid: boolean; rows: StagedRow[] }> {
  const validator = new ImportFileValidator({ timezone: "Europe/London", currency: "GBP", now: NOW });
  const rows: StagedRow[] = [];
  try {
    for await (const record of readCsvRecords(bytesSource(bytes).open())) {
      const accepted = validator.accept(record);
      if (!validator.readable) break;
      if (accepted.kind === "row") rows.push(accepted.row);
    }
  } catch (error) {
    if (!(error instanceof MalformedCsvError)) throw error;
    validator.reportUnreadable({ line: error.line, column: null, message: error.message });
  }
  validator.finish();
  return { valid: validator.valid, rows };
}

const VALID_CELLS: Record<ImportColumn, string[]> = {
  order_id: ["", "", "A-1", "A-2", "B 7"],
  customer_id: ["", "501", "502", "gid://shopify/Customer/77", "=HYPERLINK(\"http://evil.example\")"],
  ordered_at: ["2026-03-02T08:15:00Z", "2026-03-29 01:30", "2026-07-02 09:00", "2026-11-27T10:00:00+01:00"],
  total: ["4.50", "12", "0.0001", "3.90", "0"],
  currency: ["", "GBP", "eur"],
  location: ["", "Main St", "Harbour", "-2+3"],
  channel: ["", "pos", "web", "WEB"],
  email: ["", "ann@example.com"],
  items: ["", "LATTE-OAT:1;CROISSANT:2", "FLAT:1", "@SUM(1):3"],
};

const cell = (column: ImportColumn) => fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...VALID_CELLS[column]) }, { weight: 1, arbitrary: nastyString });

/** A header: the required columns and some optional ones in any order, sometimes spoilt. */
const header = fc
  .tuple(
    fc.shuffledSubarray(
      IMPORT_COLUMNS.filter((column) => !REQUIRED_COLUMNS.includes(column)),
      { minLength: 0 },
    ),
    fc.constantFrom("none", "none", "none", "drop", "unknown", "twice", "case"),
    nastyString,
  )
  .chain(([optional, spoil, junk]) =>
    fc.shuffledSubarray([...REQUIRED_COLUMNS, ...optional], { minLength: REQUIRED_COLUMNS.length + optional.length }).map((columns) => {
      const names: string[] = [...columns];
      if (spoil === "drop") names.splice(names.indexOf("total"), 1);
      if (spoil === "unknown") names.push(junk === "" ? "chanel" : junk);
      if (spoil === "twice") names.push(names[0] ?? "total");
      if (spoil === "case") names[0] = ` ${(names[0] ?? "").toUpperCase()} `;
      return { names, columns };
    }),
  );

const rowsFor = (columns: readonly ImportColumn[]) =>
  fc.array(
    fc.tuple(
      fc.tuple(...columns.map(cell)),
      fc.constantFrom("same", "same", "same", "short", "long"),
    ).map(([fields, width]) => (width === "short" ? fields.slice(1) : width === "long" ? [...fields, "extra"] : fields)),
    { maxLength: 8 },
  );

interface Layout {
  quoteAll: boolean;
  breakQuote: boolean;
  newline: "\n" | "\r\n";
  trailingNewline: boolean;
  bom: boolean;
  encoding: "utf8" | "utf16le" | "latin1";
}

const layout: fc.Arbitrary<Layout> = fc.record({
  quoteAll: fc.boolean(),
  breakQuote: fc.nat({ max: 4 }).map((n) => n === 0),
  newline: fc.constantFrom("\n" as const, "\r\n" as const),
  trailingNewline: fc.boolean(),
  bom: fc.boolean(),
  encoding: fc.constantFrom("utf8" as const, "utf8" as const, "utf8" as const, "utf16le" as const, "latin1" as const),
});

function encodeCsv(lines: string[][], how: Layout): Buffer {
  const quote = (field: string) => (how.quoteAll || /[",\r\n]/.test(field) ? `"${field.replaceAll('"', '""')}"` : field);
  let text = lines.map((fields) => fields.map(quote).join(",")).join(how.newline);
  if (how.trailingNewline) text += how.newline;
  if (how.breakQuote) text = text.replace(",", ',"');
  if (how.bom) text = `\uFEFF${text}`;
  return Buffer.from(text, how.encoding);
}

const csvFile = fc
  .tuple(header, layout)
  .chain(([head, how]) => rowsFor(head.columns).map((rows) => encodeCsv([head.names, ...rows], how)));

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("CSV import of hostile files on $name", (kind) => {
  let stack: TestStack;
  let db: Database;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    db = stack.runtime.db;
    await createStandaloneShop(db, { domain: SHOP, timezone: "Europe/London", currency: "GBP" });
    await createStandaloneShop(db, { domain: OTHER, timezone: "Europe/London", currency: "GBP" });
    await db.order.create({ data: { shop: OTHER, id: "9001", currency: "GBP", totalPrice: "5", processedAt: NOW, channel: "pos", source: "webhook", shopifyUpdatedAt: NOW } });
  });
  afterAll(async () => stack?.stop());

  /** Imports a file and checks the verdict against validation and the tables against the verdict. */
  async function importAndCheck(bytes: Buffer): Promise<"completed" | "rejected"> {
    const expected = await validate(bytes);
    const counts = await tableCounts(db);
    const before = await shopSnapshot(db, SHOP);
    const other = await shopSnapshot(db, OTHER);

    const report = await importOrders(db, SHOP, bytesSource(bytes), { origin: "cli", now: NOW });

    expect(report.status).toBe(expected.valid ? "completed" : "rejected");
    for (const error of report.errors) {
      expect(Number.isInteger(error.line) && error.line >= 1).toBe(true);
      expect(error.message.trim().length).toBeGreaterThan(0);
      expect(error.column === null || typeof error.column === "string").toBe(true);
    }
    expect(await db.importStagedOrder.count()).toBe(0);
    expect(await shopSnapshot(db, OTHER)).toBe(other);
    const run = await findRun(db, SHOP, report.runId);
    expect(run?.status).toBe(report.status);

    if (report.status === "rejected") {
      expect(report.errorCount).toBeGreaterThan(0);
      expect(run?.errorCount).toBe(report.errorCount);
      expect(run?.errors).toEqual(report.errors);
      expect(await tableCounts(db)).toEqual(counts);
      expect(await shopSnapshot(db, SHOP)).toBe(before);
      return "rejected";
    }
    expect(report.rows).toBe(expected.rows.length);
    expect(report.ordersNew + report.ordersUpdated + report.ordersUnchanged).toBe(expected.rows.length);
    expect((await tableCounts(db)).Order).toBe((counts.Order ?? 0) + report.ordersNew);
    const stored = await withLineItems(db, await db.order.findMany({ where: { shop: SHOP, id: { in: expected.rows.map((row) => row.orderId) } } }));
    const byId = new Map(stored.map((order) => [order.id, order]));
    for (const row of expected.rows) {
      const order = byId.get(row.orderId);
      expect(order, `order of line ${row.line}`).toBeDefined();
      expect({
        customerId: order?.customerId,
        total: order?.totalPrice.toString(),
        at: order?.processedAt.toISOString(),
        currency: order?.currency,
        channel: order?.channel,
        locationId: order?.locationId,
        items: order?.lineItems.map((item) => ({ sku: item.sku, quantity: item.quantity })),
      }).toEqual({
        customerId: row.customerId,
        total: row.total,
        at: row.orderedAt.toISOString(),
        currency: row.currency,
        channel: row.channel,
        locationId: row.locationId,
        items: row.items,
      });
    }
    return "completed";
  }

  it("structured but hostile files: a verdict every time, all or nothing, exactly the accepted rows", async () => {
    const verdicts = { completed: 0, rejected: 0 };
    await fc.assert(
      fc.asyncProperty(csvFile, async (bytes) => {
        verdicts[await importAndCheck(bytes)] += 1;
      }),
      { numRuns: 100 },
    );
    // The generator reaches both outcomes, or the property says little.
    expect(verdicts.completed).toBeGreaterThan(0);
    expect(verdicts.rejected).toBeGreaterThan(0);
  }, 600_000);

  it("arbitrary bytes, with or without a byte-order mark, are refused with a line-numbered reason", async () => {
    const noise = fc.tuple(fc.constantFrom([], [0xef, 0xbb, 0xbf], [0xff, 0xfe], [0xfe, 0xff]), fc.uint8Array({ maxLength: 600 }));
    await fc.assert(
      fc.asyncProperty(noise, async ([bom, body]) => {
        await importAndCheck(Buffer.concat([Buffer.from(bom), Buffer.from(body)]));
      }),
      { numRuns: 60 },
    );
  }, 600_000);

  it("refuses a runaway field, an unclosed quote, NUL bytes and an empty file with a clear message", async () => {
    const cases: Array<[string, Buffer, RegExp]> = [
      ["huge field", Buffer.from(`customer_id,ordered_at,total\n501,2026-03-02T08:15:00Z,"${"9".repeat(300_000)}"\n`), /longer than 256 KB/],
      ["unclosed quote", Buffer.from(`customer_id,ordered_at,total\n501,2026-03-02T08:15:00Z,4.50\n"502,2026-03-02T08:15:00Z,4.50\n`), /never closed/],
      ["NUL in the header", Buffer.from("customer_id,ordered_at,total\u0000\n501,2026-03-02T08:15:00Z,4.50\n"), /unknown column/],
      ["NUL in a value", Buffer.from("customer_id,ordered_at,total\n5\u000001,2026-03-02T08:15:00Z,4\u0000.50\n"), /control character|must be a number/],
      // A UTF-16 file cut mid-character: half a pair cannot be stored as it was read.
      ["broken UTF-16 id", Buffer.from("\uFEFFcustomer_id,ordered_at,total\n5\uD80001,2026-03-02T08:15:00Z,4.50\n", "utf16le"), /broken character/],
      ["broken UTF-16 SKU", Buffer.from("\uFEFFcustomer_id,ordered_at,total,items\n501,2026-03-02T08:15:00Z,4.50,LA\uD800:1\n", "utf16le"), /broken character/],
      ["empty", Buffer.alloc(0), /the file is empty/],
      ["only a BOM", Buffer.from("\uFEFF"), /the file is empty/],
    ];
    for (const [name, bytes, message] of cases) {
      const counts = await tableCounts(db);
      const report = await importOrders(db, SHOP, bytesSource(bytes, `${name}.csv`), { origin: "cli", now: NOW });
      expect([name, report.status]).toEqual([name, "rejected"]);
      expect(report.errors.map((error) => error.message).join("\n")).toMatch(message);
      expect(await tableCounts(db)).toEqual(counts);
    }
  });

  it("stores formula-like text literally, as text, never evaluated or altered", async () => {
    const file = [
      "order_id,customer_id,ordered_at,total,location,items",
      `"=1+1","=HYPERLINK(""http://evil.example"")",2026-03-02T08:15:00Z,4.50,"+SUM(A1)","@cmd:1"`,
    ].join("\n");
    const report = await importOrders(db, SHOP, bytesSource(Buffer.from(file)), { origin: "cli", now: NOW });
    expect(report.status).toBe("completed");
    const [order] = await withLineItems(db, await db.order.findMany({ where: { shop: SHOP, id: "import:=1+1" } }));
    expect([order?.customerId, order?.locationId, order?.lineItems.map((item) => item.sku)]).toEqual(['=HYPERLINK("http://evil.example")', "+SUM(A1)", ["@cmd"]]);
  });
});
