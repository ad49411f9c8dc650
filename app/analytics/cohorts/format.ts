import type { RetentionMatrix } from "./matrix";
import type { CohortReport, CohortRow } from "./report.server";

/**
 * The cohort report as text for a terminal: the return table, then the
 * findings as sentences (or why there are none), then the retention matrix.
 */

/** Periods of the retention matrix shown as columns; the JSON output has them all. */
export const MATRIX_COLUMNS = 12;

export function formatCohortReport(report: CohortReport): string {
  if (report.status === "no-visits") return report.message;
  const days = report.returnDays;
  const kind = report.by === "pattern" ? "visit pattern" : report.by === "acquisition-week" ? "week of first visit" : "month of first visit";
  const lines = [
    `${report.shop}: returns within ${days} days by ${kind}, visits up to ${report.until} (a visit not yet followed for ${days} days counts as censored, not lost)`,
    "",
    table(
      ["COHORT", "VISITS", `P(RETURN ≤ ${days}d)`, "95 % CI", "MEDIAN DAYS"],
      [...report.cohorts, report.everyone].map((row) => rowCells(row)),
      [false, true, true, false, true],
    ),
  ];
  if (report.unassignedVisits > 0) {
    lines.push("", `${count(report.unassignedVisits)} visit days belong to customers without member features yet and are in no cohort.`);
  }
  if (report.findings) {
    const supported = report.findings.filter((finding) => finding.supported);
    const unsupported = report.findings.filter((finding) => !finding.supported);
    lines.push("", "Findings:");
    if (report.silence) lines.push(`  ${report.silence}`);
    for (const finding of supported) lines.push(`  ${finding.rank}. ${finding.sentence}`);
    if (unsupported.length > 0) {
      lines.push("", "Not claimed:");
      for (const finding of unsupported) lines.push(`  - ${finding.sentence}`);
    }
  }
  if (report.matrix) lines.push("", ...formatMatrix(report.matrix));
  return lines.join("\n");
}

function rowCells(row: CohortRow): string[] {
  const at = row.returnWithin;
  return [
    row.name,
    count(row.visits),
    at ? at.p.toFixed(2) : "-",
    at ? `${at.low.toFixed(2)}–${at.high.toFixed(2)}` : "-",
    // Null when half the visits are not followed by a return within the curve's days (or the data is too short to tell).
    row.medianDays === null ? (row.visits > 0 ? "not reached" : "-") : String(row.medianDays),
  ];
}

export function formatMatrix(matrix: RetentionMatrix): string[] {
  const unit = matrix.period;
  const periods = Math.min(MATRIX_COLUMNS, Math.max(0, ...matrix.cohorts.map((row) => row.cells.length)));
  const header = ["COHORT", "MEMBERS", ...Array.from({ length: periods }, (_, period) => `${unit.toUpperCase()} ${period}`)];
  const rows = matrix.cohorts.map((row) => [
    unit === "month" ? row.cohort.slice(0, 7) : row.cohort,
    count(row.size),
    ...Array.from({ length: periods }, (_, period) => {
      const cell = row.cells[period];
      return cell ? `${Math.round(cell.share * 100)} %${cell.partial ? "*" : " "}` : "";
    }),
  ]);
  const lines = [
    `Retention: share of each ${unit}'s new members with a visit in each ${unit} since (${unit} 0 is the one they first came in)`,
    "",
    table(header, rows, header.map((_, column) => column > 0)),
    "",
    `* the data ends inside that ${unit}, so its share can still grow; ${unit}s after it have no cell.`,
  ];
  const longest = Math.max(0, ...matrix.cohorts.map((row) => row.cells.length));
  if (longest > periods) lines.push(`The first ${periods} of ${longest} ${unit}s are shown; --json has every ${unit}.`);
  return lines;
}

function table(header: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (rightAligned[column] ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function count(value: number): string {
  return value.toLocaleString("en-GB");
}
