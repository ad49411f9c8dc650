/**
 * Limits shared by the admin page (checked before upload) and the server
 * (enforced). An upload is held in memory and then in the database until its
 * job runs, so it is capped; the CLI streams a file from disk and has no cap.
 * 20 MB holds about 250,000 order rows.
 */
export const UPLOAD_LIMIT_BYTES = 20 * 1024 * 1024;

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function uploadTooLargeMessage(bytes: number | null): string {
  const size = bytes === null ? "This file is larger than" : `This file is ${formatBytes(bytes)}, more than`;
  return (
    `${size} the ${formatBytes(UPLOAD_LIMIT_BYTES)} an upload can be. ` +
    "Split it into smaller files (each keeps its header line), or import it with `regulars import orders FILE.csv --shop DOMAIN`."
  );
}
