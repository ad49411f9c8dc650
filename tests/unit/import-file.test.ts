import { readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readCsvRecords } from "../../app/imports/csv-reader.server";
import { ImportFileValidator, MAX_REPORTED_ERRORS } from "../../app/imports/file-validator";
import { derivedOrderId, importedOrderId, rowFingerprint } from "../../app/imports/order-ids";
import type { RowError, StagedRow } from "../../app/imports/types";

const SHOP = { timezone: "Europe/London", currency: "GBP", now: new Date("2026-11-28T12:00:00Z") };

/** Streams a CSV text through the reader and validator as an import does, in small chunks. */
async function validate(text: string): Promise<{ rows: StagedRow[]; errors: RowError[]; errorCount: number; rowCount: number }> {
  const validator = new ImportFileValidator(SHOP);
  const rows: StagedRow[] = [];
  const bytes = Buffer.from(text);
  const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
  try {
    for await (const record of readCsvRecords(Readable.from(chunks))) {
      const accepted = validator.accept(record);
      if (!validator.readable) break;
      if (accepted.kind === "row") rows.push(accepted.row);
    }
  } catch (error) {
    if (!(error instanceof Error && "line" in error && typeof error.line === "number")) throw error;
    validator.reportUnreadable({ line: error.line, column: null, message: error.message });
  }
  validator.finish();
  return { rows, errors: validator.errors, errorCount: validator.errorCount, rowCount: validator.rows };
}

const HEADER = "order_id,customer_id,ordered_at,total,currency,location,channel,email,items";

describe("the header line", () => {
  it.each([
    ["customer_id,ordered_at,total,chanel", [{ line: 1, column: "chanel", message: expect.stringContaining('unknown column "chanel"') }]],
    [
      "customer_id;ordered_at;total",
      [
        { line: 1, column: "customer_id;ordered_at;total", message: expect.stringContaining("seems to use ; between columns") },
        { line: 1, column: "customer_id", message: "the header has no customer_id column (required)" },
        { line: 1, column: "ordered_at", message: "the header has no ordered_at column (required)" },
        { line: 1, column: "total", message: "the header has no total column (required)" },
      ],
    ],
    ["customer_id,ordered_at,total,total", [{ line: 1, column: "total", message: "column total appears twice in the header" }]],
    ["customer_id,ordered_at", [{ line: 1, column: "total", message: "the header has no total column (required)" }]],
    ["customer_id,,ordered_at,total", [{ line: 1, column: null, message: expect.stringContaining("column 2 has no name") }]],
    ["1001,2026-03-02T08:15Z,4.50", expect.arrayContaining([{ line: 1, column: "1001", message: expect.stringContaining("unknown column") }])],
  ])("%j is refused and no row is read", async (header, errors) => {
    const result = await validate(`${header}\n501,2026-03-02T08:15:00Z,4.50\n`);
    expect(result.errors).toEqual(errors);
    expect(result.rowCount).toBe(0);
  });

  it("takes columns in any order and any case, with a byte-order mark", async () => {
    const result = await validate("\uFEFF Total ,ORDERED_AT,customer_id\n4.50,2026-03-02T08:15:00Z,501\n");
    expect(result.errors).toEqual([]);
    expect(result.rows).toMatchObject([{ customerId: "501", total: "4.5", orderedAt: new Date("2026-03-02T08:15:00Z") }]);
  });

  it("an empty file is an error", async () => {
    expect((await validate("")).errors).toEqual([{ line: 1, column: null, message: expect.stringContaining("the file is empty") }]);
    expect((await validate("\n\n")).errors).toHaveLength(1);
  });

  it("a header alone is a valid file with no rows", async () => {
    expect(await validate(`${HEADER}\n`)).toMatchObject({ rows: [], errors: [], rowCount: 0 });
  });
});

