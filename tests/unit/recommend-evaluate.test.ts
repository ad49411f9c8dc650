import { describe, expect, it } from "vitest";
import { popularBaseline, precisionAtK, scoreHoldout } from "../../app/recommend/evaluate";

describe("precision@k", () => {
  it.each([
    [["B", "C", "D"], ["B", "D"], 3, 2 / 3],
    [["B"], ["B"], 3, 1 / 3],
    [[], ["B"], 3, 0],
    [["B", "C", "D"], ["D"], 1, 0],
    [["B", "C", "D"], ["B"], 1, 1],
  ])("%j against %j at k=%i is %d", (recommended, ordered, k, expected) => {
    expect(precisionAtK(recommended, new Set(ordered), k)).toBe(expected);
  });

  it("refuses a k below 1", () => {
    expect(() => precisionAtK(["B"], new Set(), 0)).toThrow(/at least 1/);
  });
});

describe("the most-popular baseline", () => {
  it("leaves out the member's usual order, as the suggestions do", () => {
    expect(popularBaseline(["A", "B", "C", "D", "E"], new Set(["A", "C"]), 3)).toEqual(["B", "D", "E"]);
  });

  it("scores members with a held-out visit and a suggestion only", () => {
    const score = scoreHoldout(
      [
        { suggestions: ["P", "Q", "R"], usual: new Set(["A"]), heldOut: new Set(["A", "P"]) },
        { suggestions: ["P", "Q", "R"], usual: new Set(["B"]), heldOut: new Set(["A", "C"]) },
        { suggestions: [], usual: new Set(), heldOut: new Set(["A"]) },
        { suggestions: ["P"], usual: new Set(), heldOut: new Set() },
      ],
      ["A", "B", "C", "P"],
      3,
    );
    // Personal: 1/3 and 0. Baseline: [B, C, P] → P: 1/3; [A, C, P] → A, C: 2/3.
    expect(score).toEqual({ members: 2, precisionAtK: 1 / 6, baselinePrecisionAtK: 1 / 2 });
  });
});
