import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { customerAssembler } from "../../app/sync/backfill/assemble";
import { sumDecimals, toDate } from "../../app/sync/backfill/line-fields";
import { parseLineItemLine, parseOrderLine } from "../../app/sync/backfill/order-lines";
import { OrderLineEncoder, type ParentOrder } from "../../app/sync/backfill/order-rows";
import { copyRow, lineItemRow, orderRow, refundRow, type DirectTarget } from "../../app/sync/backfill/stage-rows";

/**
 * The fast path of OrderLineEncoder must write exactly what the reference
 * path (zod + mapping + stage-rows) writes, and reject exactly what it
 * rejects, with the same message.
 */

const TARGET: DirectTarget = { shop: "unit-cafe.myshopify.com", source: "backfill" };

type Outcome = { ok: true; value: unknown } | { ok: false; error: string };

function outcome(run: () => unknown): Outcome {
  try {
    return { ok: true, value: run() };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

function referenceOrder(value: unknown) {
  const { gid, order } = parseOrderLine(value, 7);
  return {
    gid,
    id: order.id,
    row: copyRow(orderRow(order, TARGET)),
    refunds: order.refunds.map((refund) => copyRow(refundRow(refund))).join(""),
    refundCount: order.refunds.length,
  };
}

function referenceLineItem(value: unknown, parent: ParentOrder) {
  const { parentId, item } = parseLineItemLine(value, 9);
  if (parentId !== parent.gid) throw new Error(`bulk file line 9: line item ${item.id} of ${parentId} does not follow its order (the file must group children under their parent)`);
  return { id: item.id, row: copyRow(lineItemRow(parent.id, item, TARGET)) };
}

// Values as Shopify writes them, and the near misses a malformed or hand-made file could hold.
const digits = fc.stringMatching(/^[1-9][0-9]{0,14}$/);
const gidOf = (type: string) => digits.map((id) => `gid://shopify/${type}/${id}`);
const oddGid = fc.constantFrom("5", "gid://shopify/Order/", "gid://shopify/12", "gid://other/Order/1", "gid://shopify/Order/1\t2", "gid://shopify/Order/a\\b");
const gid = (type: string) => fc.oneof({ weight: 8, arbitrary: gidOf(type) }, { weight: 1, arbitrary: oddGid });
const ref = (type: string) => fc.oneof(fc.constant(null), fc.constant(undefined), gid(type).map((id) => ({ id })), fc.constant({ id: 5 }), fc.constant([]));
const text = fc.oneof(fc.string(), fc.constantFrom("", "a\tb", "back\\slash", "new\nline", "café ☕", "\u0000"));
const nullableText = fc.oneof(fc.constant(null), fc.constant(undefined), text, fc.constant(42));
const utcTime = fc
  .date({ min: new Date("1990-01-01T00:00:00Z"), max: new Date("2039-12-31T23:59:59Z"), noInvalidDate: true })
  .chain((date) => fc.constantFrom(date.toISOString(), date.toISOString().replace(/\.\d{3}Z$/, "Z")));
const oddTime = fc.constantFrom("2026-02-30T08:00:00Z", "2026-11-02T08:00:00+01:00", "2026-11-02", "2026-11-02T08:00:00.5Z", "", "soon", "+010000-01-01T00:00:00.000Z", "0000-01-01T00:00:00Z");
const time = fc.oneof({ weight: 6, arbitrary: utcTime }, { weight: 1, arbitrary: oddTime });
const amount = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.integer({ min: -99999, max: 999999 }), fc.integer({ min: 0, max: 99 })).map(([a, b]) => `${a}.${String(b).padStart(2, "0")}`) },
  { weight: 1, arbitrary: fc.constantFrom("7", "0.5", "1.2345", "7,40", "", "1e3", "-", "3.") },
);
const moneyBag = fc.oneof({ weight: 8, arbitrary: amount.map((value) => ({ shopMoney: { amount: value } })) }, { weight: 1, arbitrary: fc.constantFrom({ shopMoney: { amount: 7.4 } }, { shopMoney: null }, {}, "7.40") });
const nullableMoney = fc.oneof(fc.constant(null), fc.constant(undefined), moneyBag);
const attributes = fc.oneof(
  fc.constant(null),
  fc.constant([]),
  fc.array(fc.record({ key: fc.oneof(text, fc.constant(3)), value: nullableText }), { maxLength: 3 }),
  fc.constant("pickup"),
);
const refunds = fc.oneof(
  fc.constant(null),
  fc.constant([]),
  fc.array(fc.record({ id: gid("Refund"), createdAt: time, totalRefundedSet: moneyBag }), { maxLength: 3 }),
  fc.constant({}),
);

