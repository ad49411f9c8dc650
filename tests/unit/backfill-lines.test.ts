import { describe, expect, it } from "vitest";
import { customerAssembler, orderAssembler, type PreparedBatch } from "../../app/sync/backfill/assemble";
import { jsonlChunks } from "../../app/sync/backfill/jsonl";
import { toDate } from "../../app/sync/backfill/line-fields";
import { BulkLineError, parseLineItemLine, parseOrderLine } from "../../app/sync/backfill/order-lines";
import { parseCustomerLine } from "../../app/sync/backfill/customer-lines";
import { arrayLiteral, copyValue } from "../../app/sync/backfill/stage-rows";
import type { ImportProgress } from "../../app/sync/backfill/types";

async function* pieces(text: string, size: number): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.from(text);
  for (let offset = 0; offset < bytes.length; offset += size) yield bytes.subarray(offset, offset + size);
}

async function splitAll(text: string, size: number) {
  const lines: string[] = [];
  const bytes: number[] = [];
  for await (const chunk of jsonlChunks(pieces(text, size))) {
    lines.push(...chunk.lines);
    bytes.push(...chunk.bytes);
  }
  return { lines, bytes };
}

describe("jsonlChunks", () => {
  const text = '{"a":"café ☕"}\r\n\n{"b":2}\n{"c":"last, no newline"}';
  it.each([1, 2, 3, 7, 64, 1 << 16])("splits the same way whatever the chunk size (%i bytes)", async (size) => {
    const { lines, bytes } = await splitAll(text, size);
    expect(lines).toEqual(['{"a":"café ☕"}', "", '{"b":2}', '{"c":"last, no newline"}']);
    // Byte counts include each line's newline (and the CR before it): they add up to the file.
    expect(bytes.reduce((a, b) => a + b, 0)).toBe(Buffer.byteLength(text));
    expect(bytes[0]).toBe(Buffer.byteLength('{"a":"café ☕"}\r\n'));
  });
});

const order = (id: number, updatedAt = "2026-11-02T08:00:00Z") => ({
  id: `gid://shopify/Order/${id}`,
  name: `#${id}`,
  createdAt: "2026-11-02T08:00:00Z",
  updatedAt,
  processedAt: "2026-11-02T08:00:00Z",
  cancelledAt: null,
  sourceName: "pos",
  currencyCode: "gbp",
  displayFinancialStatus: "PARTIALLY_REFUNDED",
  customer: { id: "gid://shopify/Customer/5" },
  retailLocation: null,
  physicalLocation: { id: "gid://shopify/Location/7" },
  customAttributes: [{ key: "pickup_at", value: null }],
  totalPriceSet: { shopMoney: { amount: "7.40" } },
  subtotalPriceSet: null,
  totalDiscountsSet: { shopMoney: { amount: "0.00" } },
  refunds: [{ id: "gid://shopify/Refund/9", createdAt: "2026-11-02T09:00:00Z", totalRefundedSet: { shopMoney: { amount: "1.00" } } }],
});
const lineItem = (id: number, parent: number) => ({
  id: `gid://shopify/LineItem/${id}`,
  quantity: 1,
  sku: "",
  title: "Latte",
  variant: null,
  product: { id: "gid://shopify/Product/3" },
  originalUnitPriceSet: { shopMoney: { amount: "3.70" } },
  __parentId: `gid://shopify/Order/${parent}`,
});

function feed(lines: object[], batchSize: number): PreparedBatch[] {
  const assembler = orderAssembler(batchSize, "insert", "unit-cafe.myshopify.com");
  const batches: PreparedBatch[] = [];
  const position: ImportProgress = { linesDone: 0, bytesDone: 0 };
  for (const line of lines) {
    const before = { ...position };
    position.linesDone += 1;
    position.bytesDone += 10;
    const batch = assembler.push(JSON.stringify(line), before);
    if (batch) batches.push(batch);
  }
  return [...batches, ...assembler.finish(position)];
}

