import type { BackfillRunView } from "./types";

/** How a run's progress reads in the CLI and the admin: pure text, no I/O. */

/** Lines written of the file's lines, once Shopify has said how many there are. */
export function fractionDone(run: BackfillRunView): number | null {
  if (run.status === "completed") return 1;
  if (run.objectCount === null || run.objectCount === 0) return null;
  return Math.min(1, run.linesDone / run.objectCount);
}

const count = (n: number) => n.toLocaleString("en-US");

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** "412,000 / 1,030,512 lines (40%)", or what the run is waiting for. */
export function describeProgress(run: BackfillRunView): string {
  switch (run.status) {
    case "requested":
      return "waiting to start the bulk operation";
    case "running":
      return "Shopify is preparing the file";
    case "downloading":
      return `file ready${run.objectCount === null ? "" : ` (${count(run.objectCount)} lines)`}`;
    case "importing":
    case "completed":
    case "failed": {
      const fraction = fractionDone(run);
      const total = run.objectCount === null ? "" : ` / ${count(run.objectCount)}`;
      const percent = fraction === null ? "" : ` (${Math.floor(fraction * 100)}%)`;
      return `${count(run.linesDone)}${total} lines${percent}, ${formatBytes(run.bytesDone)}`;
    }
  }
}

/** A one-line bar for a terminal: `orders    [#########---------] 45% 1,234 / 2,700 lines`. */
export function progressBar(run: BackfillRunView, width = 30): string {
  const fraction = fractionDone(run);
  const filled = Math.round((fraction ?? 0) * width);
  const bar = fraction === null ? "-".repeat(width) : `${"#".repeat(filled)}${"-".repeat(width - filled)}`;
  return `${run.resource.padEnd(9)} [${bar}] ${run.status.padEnd(11)} ${describeProgress(run)}`;
}

/** The runs as a fixed-width table, newest first as given. */
export function formatRunsTable(runs: readonly BackfillRunView[]): string {
  if (runs.length === 0) return "No backfill runs yet.";
  const header = ["RESOURCE", "STATUS", "PROGRESS", "STARTED", "FINISHED", "RUN", "ERROR"];
  const rows = runs.map((run) => [
    run.resource,
    run.status,
    describeProgress(run),
    run.startedAt.toISOString().replace(/\.\d+Z$/, "Z"),
    run.finishedAt ? run.finishedAt.toISOString().replace(/\.\d+Z$/, "Z") : "-",
    run.id,
    run.error ?? "",
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