const orderLine = fc.record(
  {
    id: fc.oneof({ weight: 9, arbitrary: gid("Order") }, { weight: 1, arbitrary: fc.constant(12) }),
    name: nullableText,
    createdAt: time,
    updatedAt: time,
    processedAt: fc.oneof(fc.constant(null), time),
    cancelledAt: fc.oneof(fc.constant(null), time),
    sourceName: fc.oneof(fc.constantFrom("pos", "web", "shopify_draft_order", "", null), nullableText),
    currencyCode: fc.oneof(fc.constantFrom("GBP", "eur", "usd"), fc.constantFrom("POUNDS", "£", "")),
    displayFinancialStatus: fc.oneof(fc.constantFrom("PAID", "PARTIALLY_REFUNDED", null), nullableText),
    customer: ref("Customer"),
    retailLocation: ref("Location"),
    physicalLocation: ref("Location"),
    customAttributes: attributes,
    totalPriceSet: moneyBag,
    subtotalPriceSet: nullableMoney,
    totalDiscountsSet: nullableMoney,
    refunds,
  },
  { requiredKeys: ["id", "createdAt", "updatedAt", "currencyCode", "totalPriceSet"] },
);

const PARENT: ParentOrder = { gid: "gid://shopify/Order/77", id: "77" };

const lineItemLine = fc.record(
  {
    id: gid("LineItem"),
    quantity: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: -3, max: 50 }) }, { weight: 1, arbitrary: fc.constantFrom(1.5, 2 ** 31, -(2 ** 31), 1e21, "2") }),
    sku: nullableText,
    title: fc.oneof({ weight: 6, arbitrary: text }, { weight: 1, arbitrary: fc.constantFrom(null, 3) }),
    variant: ref("ProductVariant"),
    product: ref("Product"),
    originalUnitPriceSet: moneyBag,
    __parentId: fc.oneof({ weight: 6, arbitrary: fc.constant(PARENT.gid) }, { weight: 1, arbitrary: gid("Order") }),
  },
  { requiredKeys: ["id", "quantity", "title", "originalUnitPriceSet", "__parentId"] },
);

