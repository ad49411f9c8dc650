import { parseHeader, type ImportHeader } from "./csv-header";
import { isBlankRecord, parseRow } from "./csv-row";
import { OrderIdAssigner } from "./order-ids";
import type { RowError, ShopContext, StagedRow } from "./types";

/** A parsed CSV record and the line it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/** Errors kept in detail; a file with more reports the count and the first ones. */
export const MAX_REPORTED_ERRORS = 1_000;

export type Accepted = { kind: "header" | "blank" | "invalid" } | { kind: "row"; row: StagedRow };

/**
 * Reads a file record by record (the header first), validating each row and
 * giving it its order id. Holds only what a file-wide check needs (ids seen),
 * never the rows, so a file of any length streams through it.
 */
export class ImportFileValidator {
  private header: ImportHeader | null = null;
  private headerRejected = false;
  private readonly ids = new OrderIdAssigner();
  readonly errors: RowError[] = [];
  errorCount = 0;
  /** Data rows read (blank lines not counted). */
  rows = 0;

  constructor(private readonly shop: ShopContext) {}

  get valid(): boolean {
    return this.errorCount === 0;
  }

  /** False once the header is refused: the rows cannot be read without it. */
  get readable(): boolean {
    return !this.headerRejected;
  }

  accept(record: CsvRecord): Accepted {
    if (!this.header) {
      if (isBlankRecord(record.fields)) return { kind: "blank" };
      const parsed = parseHeader(record.fields, record.line);
      if (!parsed.ok) {
        this.headerRejected = true;
        this.report(parsed.errors);
        return { kind: "invalid" };
      }
      this.header = parsed.header;
      return { kind: "header" };
    }
    if (isBlankRecord(record.fields)) return { kind: "blank" };
    this.rows += 1;
    const parsed = parseRow(record.fields, this.header, record.line, this.shop);
    if (!parsed.ok) {
      this.report(parsed.errors);
      return { kind: "invalid" };
    }
    const id = this.ids.assign(parsed.row);
    if (!id.ok) {
      this.report([id.error]);
      return { kind: "invalid" };
    }
    return { kind: "row", row: { ...parsed.row, orderId: id.orderId } };
  }

  /** The file could not be read as CSV from this line on. */
  reportUnreadable(error: RowError): void {
    this.report([error]);
  }

  /** Ends the file: a file without a header line is itself an error. */
  finish(): void {
    if (!this.header && !this.headerRejected) {
      this.report([{ line: 1, column: null, message: "the file is empty: the first line must be the header (customer_id,ordered_at,total,…)" }]);
    }
  }

  private report(errors: RowError[]): void {
    this.errorCount += errors.length;
    for (const error of errors) {
      if (this.errors.length < MAX_REPORTED_ERRORS) {
        this.errors.push({ ...error, column: error.column === null ? null : storable(error.column), message: storable(error.message) });
      }
    }
  }
}

/** Longest message kept: enough for any value worth quoting, not a 256 KB runaway field a thousand times over. */
const MAX_MESSAGE_CHARS = 500;

/** A UTF-16 surrogate without its pair (a UTF-16 file with a cut character). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Messages quote the file, which may hold NUL characters or half a UTF-16
 * character: PostgreSQL's JSON cannot store those (the rejected run could not
 * be recorded), so NUL is shown escaped and a lone surrogate as U+FFFD; a huge
 * quoted value is cut short.
 */
function storable(text: string): string {
  const shown = text.replaceAll("\u0000", "\\0").replace(LONE_SURROGATE, "\uFFFD");
  return shown.length > MAX_MESSAGE_CHARS ? `${shown.slice(0, MAX_MESSAGE_CHARS - 1)}…` : shown;
}
