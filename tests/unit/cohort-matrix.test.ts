import { describe, expect, it } from "vitest";
import { buildRetentionMatrix, periodStart } from "../../app/analytics/cohorts/matrix";

describe("retention matrix", () => {
  it("gives each weekly cohort a cell per week up to the data's end: shares of the cohort, partial at the end, absent after", () => {
    const matrix = buildRetentionMatrix(
      {
        sizes: [
          { cohort: "2025-10-13", size: 4 },
          { cohort: "2025-10-06", size: 10 },
        ],
        active: [
          { cohort: "2025-10-06", period: 0, members: 10 },
          { cohort: "2025-10-06", period: 1, members: 6 },
          // Week 2 of the first cohort: nobody came (a zero, not a gap).
          { cohort: "2025-10-06", period: 3, members: 3 },
          { cohort: "2025-10-13", period: 0, members: 4 },
          { cohort: "2025-10-13", period: 2, members: 1 },
        ],
      },
      { period: "week", until: "2025-10-29" },
    );
    expect(matrix.period).toBe("week");
    expect(matrix.until).toBe("2025-10-29");
    expect(matrix.cohorts.map((row) => row.cohort)).toEqual(["2025-10-06", "2025-10-13"]);
    const [first, second] = matrix.cohorts;
    expect(first?.size).toBe(10);
    expect(first?.cells).toEqual([
      { period: 0, from: "2025-10-06", to: "2025-10-12", members: 10, share: 1, partial: false },
      { period: 1, from: "2025-10-13", to: "2025-10-19", members: 6, share: 0.6, partial: false },
      { period: 2, from: "2025-10-20", to: "2025-10-26", members: 0, share: 0, partial: false },
      { period: 3, from: "2025-10-27", to: "2025-11-02", members: 3, share: 0.3, partial: true },
    ]);
    // The week starting 2025-11-03 is after the data's end: no cell at all.
    expect(second?.cells.map((cell) => [cell.period, cell.share, cell.partial])).toEqual([
      [0, 1, false],
      [1, 0, false],
      [2, 0.25, true],
    ]);
  });

  it("counts calendar months across a year end, the last one partial", () => {
    const matrix = buildRetentionMatrix(
      { sizes: [{ cohort: "2024-11-01", size: 8 }], active: [{ cohort: "2024-11-01", period: 0, members: 8 }, { cohort: "2024-11-01", period: 3, members: 2 }] },
      { period: "month", until: "2025-02-14" },
    );
    expect(matrix.cohorts[0]?.cells.map((cell) => [cell.period, cell.from, cell.to, cell.share, cell.partial])).toEqual([
      [0, "2024-11-01", "2024-11-30", 1, false],
      [1, "2024-12-01", "2024-12-31", 0, false],
      [2, "2025-01-01", "2025-01-31", 0, false],
      [3, "2025-02-01", "2025-02-28", 0.25, true],
    ]);
  });

  it("a period ending exactly on the data's end is complete", () => {
    const matrix = buildRetentionMatrix({ sizes: [{ cohort: "2025-10-06", size: 1 }], active: [{ cohort: "2025-10-06", period: 0, members: 1 }] }, { period: "week", until: "2025-10-12" });
    expect(matrix.cohorts[0]?.cells).toEqual([{ period: 0, from: "2025-10-06", to: "2025-10-12", members: 1, share: 1, partial: false }]);
  });

  it("leaves out cohorts with no members and rejects a malformed date", () => {
    expect(buildRetentionMatrix({ sizes: [{ cohort: "2025-10-06", size: 0 }], active: [] }, { period: "week", until: "2025-10-12" }).cohorts).toEqual([]);
    expect(() => buildRetentionMatrix({ sizes: [], active: [] }, { period: "week", until: "2025-13-01" })).toThrow();
  });

  it("steps months from the first of the month, whatever their length", () => {
    expect(periodStart("2025-01-01", 1, "month")).toBe("2025-02-01");
    expect(periodStart("2024-12-01", 14, "month")).toBe("2026-02-01");
    expect(periodStart("2025-03-31", 0, "week")).toBe("2025-03-31");
    expect(periodStart("2025-03-24", 1, "week")).toBe("2025-03-31");
  });
});