describe("rows", () => {
  it("reads a full row and defaults the optional cells", async () => {
    const { rows, errors } = await validate(
      `${HEADER}\nA-1,501,2026-03-02T08:15:00+00:00,7.40,EUR,Main St,web,ann@example.com,LATTE-OAT:1;CROISSANT:2\n` +
        ",,2026-07-02 08:15,3.90,,,,,\n",
    );
    expect(errors).toEqual([]);
    expect(rows).toEqual([
      {
        line: 2,
        givenOrderId: "A-1",
        orderId: "import:A-1",
        customerId: "501",
        orderedAt: new Date("2026-03-02T08:15:00Z"),
        total: "7.4",
        currency: "EUR",
        locationId: "Main St",
        channel: "web",
        email: "ann@example.com",
        items: [
          { sku: "LATTE-OAT", quantity: 1 },
          { sku: "CROISSANT", quantity: 2 },
        ],
      },
      {
        line: 3,
        givenOrderId: null,
        orderId: expect.stringMatching(/^import-[0-9a-f]{24}$/),
        customerId: null,
        orderedAt: new Date("2026-07-02T07:15:00Z"),
        total: "3.9",
        currency: "GBP",
        locationId: null,
        channel: "pos",
        email: null,
        items: [],
      },
    ]);
  });

  it("reports every error kind with its line and column, and every bad row", async () => {
    const text = [
      HEADER,
      "A-1,501,2026-03-02T08:15:00Z,4.50,,,,,", // 2: fine
      "A-2,502,2026-03-02,4,50,,,,,", // 3: a decimal comma makes one value too many
      "A-3,503,2026-02-30T08:00,£4,EURO,,shop,not-an-email,LATTE", // 4: five bad cells
      "A-4,,2026-03-02T08:15:00Z,4.50,,,,ann@example.com,", // 5: email on a guest row
      "A-1,504,2026-03-02T08:15:00Z,4.50,,,,,", // 6: order_id again
      "A-6,505,2027-01-01T08:00:00Z,,,,,,", // 7: future, no total
      "A-7,506,,4.50,,,,,CROISSANT:0", // 8: no time, bad quantity
      "A-8,x\ty,2026-03-02T08:15:00Z,4.50,,,,,", // 9: control character
    ].join("\n");
    const { errors, errorCount, rowCount } = await validate(`${text}\n`);
    expect(errors).toEqual([
      { line: 3, column: null, message: expect.stringContaining("has 10 values but the header has 9 columns") },
      { line: 4, column: "ordered_at", message: "ordered_at has no day 30 in 2026-02" },
      { line: 4, column: "total", message: expect.stringContaining("total must be a plain number without a currency sign") },
      { line: 4, column: "currency", message: expect.stringContaining("currency must be an ISO 4217 currency code") },
      { line: 4, column: "channel", message: 'channel must be pos or web (got "shop")' },
      { line: 4, column: "email", message: 'email is not an email address (got "not-an-email")' },
      { line: 4, column: "items", message: expect.stringContaining('items item 1 ("LATTE") must be SKU:quantity') },
      { line: 5, column: "email", message: expect.stringContaining("email needs a customer_id") },
      { line: 6, column: "order_id", message: "order_id A-1 is also on line 2" },
      { line: 7, column: "ordered_at", message: 'ordered_at is in the future (got "2027-01-01T08:00:00Z")' },
      { line: 7, column: "total", message: "total is required, e.g. 4.50" },
      { line: 8, column: "ordered_at", message: expect.stringContaining("ordered_at is required") },
      { line: 8, column: "items", message: expect.stringContaining("needs a whole quantity") },
      { line: 9, column: "customer_id", message: expect.stringContaining("control character") },
    ]);
    expect(errorCount).toBe(errors.length);
    expect(rowCount).toBe(8);
  });

  it("numbers lines as a spreadsheet does: blank lines count, a quoted line break stays in its row", async () => {
    const text = `${HEADER}\n\n,501,"2026-03-02T08:15:00Z",4.50,,,,,"LATTE:1;\nCROISSANT:2"\n,,,,,,,,\n,502,2026-03-02T08:15:00Z,x,,,,,\n`;
    const { rows, errors } = await validate(text);
    expect(rows.map((row) => [row.line, row.items.length])).toEqual([[3, 2]]);
    expect(errors).toEqual([{ line: 6, column: "total", message: expect.stringContaining('(got "x")') }]);
  });

  it("an unclosed quote stops the file at the line it opens on", async () => {
    const text = `${HEADER}\n,501,2026-03-02T08:15:00Z,4.50,,,,,\n,502,2026-03-02T08:15:00Z,4.50,,"Main St,,,\n,503,2026-03-02T08:15:00Z,4.50,,,,,\n`;
    const { rows, errors } = await validate(text);
    expect(rows).toHaveLength(1);
    expect(errors).toEqual([{ line: 3, column: null, message: expect.stringContaining("double quote") }]);
  });

  it("keeps the first 1,000 errors in detail and counts them all", async () => {
    const bad = Array.from({ length: MAX_REPORTED_ERRORS + 5 }, () => ",501,2026-03-02T08:15:00Z,x,,,,,");
    const { errors, errorCount } = await validate(`${HEADER}\n${bad.join("\n")}\n`);
    expect(errors).toHaveLength(MAX_REPORTED_ERRORS);
    expect(errorCount).toBe(MAX_REPORTED_ERRORS + 5);
    expect(errors.at(-1)?.line).toBe(MAX_REPORTED_ERRORS + 1);
  });
});

