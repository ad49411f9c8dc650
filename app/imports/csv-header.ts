import type { RowError } from "./types";

/**
 * The header line: names the columns, in any order, case and surrounding
 * spaces ignored. A column the importer does not know is an error rather than
 * ignored: a misspelt optional column ("chanel") would otherwise silently turn
 * every web order into a POS order.
 */
export const IMPORT_COLUMNS = [
  "order_id",
  "customer_id",
  "ordered_at",
  "total",
  "currency",
  "location",
  "channel",
  "email",
  "items",
] as const;
export type ImportColumn = (typeof IMPORT_COLUMNS)[number];

/** Columns every file has; `customer_id` may be empty on a row (a guest order), but the column is there. */
export const REQUIRED_COLUMNS: readonly ImportColumn[] = ["customer_id", "ordered_at", "total"];

export interface ImportHeader {
  /** Where each present column is in a row. */
  positions: Partial<Record<ImportColumn, number>>;
  width: number;
}

export type HeaderResult = { ok: true; header: ImportHeader } | { ok: false; errors: RowError[] };

function isImportColumn(name: string): name is ImportColumn {
  return (IMPORT_COLUMNS as readonly string[]).includes(name);
}

export function parseHeader(fields: string[], line: number): HeaderResult {
  const errors: RowError[] = [];
  const positions: Partial<Record<ImportColumn, number>> = {};
  const known = IMPORT_COLUMNS.join(", ");
  for (const [index, raw] of fields.entries()) {
    const name = raw.trim().toLowerCase();
    if (name === "") {
      errors.push({ line, column: null, message: `column ${index + 1} has no name in the header; known columns: ${known}` });
    } else if (!isImportColumn(name)) {
      const hint = name.includes(";") ? " (the file seems to use ; between columns: save it with commas)" : "";
      errors.push({ line, column: raw.trim(), message: `unknown column "${raw.trim()}"${hint}; known columns: ${known}` });
    } else if (positions[name] !== undefined) {
      errors.push({ line, column: name, message: `column ${name} appears twice in the header` });
    } else {
      positions[name] = index;
    }
  }
  for (const column of REQUIRED_COLUMNS) {
    if (positions[column] === undefined) errors.push({ line, column, message: `the header has no ${column} column (required)` });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, header: { positions, width: fields.length } };
}