describe("OrderLineEncoder", () => {
  it("writes an order line exactly as the reference path does, or fails with the same message", () => {
    fc.assert(
      fc.property(orderLine, (line) => {
        const value: unknown = JSON.parse(JSON.stringify(line));
        expect(outcome(() => new OrderLineEncoder(TARGET).order(value, 7))).toEqual(outcome(() => referenceOrder(value)));
      }),
      { numRuns: 3000 },
    );
  });

  it("writes a line item line exactly as the reference path does, or fails with the same message", () => {
    fc.assert(
      fc.property(lineItemLine, (line) => {
        const value: unknown = JSON.parse(JSON.stringify(line));
        expect(outcome(() => new OrderLineEncoder(TARGET).lineItem(value, 9, PARENT))).toEqual(outcome(() => referenceLineItem(value, PARENT)));
      }),
      { numRuns: 3000 },
    );
  });

  it("takes Shopify's own lines without the reference path", () => {
    const encoder = new OrderLineEncoder(TARGET);
    const order = encoder.order(
      {
        id: "gid://shopify/Order/77",
        name: "#1077",
        createdAt: "2026-11-02T08:00:00Z",
        updatedAt: "2026-11-02T08:05:00Z",
        processedAt: null,
        cancelledAt: null,
        sourceName: "pos",
        currencyCode: "GBP",
        displayFinancialStatus: "PARTIALLY_REFUNDED",
        customer: { id: "gid://shopify/Customer/5" },
        retailLocation: null,
        physicalLocation: { id: "gid://shopify/Location/7" },
        customAttributes: [{ key: "pickup_at", value: "08:15" }],
        totalPriceSet: { shopMoney: { amount: "7.40" } },
        subtotalPriceSet: { shopMoney: { amount: "7.40" } },
        totalDiscountsSet: null,
        refunds: [
          { id: "gid://shopify/Refund/9", createdAt: "2026-11-02T09:00:00Z", totalRefundedSet: { shopMoney: { amount: "1.00" } } },
          { id: "gid://shopify/Refund/10", createdAt: "2026-11-02T09:10:00.250Z", totalRefundedSet: { shopMoney: { amount: "0.25" } } },
        ],
      },
      1,
    );
    const item = encoder.lineItem(
      {
        id: "gid://shopify/LineItem/700",
        quantity: 2,
        sku: "",
        title: "Oat latte",
        variant: null,
        product: { id: "gid://shopify/Product/3" },
        originalUnitPriceSet: { shopMoney: { amount: "3.70" } },
        __parentId: "gid://shopify/Order/77",
      },
      2,
      PARENT,
    );
    expect(encoder.referenceLines).toBe(0);
    expect(order.row).toBe(
      "unit-cafe.myshopify.com\t77\t#1077\t5\t7\tpos\tpos\tGBP\t7.40\t7.40\t\\N\t1.25\tpartially_refunded\t2026-11-02T08:00:00.000Z\t\\N" +
        '\t[{"name":"pickup_at","value":"08:15"}]\t2026-11-02T08:00:00.000Z\t2026-11-02T08:05:00.000Z\tbackfill\tnow\n',
    );
    expect(order.refunds).toBe(`9\t77\t1.00\t${Date.parse("2026-11-02T09:00:00Z")}\n10\t77\t0.25\t${Date.parse("2026-11-02T09:10:00.250Z")}\n`);
    expect(item.row).toBe("unit-cafe.myshopify.com\t77\t700\t3\t\\N\t\\N\tOat latte\t2\t3.70\n");
  });
});

/** Lines exactly as Shopify writes them: every field, in the query's order, values in Shopify's forms. */
const shopifyOrderLine = fc.record({
  id: gidOf("Order"),
  name: fc.oneof(fc.constant(null), fc.string({ maxLength: 12 }).map((n) => `#${n}`)),
  createdAt: utcTime,
  updatedAt: utcTime,
  processedAt: fc.oneof(fc.constant(null), utcTime),
  cancelledAt: fc.oneof(fc.constant(null), utcTime),
  sourceName: fc.constantFrom("pos", "web", null),
  currencyCode: fc.constantFrom("GBP", "EUR"),
  displayFinancialStatus: fc.constantFrom("PAID", "PARTIALLY_REFUNDED", null),
  customer: fc.oneof(fc.constant(null), gidOf("Customer").map((id) => ({ id }))),
  retailLocation: fc.oneof(fc.constant(null), gidOf("Location").map((id) => ({ id }))),
  physicalLocation: fc.oneof(fc.constant(null), gidOf("Location").map((id) => ({ id }))),
  customAttributes: fc.array(fc.record({ key: fc.string({ maxLength: 8 }), value: fc.oneof(fc.constant(null), fc.string({ maxLength: 8 })) }), { maxLength: 2 }),
  totalPriceSet: fc.integer({ min: 0, max: 99999 }).map((cents) => ({ shopMoney: { amount: (cents / 100).toFixed(2) } })),
  subtotalPriceSet: fc.oneof(fc.constant(null), fc.constant({ shopMoney: { amount: "1.00" } })),
  totalDiscountsSet: fc.oneof(fc.constant(null), fc.constant({ shopMoney: { amount: "0.00" } })),
  refunds: fc.array(fc.record({ id: gidOf("Refund"), createdAt: utcTime, totalRefundedSet: fc.constantFrom({ shopMoney: { amount: "1.50" } }, { shopMoney: { amount: "0.25" } }) }), { maxLength: 2 }),
});

const shopifyLineItemLine = fc.record({
  id: gidOf("LineItem"),
  quantity: fc.integer({ min: -5, max: 99 }),
  sku: fc.oneof(fc.constant(null), fc.constant(""), fc.string({ maxLength: 10 })),
  title: fc.string({ maxLength: 20 }),
  variant: fc.oneof(fc.constant(null), gidOf("ProductVariant").map((id) => ({ id }))),
  product: fc.oneof(fc.constant(null), gidOf("Product").map((id) => ({ id }))),
  originalUnitPriceSet: fc.constant({ shopMoney: { amount: "3.70" } }),
  __parentId: fc.constant(PARENT.gid),
});

