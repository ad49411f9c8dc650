import { describe, expect, it } from "vitest";
import {
  parseChannel,
  parseCurrency,
  parseCustomerId,
  parseEmail,
  parseIdentifier,
  parseItems,
  parseTotal,
} from "../../app/imports/csv-fields";
import { renderProgressBar } from "../../app/imports/progress";
import { shopSettingsSchema } from "../../app/imports/shop-settings";

const value = <T>(v: T) => ({ ok: true, value: v });

describe("CSV cells", () => {
  it.each([
    ["4.50", "4.5"],
    ["4", "4"],
    ["0", "0"],
    ["0.00", "0"],
    ["007.10", "7.1"],
    ["12.3456", "12.3456"],
    ["99999999999999.99", "99999999999999.99"],
  ])("total %s → %s", (text, expected) => {
    expect(parseTotal(text)).toEqual(value(expected));
  });

  it.each([
    ["", "is required"],
    ["-4.50", "must not be negative"],
    ["4,50", "must use a dot for decimals, e.g. 4.50"],
    ["4.12345", "more than 4 decimal places"],
    ["£4.50", "without a currency sign"],
    ["4.50 EUR", "without a currency sign"],
    ["1,234.50", "must be a number like 4.50"],
    ["four", "must be a number like 4.50"],
    ["4.", "must be a number like 4.50"],
    ["123456789012345", "must be a number like 4.50"],
  ])("total %j is refused: %s", (text, message) => {
    const result = parseTotal(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });

  it.each([
    ["", "GBP"],
    ["EUR", "EUR"],
    ["usd", "USD"],
  ])("currency %j → %s (empty: the shop's)", (text, expected) => {
    expect(parseCurrency(text, "GBP")).toEqual(value(expected));
  });

  it.each(["EURO", "XYZ", "€", "12"])("currency %j is refused", (text) => {
    expect(parseCurrency(text, "GBP")).toMatchObject({ ok: false, message: expect.stringContaining("ISO 4217") });
  });

  it.each([
    ["", "pos"],
    ["pos", "pos"],
    ["POS", "pos"],
    ["web", "web"],
  ])("channel %j → %s", (text, expected) => {
    expect(parseChannel(text)).toEqual(value(expected));
  });

  it.each(["online", "store", "counter"])("channel %j is refused", (text) => {
    expect(parseChannel(text)).toMatchObject({ ok: false, message: expect.stringContaining("must be pos or web") });
  });

  it.each([
    ["LATTE-OAT:1;CROISSANT:2", [{ sku: "LATTE-OAT", quantity: 1 }, { sku: "CROISSANT", quantity: 2 }]],
    ["LATTE-OAT:1;", [{ sku: "LATTE-OAT", quantity: 1 }]],
    [" LATTE-OAT : 1 ; CROISSANT:2 ", [{ sku: "LATTE-OAT", quantity: 1 }, { sku: "CROISSANT", quantity: 2 }]],
    ["MUG:BLUE:3", [{ sku: "MUG:BLUE", quantity: 3 }]],
    ["LATTE:1;LATTE:1", [{ sku: "LATTE", quantity: 1 }, { sku: "LATTE", quantity: 1 }]],
  ])("items %j", (text, expected) => {
    expect(parseItems(text)).toEqual(value(expected));
  });

  it.each([
    ["LATTE-OAT", 'item 1 ("LATTE-OAT") must be SKU:quantity'],
    ["LATTE:1;:2", 'item 2 (":2") must be SKU:quantity'],
    ["LATTE:0", "item 1 (LATTE) needs a whole quantity from 1 to 10000"],
    ["LATTE:1.5", "needs a whole quantity"],
    ["LATTE:-1", "needs a whole quantity"],
    ["LATTE:", "needs a whole quantity"],
    ["LATTE:10001", "needs a whole quantity"],
    ["LATTE:1,CROISSANT:2", "has a comma: separate items with ;"],
    [Array.from({ length: 501 }, () => "A:1").join(";"), "more than 500 items"],
  ])("items %j are refused: %s", (text, message) => {
    const result = parseItems(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });

  it("email: an address or an error", () => {
    expect(parseEmail("ann@example.com")).toEqual(value("ann@example.com"));
    expect(parseEmail("ann at example.com")).toMatchObject({ ok: false, message: expect.stringContaining("is not an email address") });
  });

  it("ids: printable text up to 255 characters; Shopify customer gids become their number", () => {
    expect(parseIdentifier("POS 00017")).toEqual(value("POS 00017"));
    expect(parseIdentifier("x".repeat(256))).toMatchObject({ ok: false, message: expect.stringContaining("longer than 255") });
    expect(parseIdentifier("a\tb")).toMatchObject({ ok: false, message: expect.stringContaining("control character") });
    expect(parseCustomerId("gid://shopify/Customer/501")).toEqual(value("501"));
    expect(parseCustomerId("C-501")).toEqual(value("C-501"));
  });
});

describe("regulars shop create settings", () => {
  it("normalises domain, time zone and currency", () => {
    expect(shopSettingsSchema.parse({ domain: " Corner-Cafe.myshopify.com ", timezone: "europe/london", currency: "gbp" })).toEqual({
      domain: "corner-cafe.myshopify.com",
      timezone: "Europe/London",
      currency: "GBP",
    });
    expect(shopSettingsSchema.parse({ domain: "a.myshopify.com", timezone: "UTC", currency: "JPY" }).timezone).toBe("UTC");
  });

  it.each([
    [{ domain: "corner-cafe.com" }, "domain", "*.myshopify.com"],
    [{ domain: "https://corner-cafe.myshopify.com" }, "domain", "*.myshopify.com"],
    [{ timezone: "Mars/Olympus" }, "timezone", "not an IANA time zone"],
    [{ timezone: "+01:00" }, "timezone", "not an IANA time zone"],
    [{ timezone: "CET" }, "timezone", "not an IANA time zone"],
    [{ currency: "EURO" }, "currency", "ISO 4217"],
    [{ currency: "ABC" }, "currency", "ISO 4217"],
  ])("refuses %j", (override, path, message) => {
    const result = shopSettingsSchema.safeParse({ domain: "a.myshopify.com", timezone: "Europe/London", currency: "GBP", ...override });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual([path]);
    expect(result.error?.issues[0]?.message).toContain(message);
  });
});

describe("progress bar", () => {
  it("shows the phase, the share of the file read, and rows", () => {
    expect(renderProgressBar({ phase: "validating", bytesDone: 512 * 1024, bytesTotal: 1024 * 1024, rows: 12_345 }, 10)).toBe(
      "checking  [#####·····]  50%  512.0 KB of 1.0 MB  12,345 rows",
    );
    expect(renderProgressBar({ phase: "done", bytesDone: 0, bytesTotal: 0, rows: 0 }, 4)).toBe("done      [####] 100%  0 B of 0 B  0 rows");
  });
});