describe("order lines", () => {
  it("maps an order line to the sync writer's shape", () => {
    const { gid, order: mapped } = parseOrderLine(order(1), 1);
    expect(gid).toBe("gid://shopify/Order/1");
    expect(mapped).toMatchObject({
      id: "1",
      customerId: "5",
      locationId: "7",
      channel: "pos",
      currency: "GBP",
      financialStatus: "partially_refunded",
      subtotalPrice: null,
      noteAttributes: [{ name: "pickup_at", value: "" }],
      refunds: [{ id: "9", orderId: "1", amount: "1.00", createdAt: new Date("2026-11-02T09:00:00Z") }],
    });
  });

  it("reports a malformed line with its number and the field", () => {
    expect(() => parseOrderLine({ ...order(1), totalPriceSet: { shopMoney: { amount: "7,40" } } }, 12)).toThrow(
      new BulkLineError(12, 'totalPriceSet must be a decimal amount (got "7,40")'),
    );
    expect(() => parseOrderLine({ ...order(1), totalPriceSet: { shopMoney: { amount: 7.4 } } }, 12)).toThrow(
      /^bulk file line 12: totalPriceSet\.shopMoney\.amount: Invalid input: expected string, received number$/,
    );
    expect(() => parseOrderLine({ ...order(1), customer: { id: "5" } }, 4)).toThrow(/line 4: customer\.id must be a Shopify global id \(got "5"\)/);
    expect(() => parseOrderLine({ ...order(1), id: "gid://shopify/Order/" }, 4)).toThrow(/line 4: id must be a Shopify global id/);
    expect(() => parseOrderLine({ ...order(1), currencyCode: "POUNDS" }, 4)).toThrow(/line 4: currencyCode must be a 3-letter code/);
    expect(() => parseLineItemLine({ ...lineItem(1, 1), quantity: 1.5 }, 9)).toThrow(/line 9: quantity must be a whole number/);
    expect(() => parseLineItemLine({ ...lineItem(1, 1), title: undefined }, 9)).toThrow(/line 9: title: /);
    expect(() => parseOrderLine({ ...order(1), updatedAt: "2026-02-30T08:00:00Z" }, 3)).toThrow(/line 3: updatedAt must be an ISO 8601 time/);
  });

  it("joins line items to their order and cuts batches just before an order line", () => {
    const batches = feed([order(1), lineItem(11, 1), lineItem(12, 1), order(2), lineItem(21, 2), order(3)], 2);
    expect(batches.map((b) => [b.records, b.end.linesDone, b.afterPrevious])).toEqual([
      [2, 5, false],
      [1, 6, false],
    ]);
    const items = batches[0]?.payloads.find((p) => p.table === "bf_line_item");
    expect(items?.kind === "insert" ? items.columns[0] : null).toEqual(Array(3).fill("unit-cafe.myshopify.com"));
    expect(items?.kind === "insert" ? items.columns[2] : null).toEqual(["11", "12", "21"]);
    expect(items?.kind === "insert" ? items.columns[5] : null).toEqual([null, null, null]);
  });

  it("refuses a line item that does not follow its order", () => {
    expect(() => feed([order(1), order(2), lineItem(11, 1)], 10)).toThrow(/line 3: line item 11 of gid:\/\/shopify\/Order\/1 does not follow its order/);
  });

  it("puts a repeated order in a new batch, flagged to wait for the one before", () => {
    const batches = feed([order(1), order(2), order(1, "2026-11-03T08:00:00Z")], 10);
    expect(batches.map((b) => [b.records, b.end.linesDone, b.afterPrevious])).toEqual([
      [2, 2, false],
      [1, 3, true],
    ]);
  });
});

describe("customer lines", () => {
  it("reads consent from the default email address and phone number", () => {
    const customer = parseCustomerLine(
      {
        id: "gid://shopify/Customer/5",
        firstName: "Ada",
        lastName: "",
        tags: ["regular"],
        createdAt: "2026-01-01T00:00:00Z",
        updatedAt: "2026-02-01T00:00:00.123Z",
        defaultEmailAddress: { emailAddress: "ada@example.com", marketingState: "SUBSCRIBED", marketingUpdatedAt: "2026-01-02T00:00:00Z" },
        defaultPhoneNumber: null,
      },
      1,
    );
    expect(customer).toMatchObject({
      id: "5",
      email: "ada@example.com",
      lastName: null,
      emailMarketingState: "SUBSCRIBED",
      emailMarketingAt: new Date("2026-01-02T00:00:00Z"),
      smsMarketingState: null,
      phone: null,
      shopifyUpdatedAt: new Date("2026-02-01T00:00:00.123Z"),
    });
  });

  it("refuses nested lines in a customers file", () => {
    const assembler = customerAssembler(10, "copy");
    expect(() => assembler.push(JSON.stringify({ id: "gid://shopify/Metafield/1", __parentId: "gid://shopify/Customer/5" }), { linesDone: 4, bytesDone: 0 })).toThrow(
      /line 5: the customers file has no nested lines/,
    );
  });
});

describe("field conversions", () => {
  it.each([
    ["2024-02-29T23:59:59Z", "2024-02-29T23:59:59.000Z"],
    ["2026-11-02T08:00:00Z", "2026-11-02T08:00:00.000Z"],
    ["2026-11-02T09:00:00+01:00", "2026-11-02T08:00:00.000Z"],
    ["2026-11-02T08:00:00.250Z", "2026-11-02T08:00:00.250Z"],
  ])("reads %s", (text, iso) => {
    expect(toDate(text, "t").toISOString()).toBe(iso);
  });

  it.each(["2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-02T24:00:00Z", "2026-11-0xT08:00:00Z", "yesterday"])("refuses %s", (text) => {
    expect(() => toDate(text, "createdAt")).toThrow(/createdAt must be an ISO 8601 time/);
  });

  it("escapes COPY's special characters and quotes array elements", () => {
    expect(copyValue(null)).toBe("\\N");
    expect(copyValue("a\tb\nc\\d\re")).toBe("a\\tb\\nc\\\\d\\re");
    expect(copyValue("\\N")).toBe("\\\\N");
    expect(arrayLiteral(['say "hi"', "back\\slash", ""])).toBe('{"say \\"hi\\"","back\\\\slash",""}');
  });
});