/** Texts a file could hold for the same line, or near it: spaces, escapes, other number forms, raw control characters. */
function variants(text: string): string[] {
  return [
    text,
    text.replace('":', '": '),
    text.replace(/"title":"/, '"title":"\\u0041'),
    text.replace(/"title":"/, '"title":"\t'),
    text.replace(/"name":"/, '"name":"\\"'),
    text.replace(/"quantity":(-?\d+)/, '"quantity":$1.0'),
    text.replace(/"quantity":(-?\d+)/, '"quantity":0$1'),
    text.replace(/"quantity":(-?\d+)/, '"quantity":-0'),
    text.replace(/"quantity":(-?\d+)/, '"quantity":1234567890'),
    text.replace(/"currencyCode":"(\w+)"/, '"currencyCode":"$1","extra":1'),
    text.replace(/"amount":"([\d.]+)"/, '"amount":"$1","currencyCode":"GBP"'),
    text.replace(/\}$/, ', }'),
    `${text} `,
    text.slice(0, -1),
  ];
}

function viaJson(text: string, run: (value: unknown) => unknown): Outcome {
  return outcome(() => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new Error("is not JSON");
    }
    return run(value);
  });
}

/** JSON.stringify escaped something (a quote, a backslash, a control character): such lines are left to JSON.parse. */
const escapedOrControl = { test: (text: string) => text.includes("\\") || [...text].some((char) => char.charCodeAt(0) < 0x20) };

describe("OrderLineEncoder, lines as text", () => {
  const encoder = new OrderLineEncoder(TARGET);

  it("reads every order line in Shopify's form as JSON.parse and the checks would", () => {
    fc.assert(
      fc.property(shopifyOrderLine, (line) => {
        const text = JSON.stringify(line);
        const read = encoder.orderText(text);
        if (!escapedOrControl.test(text)) expect(read).not.toBeNull();
        if (read !== null) expect({ ok: true, value: read }).toEqual(viaJson(text, (value) => new OrderLineEncoder(TARGET).order(value, 7)));
      }),
      { numRuns: 2000 },
    );
  });

  it("reads every line item line in Shopify's form as JSON.parse and the checks would", () => {
    fc.assert(
      fc.property(shopifyLineItemLine, (line) => {
        const text = JSON.stringify(line);
        const read = encoder.lineItemText(text, PARENT);
        if (!escapedOrControl.test(text)) expect(read).not.toBeNull();
        if (read !== null) expect({ ok: true, value: read }).toEqual(viaJson(text, (value) => new OrderLineEncoder(TARGET).lineItem(value, 9, PARENT)));
      }),
      { numRuns: 2000 },
    );
  });

  it("takes no line that JSON.parse and the checks would read differently, or refuse", () => {
    fc.assert(
      fc.property(fc.oneof(orderLine, lineItemLine, shopifyOrderLine, shopifyLineItemLine), (line) => {
        for (const text of variants(JSON.stringify(line))) {
          const order = encoder.orderText(text);
          if (order !== null) expect({ ok: true, value: order }).toEqual(viaJson(text, (value) => new OrderLineEncoder(TARGET).order(value, 7)));
          const item = encoder.lineItemText(text, PARENT);
          if (item !== null) expect({ ok: true, value: item }).toEqual(viaJson(text, (value) => new OrderLineEncoder(TARGET).lineItem(value, 9, PARENT)));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("leaves a line item of another order, and other forms, to JSON.parse", () => {
    const line = '{"id":"gid://shopify/LineItem/1","quantity":1,"sku":null,"title":"Latte","variant":null,"product":null,"originalUnitPriceSet":{"shopMoney":{"amount":"3.40"}},"__parentId":"gid://shopify/Order/77"}';
    expect(encoder.lineItemText(line, PARENT)?.row).toBe("unit-cafe.myshopify.com\t77\t1\t\\N\t\\N\t\\N\tLatte\t1\t3.40\n");
    expect(encoder.lineItemText(line, { gid: "gid://shopify/Order/78", id: "78" })).toBeNull();
    expect(encoder.orderText(line)).toBeNull();
    expect(encoder.lineItemText(line.replace('"quantity":1', '"quantity":1e0'), PARENT)).toBeNull();
    expect(encoder.lineItemText(line.replace("Latte", "La\\u0074te"), PARENT)).toBeNull();
  });
});

describe("sumDecimals", () => {
  it("adds exactly", () => {
    expect(sumDecimals([])).toBe("0");
    expect(sumDecimals(["3.20"])).toBe("3.20");
    expect(sumDecimals(["0.1", "0.2"])).toBe("0.3");
    expect(sumDecimals(["1.25", "-0.5", "2"])).toBe("2.75");
    expect(sumDecimals(["-1.25", "0.25"])).toBe("-1.00");
    expect(sumDecimals(["99999999999999.9999", "0.0001"])).toBe("100000000000000.0000");
  });

  it("agrees with integer arithmetic on cents", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1_000_000_000, max: 1_000_000_000 }), { minLength: 2, maxLength: 6 }), (cents) => {
        const asText = (c: number) => `${c < 0 ? "-" : ""}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, "0")}`;
        expect(sumDecimals(cents.map(asText))).toBe(asText(cents.reduce((a, b) => a + b, 0)));
      }),
    );
  });
});

