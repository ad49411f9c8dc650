import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCampaignDefinition, CampaignDefinitionError } from "../../app/campaigns/definition";
import { parseIdentifier, parseItems } from "../../app/imports/csv-fields";
import { ImportFileValidator } from "../../app/imports/file-validator";
import { payloadSchema, webhookBodyError } from "../../app/webhooks/parse";
import { orderPayload, toSyncedOrder } from "../../app/webhooks/payloads";
import { WEBHOOK_TOPICS } from "../../app/webhooks/topics";
import { csvCell as reportCsvCell } from "../../app/reports/render";
import { csvCell } from "../../app/settings/csv";
import { assertPrototypeClean, hostileJson, mutateJson, mutation, nastyString } from "../support/hostile-arbitraries";

/**
 * The pure parsers behind the hostile-input suites (issue 8): whatever they
 * are given they answer (never throw), and what they accept is something
 * PostgreSQL can store exactly as accepted.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const storable = (text: string) => !text.includes("\u0000") && !LONE_SURROGATE.test(text);

const ORDER = {
  id: 1001,
  currency: "GBP",
  total_price: "4.50",
  created_at: "2026-11-20T08:00:00Z",
  updated_at: "2026-11-20T08:00:00Z",
  line_items: [{ id: 1, title: "Flat white", quantity: 1, price: "4.50" }],
};

describe("webhook payload parser", () => {
  it("answers any body for any topic with null or a reason, never an exception", () => {
    fc.assert(
      fc.property(fc.constantFrom(...WEBHOOK_TOPICS), fc.oneof(hostileJson.map((value) => JSON.stringify(value) ?? "null"), nastyString), (topic, body) => {
        const error = webhookBodyError(topic, body);
        expect(error === null || (typeof error === "string" && error.length > 0)).toBe(true);
        assertPrototypeClean();
      }),
      { numRuns: 2_000 },
    );
  });

  it("accepts only orders whose amounts, quantities and times fit the columns they are written to", () => {
    const extreme = fc.oneof(
      fc.double(),
      fc.integer(),
      fc.constantFrom(1e14, -1e14, 99_999_999_999_999, 2 ** 31, -(2 ** 31) - 1, "1e20", "100000000000000", "99999999999999.9999", "-271821-04-20T00:00:00Z", "+275760-09-13T00:00:00Z", "0000-01-01T00:00:00Z"),
    );
    fc.assert(
      fc.property(fc.nat(), extreme, mutation, (pick, value, m) => {
        const spoilt = mutateJson(mutateJson(ORDER, value, "", pick, "replace"), m.junk, m.key, m.pick, m.how);
        const parsed = orderPayload.safeParse(spoilt);
        if (!parsed.success) return;
        const order = toSyncedOrder(parsed.data);
        for (const amount of [order.totalPrice, ...order.lineItems.map((item) => item.price)]) expect(Math.abs(Number(amount))).toBeLessThan(1e14);
        for (const item of order.lineItems) expect(item.quantity >= -(2 ** 31) && item.quantity < 2 ** 31).toBe(true);
        for (const at of [order.processedAt, order.shopifyCreatedAt, order.shopifyUpdatedAt]) {
          const year = at?.getUTCFullYear() ?? 2026;
          expect(year >= 1 && year <= 9999).toBe(true);
        }
      }),
      { numRuns: 2_000 },
    );
    expect(payloadSchema("orders/create")?.safeParse({ ...ORDER, total_price: 1e20 }).success).toBe(false);
    expect(webhookBodyError("orders/create", JSON.stringify({ ...ORDER, created_at: "-271821-04-20T00:00:00Z" }))).toMatch(/created_at must be an ISO 8601 time/);
  });
});

describe("CSV cells and error messages", () => {
  it("an identifier is accepted only when it can be stored as written", () => {
    fc.assert(
      fc.property(fc.oneof(nastyString, fc.string({ unit: "binary", maxLength: 30 })), (text) => {
        const id = parseIdentifier(text);
        if (id.ok) expect(storable(id.value)).toBe(true);
        const items = parseItems(text);
        if (items.ok) for (const item of items.value) expect(storable(item.sku)).toBe(true);
      }),
      { numRuns: 3_000 },
    );
  });

  it("reports errors in storable, bounded text, whatever the file held", () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.oneof(nastyString, fc.string({ unit: "binary", maxLength: 600 })), { maxLength: 6 }), { minLength: 1, maxLength: 6 }), (records) => {
        const validator = new ImportFileValidator({ timezone: "Europe/London", currency: "GBP", now: new Date("2026-11-28T00:00:00Z") });
        for (const [i, fields] of [["customer_id", "ordered_at", "total"], ...records].entries()) validator.accept({ line: i + 1, fields });
        validator.finish();
        for (const error of validator.errors) {
          expect(storable(error.message) && (error.column === null || storable(error.column))).toBe(true);
          expect(error.message.length).toBeLessThanOrEqual(500);
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe("campaign definitions", () => {
  it("refuse text PostgreSQL cannot store, naming the field, and never throw anything but CampaignDefinitionError", () => {
    const base = { name: "Tasting", kind: "broadcast", segmentId: "due", variants: [{ id: "a", title: "Hi", body: "Hello" }], offer: { type: "tasting", link: "/pages/tasting" }, startsAt: "2027-01-01T08:00:00Z" };
    fc.assert(
      fc.property(mutation, fc.nat(), nastyString, (m, pick, text) => {
        const input = mutateJson(mutateJson(base, text, "", pick, "replace"), m.junk, m.key, m.pick, m.how);
        try {
          const definition = parseCampaignDefinition(input);
          for (const value of [definition.name, ...definition.variants.flatMap((variant) => [variant.title, variant.body, variant.url ?? ""]), definition.offer?.link ?? ""]) {
            expect(storable(value)).toBe(true);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(CampaignDefinitionError);
        }
        assertPrototypeClean();
      }),
      { numRuns: 2_000 },
    );
  });
});

describe("CSV exports of imported text", () => {
  it("never hand a spreadsheet a formula, whatever a customer id, name or SKU holds", () => {
    const unquote = (cell: string) => (cell.startsWith('"') ? cell.slice(1, -1).replaceAll('""', '"') : cell);
    fc.assert(
      fc.property(fc.oneof(nastyString, fc.constantFrom("=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1", "-12.5")), (text) => {
        for (const cell of [csvCell(text), reportCsvCell(text)]) {
          const value = unquote(cell);
          // A leading apostrophe (or a plain number) is all a spreadsheet may see first.
          expect(/^[=+@\t\r]/.test(value) || (value.startsWith("-") && !/^-?\d+(\.\d+)?$/.test(value))).toBe(false);
        }
      }),
      { numRuns: 2_000 },
    );
  });
});
