import { formatBytes } from "./limits";

export interface ProgressView {
  phase: "validating" | "importing" | "done";
  bytesDone: number;
  bytesTotal: number;
  rows: number;
}

/**
 * One line of a terminal progress bar, e.g.
 * `checking  [##########··········]  50%  10.0 MB of 20.0 MB  125,000 rows`.
 * Reading the file is the long part; writing is one transaction at the end.
 */
export function renderProgressBar(progress: ProgressView, width = 24): string {
  const fraction = progress.bytesTotal > 0 ? Math.min(1, progress.bytesDone / progress.bytesTotal) : 1;
  const filled = Math.round(fraction * width);
  const bar = `[${"#".repeat(filled)}${"·".repeat(width - filled)}]`;
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
  const label = { validating: "checking", importing: "writing ", done: "done    " }[progress.phase];
  const size = `${formatBytes(progress.bytesDone)} of ${formatBytes(progress.bytesTotal)}`;
  return `${label}  ${bar} ${percent}  ${size}  ${progress.rows.toLocaleString("en-US")} rows`;
}