describe("toDate", () => {
  it("reads Shopify's UTC forms, with or without milliseconds, and refuses impossible days and years PostgreSQL cannot read back", () => {
    expect(toDate("2026-11-02T08:00:00Z", "at").toISOString()).toBe("2026-11-02T08:00:00.000Z");
    expect(toDate("2026-11-02T08:00:00.250Z", "at").toISOString()).toBe("2026-11-02T08:00:00.250Z");
    expect(toDate("2026-11-02T09:00:00+01:00", "at").toISOString()).toBe("2026-11-02T08:00:00.000Z");
    expect(() => toDate("2026-02-30T08:00:00.000Z", "at")).toThrow(/at must be an ISO 8601 time/);
    expect(() => toDate("+010000-01-01T00:00:00.000Z", "at")).toThrow(/at must be an ISO 8601 time/);
  });
});

describe("batches", () => {
  /** The rule, one id at a time: a batch ends when full or when the next id is already in it. */
  function expectedBatches(ids: string[], batchSize: number) {
    const batches: { ids: string[]; afterPrevious: boolean }[] = [];
    let current: string[] = [];
    const close = () => {
      const previous = batches.at(-1)?.ids ?? [];
      batches.push({ ids: current, afterPrevious: current.some((id) => previous.includes(id)) });
      current = [];
    };
    for (const id of ids) {
      if (current.length >= batchSize || current.includes(id)) close();
      current.push(id);
    }
    if (current.length > 0) close();
    return batches;
  }

  it("cuts any sequence of ids, in order or not, as the rule says", () => {
    const ids = fc.oneof(
      // Mostly ascending, as Shopify lists them, with the odd repeat or step back.
      fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 60 }).map((steps) => steps.reduce<number[]>((all, step) => [...all, (all.at(-1) ?? 0) + (step > 35 ? -step : step % 4)], [])),
      fc.array(fc.integer({ min: 1, max: 12 }), { maxLength: 60 }),
    );
    fc.assert(
      fc.property(ids, fc.integer({ min: 1, max: 7 }), (numbers, batchSize) => {
        const lines = numbers.map((n) => ({ id: `gid://shopify/Customer/${Math.abs(n) + 1}`, createdAt: "2026-01-01T00:00:00Z", updatedAt: "2026-01-02T00:00:00Z" }));
        const assembler = customerAssembler(batchSize, "insert");
        const batches = [];
        for (const [index, line] of lines.entries()) {
          const batch = assembler.push(JSON.stringify(line), { linesDone: index, bytesDone: index });
          if (batch) batches.push(batch);
        }
        batches.push(...assembler.finish({ linesDone: lines.length, bytesDone: lines.length }));
        const seen = batches.map((batch) => {
          const payload = batch.payloads[0];
          return { ids: payload?.kind === "insert" ? (payload.columns[0] ?? []) : [], afterPrevious: batch.afterPrevious };
        });
        expect(seen).toEqual(expectedBatches(lines.map((line) => line.id.split("/").pop() ?? ""), batchSize));
      }),
      { numRuns: 500 },
    );
  });
});
