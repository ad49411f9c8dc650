import { describe, expect, it } from "vitest";
import { isRegular, nextNthUnitKey, nthVisitStatus, untastedVariants } from "../../app/perks/earning";
import { parseProgramForm, parseVariantList, variantIdOf } from "../../app/perks/program-input";
import { gapPhrase, patternPhrase, rhythmSentence } from "../../app/members/rhythm";

describe("every n-th visit: earned = ⌊visits / n⌋ − redeemed", () => {
  it.each([
    // visits, every, redeemed → earned, ready, visitsToNext
    [0, 8, 0, 0, 0, 8],
    [7, 8, 0, 0, 0, 1],
    [8, 8, 0, 1, 1, 8],
    [8, 8, 1, 1, 0, 8],
    [15, 8, 0, 1, 1, 1],
    [16, 8, 0, 2, 2, 8],
    [16, 8, 1, 2, 1, 8],
    [17, 8, 2, 2, 0, 7],
    [25, 5, 3, 5, 2, 5],
    // The owner raised the threshold after perks were given: nothing is ready, never a negative count.
    [10, 10, 3, 1, 0, 10],
  ])("%i visits, every %i, %i redeemed → earned %i, ready %i, %i to next", (visits, every, redeemed, earned, ready, toNext) => {
    expect(nthVisitStatus(visits, every, redeemed)).toEqual({ earned, ready, visitsToNext: toNext });
  });

  it.each([
    [5, 0, 0],
    [5, 1.5, 0],
    [-1, 8, 0],
    [5, 8, -1],
    [2.5, 8, 0],
  ])("refuses visits %s / every %s / redeemed %s", (visits, every, redeemed) => {
    expect(() => nthVisitStatus(visits, every, redeemed)).toThrow(RangeError);
  });

  it("numbers a member's perks 1, 2, … so two registers contend for the same unit", () => {
    expect([0, 1, 9].map(nextNthUnitKey)).toEqual(["1", "2", "10"]);
  });
});

describe("new item tasting", () => {
  it("leaves the program's variants not yet tasted, in order, once each", () => {
    expect(untastedVariants(["40001", "40002", "40003", "40002"], ["40002", "99999"])).toEqual(["40001", "40003"]);
    expect(untastedVariants(["40001"], ["40001"])).toEqual([]);
  });

  it.each([
    [null, false, 2, false],
    [null, false, 3, true],
    [null, true, 0, false],
    ["seg-regulars", true, 0, true],
    ["seg-regulars", false, 50, false],
  ])("segment %s, in segment %s, %i visits → regular %s", (segment, inSegment, visits, regular) => {
    expect(isRegular(segment, inSegment, visits)).toBe(regular);
  });
});

describe("perk program form", () => {
  const nth = { kind: "every_nth_visit", name: " Eighth visit ", reward: "a drink on us", everyVisits: "8", variantIds: "", startsOn: "2026-03-02" };

  it("reads a visit program, trimming text", () => {
    expect(parseProgramForm(nth)).toEqual({
      ok: true,
      value: { kind: "every_nth_visit", name: "Eighth visit", reward: "a drink on us", everyVisits: 8, variantIds: [], segmentId: null, startsOn: "2026-03-02", active: true },
    });
  });

  it("reads a tasting with variant ids in any separator and gid form, de-duplicated", () => {
    const parsed = parseProgramForm({ kind: "new_item_tasting", name: "Taste the new", reward: "a tasting cup", variantIds: "40001, gid://shopify/ProductVariant/40002\n40001", segmentId: "seg-1", startsOn: "2026-03-02", active: "off" });
    expect(parsed.ok && parsed.value).toMatchObject({ variantIds: ["40001", "40002"], segmentId: "seg-1", everyVisits: null, active: false });
  });

  it.each([
    [{ ...nth, kind: "points" }, "kind", /one of every_nth_visit, new_item_tasting/],
    [{ ...nth, name: "  " }, "name", /name is required/],
    [{ ...nth, reward: "x".repeat(121) }, "reward", /at most 120/],
    [{ ...nth, everyVisits: "1" }, "everyVisits", /from 2 to 100/],
    [{ ...nth, everyVisits: "eight" }, "everyVisits", /from 2 to 100 \(got "eight"\)/],
    [{ ...nth, everyVisits: "" }, "everyVisits", /from 2 to 100/],
    [{ ...nth, startsOn: "2026-02-30" }, "startsOn", /date like 2026-03-02/],
    [{ ...nth, variantIds: "40001, latte" }, "variantIds", /not a variant id: "latte"/],
    [{ ...nth, kind: "new_item_tasting", variantIds: "" }, "variantIds", /at least one new item/],
    [{ ...nth, active: "maybe" }, "active", /"on" or "off"/],
  ])("names the field at fault: %j → %s", (form, field, message) => {
    const parsed = parseProgramForm(form);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors[field as keyof typeof parsed.errors]).toMatch(message);
  });

  it("reports every wrong field at once", () => {
    const parsed = parseProgramForm({ kind: "every_nth_visit", name: "", reward: "", everyVisits: "0", startsOn: "" });
    expect(parsed.ok ? [] : Object.keys(parsed.errors).sort()).toEqual(["everyVisits", "name", "reward", "startsOn"]);
  });

  it("accepts variant ids as numbers or gids only", () => {
    expect(["40001", " gid://shopify/ProductVariant/7 ", "0", "abc", "gid://shopify/Product/7"].map(variantIdOf)).toEqual(["40001", "7", null, null, null]);
    expect(parseVariantList(Array.from({ length: 51 }, (_, i) => String(i + 1)).join(","))).toEqual({ ok: false, message: "at most 50 variants per program (got 51)" });
  });
});

describe("rhythm sentence", () => {
  it.each([
    [{ visitCount: 12, pattern: "weekday-morning", usualGapDays: 9.3, gapMedianDays: 8 }, "weekday mornings, every 9 days"],
    [{ visitCount: 12, pattern: "weekend-lunch", usualGapDays: null, gapMedianDays: 7 }, "weekend lunches, every week"],
    [{ visitCount: 5, pattern: "mixed", usualGapDays: 1.2, gapMedianDays: 1 }, "every day"],
    [{ visitCount: 5, pattern: "weekday-afternoon", usualGapDays: null, gapMedianDays: null }, "weekday afternoons"],
    [{ visitCount: 5, pattern: "mixed", usualGapDays: null, gapMedianDays: null }, "no clear rhythm yet"],
    [{ visitCount: 2, pattern: "weekday-morning", usualGapDays: 9, gapMedianDays: 9 }, "no clear rhythm yet"],
    [null, "no clear rhythm yet"],
  ])("%j → %s", (feature, sentence) => {
    expect(rhythmSentence(feature)).toBe(sentence);
  });

  it("words patterns and gaps", () => {
    expect([patternPhrase("weekday-morning"), patternPhrase("mixed"), patternPhrase(null), patternPhrase("weekend-early-bird")]).toEqual(["weekday mornings", null, null, "weekend early birds"]);
    expect([gapPhrase(0), gapPhrase(0.6), gapPhrase(13.5), gapPhrase(Number.NaN)]).toEqual([null, "every day", "every 14 days", null]);
  });
});
