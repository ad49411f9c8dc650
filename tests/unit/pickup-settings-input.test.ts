import { describe, expect, it } from "vitest";
import { parseCartLines } from "../../app/pickup/cart";
import { DEFAULT_PICKUP_SETTINGS, parseDayHours, parsePickupSettings, parseWeekHours, settingsFromForm, weekHoursText } from "../../app/pickup/settings-input";

const valid = {
  ...DEFAULT_PICKUP_SETTINGS,
  enabled: true,
  hours: [
    { weekday: 2, opens: "07:00", closes: "11:00" },
    { weekday: 1, opens: "12:00", closes: "15:00" },
    { weekday: 1, opens: "07:00", closes: "11:00" },
  ],
};

describe("pickup settings input", () => {
  it("accepts valid settings and sorts the hours", () => {
    const parsed = parsePickupSettings(valid);
    expect(parsed.ok && parsed.value.hours.map((h) => `${h.weekday} ${h.opens}`)).toEqual(["1 07:00", "1 12:00", "2 07:00"]);
  });

  it.each([
    ["slot length that does not divide a day", { slotMinutes: 7 }, "slotMinutes", /divide a day evenly: 5, 6, 8/],
    ["slot length too short", { slotMinutes: 3 }, "slotMinutes", /at least 5/],
    ["slot length too long", { slotMinutes: 90 }, "slotMinutes", /at most 60/],
    ["slot length not whole", { slotMinutes: 7.5 }, "slotMinutes", /whole number/],
    ["no capacity at all", { capacityOrders: null, capacityItems: null }, "capacityOrders", /set orders per slot, drinks per slot, or both/],
    ["capacity zero", { capacityOrders: 0 }, "capacityOrders", /at least 1/],
    ["drinks capacity negative", { capacityItems: -3 }, "capacityItems", /at least 1/],
    ["hold too long", { holdMinutes: 45 }, "holdMinutes", /at most 30/],
    ["hold zero", { holdMinutes: 0 }, "holdMinutes", /at least 1/],
    ["negative lead", { leadMinutes: -5 }, "leadMinutes", /at least 0/],
    ["enabled without hours", { hours: [] }, "hours", /add opening hours before turning pickup on/],
    ["closing before opening", { hours: [{ weekday: 1, opens: "11:00", closes: "07:00" }] }, "hours.0.closes", /closing time 07:00 must be after opening time 11:00/],
    ["malformed time", { hours: [{ weekday: 1, opens: "7am", closes: "11:00" }] }, "hours.0.opens", /opening time must be a time like 07:30 \(got "7am"\)/],
    ["weekday 0", { hours: [{ weekday: 0, opens: "07:00", closes: "11:00" }] }, "hours.0.weekday", /1 \(Monday\) to 7 \(Sunday\)/],
    ["overlapping intervals", { hours: [{ weekday: 3, opens: "07:00", closes: "11:00" }, { weekday: 3, opens: "10:00", closes: "12:00" }] }, "hours.1.opens", /Wednesday's opening intervals overlap/],
    ["enabled not a boolean", { enabled: "yes" }, "enabled", /true or false/],
  ])("refuses %s, naming the field", (_name, change, field, message) => {
    const parsed = parsePickupSettings({ ...valid, ...change });
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.errors[field]).toMatch(message);
  });

  it("reads the admin form, mapping hour problems back to their weekday", () => {
    const form = new Map<string, string>([
      ["enabled", "on"],
      ["hours.1", "07:00-11:00, 12:00–15:00"],
      ["hours.6", "08:00 - 12:00"],
      ["slotMinutes", "10"],
      ["capacityOrders", "6"],
      ["capacityItems", ""],
      ["leadMinutes", "5"],
      ["cutoffMinutes", "15"],
      ["holdMinutes", "8"],
    ]);
    const parsed = settingsFromForm(form);
    expect(parsed).toEqual({
      ok: true,
      value: {
        enabled: true,
        hours: [
          { weekday: 1, opens: "07:00", closes: "11:00" },
          { weekday: 1, opens: "12:00", closes: "15:00" },
          { weekday: 6, opens: "08:00", closes: "12:00" },
        ],
        slotMinutes: 10,
        capacityOrders: 6,
        capacityItems: null,
        leadMinutes: 5,
        cutoffMinutes: 15,
        holdMinutes: 8,
      },
    });
    const bad = settingsFromForm(new Map([...form, ["hours.3", "morning"], ["hours.6", "12:00-08:00"], ["slotMinutes", "ten"]]));
    expect(bad).toEqual({
      ok: false,
      errors: {
        "hours.3": 'write hours like 07:00-11:00, 12:00-15:00 (got "morning")',
        "hours.6": "closing time 08:00 must be after opening time 12:00",
        slotMinutes: "slot length must be a whole number",
      },
    });
    expect(parseDayHours(2, "  ")).toEqual({ ok: true, value: [] });
  });
});

describe("a week's hours on one line", () => {
  it("reads day ranges and lists, split hours and closed days", () => {
    const parsed = parseWeekHours("mon-wed, fri 07:00-11:00, 12:00-15:00; sat 08:00-12:00; sun closed");
    expect(parsed.ok && weekHoursText(parsed.value)).toBe(
      "Mon 07:00-11:00, 12:00-15:00; Tue 07:00-11:00, 12:00-15:00; Wed 07:00-11:00, 12:00-15:00; Thu closed; Fri 07:00-11:00, 12:00-15:00; Sat 08:00-12:00; Sun closed",
    );
  });

  it.each([
    ["weekdays 07:00-15:00", /unknown day in "weekdays"|write hours like/],
    ["fri-mon 07:00-15:00", /runs backwards/],
    ["mon 07:00-15:00; mon 16:00-17:00", /Monday is given twice/],
    ["mon", /write hours like "mon-fri/],
    ["tue 7am-3pm", /write hours like 07:00-11:00/],
  ])("refuses %s", (text, message) => {
    const parsed = parseWeekHours(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });
});

describe("pickup cart lines", () => {
  it("merges repeated variants and accepts global ids", () => {
    expect(parseCartLines([{ variantId: "1", quantity: 2 }, { variantId: "gid://shopify/ProductVariant/1", quantity: 1 }, { variantId: "2", quantity: 1 }])).toEqual({
      ok: true,
      lines: [
        { variantId: "1", quantity: 3 },
        { variantId: "2", quantity: 1 },
      ],
    });
  });

  it.each([
    ["not a list", "latte", "cart-empty", "items"],
    ["an empty list", [], "cart-empty", "items"],
    ["a line that is not an object", [3], "item-not-on-menu", "items.0"],
    ["too many lines", Array.from({ length: 21 }, (_, i) => ({ variantId: String(i + 1), quantity: 1 })), "cart-too-large", "items"],
    ["too many items", Array.from({ length: 3 }, (_, i) => ({ variantId: String(i + 1), quantity: 20 })), "cart-too-large", "items"],
    ["a merged line over the limit", [{ variantId: "1", quantity: 15 }, { variantId: "1", quantity: 6 }], "quantity-invalid", "items.1.quantity"],
    ["NaN", [{ variantId: "1", quantity: Number.NaN }], "quantity-invalid", "items.0.quantity"],
  ])("refuses %s", (_name, input, code, field) => {
    expect(parseCartLines(input)).toMatchObject({ ok: false, code, field });
  });
});