describe("order ids", () => {
  it("a given order_id is prefixed so it can never be a Shopify id", () => {
    expect(importedOrderId("1001")).toBe("import:1001");
  });

  it("derived ids are the same on every import of the file, and differ per occurrence of an identical row", async () => {
    const text = `${HEADER}\n,,2026-03-02T08:15:00Z,3.90,,,,,\n,,2026-03-02T08:15:00Z,3.90,,,,,\n,,2026-03-02T08:16:00Z,3.90,,,,,\n`;
    const first = (await validate(text)).rows.map((row) => row.orderId);
    const second = (await validate(text)).rows.map((row) => row.orderId);
    expect(second).toEqual(first);
    expect(new Set(first).size).toBe(3);
    for (const id of first) expect(id).toMatch(/^import-[0-9a-f]{24}$/);
  });

  it("derived ids ignore formatting: column order, spacing, trailing zeros, offset vs shop time", async () => {
    const a = await validate("customer_id,ordered_at,total,items\n501,2026-07-02T08:15:00+01:00,3.90,LATTE:1;CROISSANT:2\n");
    const b = await validate("items,total,ordered_at,customer_id\n LATTE : 1 ; CROISSANT:2 , 3.9 ,2026-07-02 08:15,501\n");
    expect(b.rows[0]?.orderId).toBe(a.rows[0]?.orderId);
  });

  it.each([
    ["customer_id", { customerId: "502" }],
    ["ordered_at", { orderedAt: new Date("2026-03-02T08:15:01Z") }],
    ["total", { total: "3.91" }],
    ["currency", { currency: "EUR" }],
    ["location", { locationId: "Harbour" }],
    ["channel", { channel: "web" as const }],
    ["email", { email: "ann@example.com" }],
    ["items", { items: [{ sku: "LATTE", quantity: 2 }] }],
  ])("a different %s gives a different id", (_column, change) => {
    const row = {
      line: 2,
      givenOrderId: null,
      customerId: "501",
      orderedAt: new Date("2026-03-02T08:15:00Z"),
      total: "3.9",
      currency: "GBP",
      locationId: null,
      channel: "pos" as const,
      email: null,
      items: [{ sku: "LATTE", quantity: 1 }],
    };
    const base = derivedOrderId(rowFingerprint(row), 1);
    expect(derivedOrderId(rowFingerprint({ ...row, ...change }), 1)).not.toBe(base);
    expect(derivedOrderId(rowFingerprint({ ...row, line: 99 }), 1)).toBe(base);
  });
});

describe("docs/import.md", () => {
  it("its example file imports cleanly", async () => {
    const doc = readFileSync(new URL("../../docs/import.md", import.meta.url), "utf8");
    const example = /```csv\n([\s\S]*?)```/.exec(doc)?.[1] ?? "";
    const { rows, errors } = await validate(example);
    expect(errors).toEqual([]);
    expect(rows.map((row) => [row.line, row.customerId, row.channel, row.items.length])).toEqual([
      [2, "C-501", "pos", 2],
      [3, null, "pos", 1],
      [4, "C-502", "web", 2],
    ]);
  });
});
