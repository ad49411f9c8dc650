import type { Readable } from "node:stream";
import { parse, type CsvError, type Parser } from "csv-parse";
import type { CsvRecord } from "./file-validator";

/** The text stopped being CSV at a line (an unclosed quote, a runaway field). */
export class MalformedCsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = "MalformedCsvError";
  }
}

export interface ReadProgress {
  /** Bytes of the file parsed so far. */
  bytesRead: number;
}

/** Longest record accepted: far above any real order row, low enough that a stray quote cannot eat the memory. */
const MAX_RECORD_BYTES = 256 * 1024;

/**
 * Streams CSV records from a byte stream with the line each one starts on,
 * holding one record at a time. Comma-separated, double-quoted values may
 * contain commas and line breaks; a byte-order mark is ignored.
 */
export async function* readCsvRecords(input: Readable, progress?: ReadProgress): AsyncGenerator<CsvRecord> {
  // csv-parse fails a stream by destroying it, which drops the records it had
  // already parsed; reported through on_skip instead, the error is raised here
  // after exactly the records that came before it.
  let failure: { error: CsvError; recordsBefore: number } | undefined;
  const parser: Parser = parse({
    bom: true,
    info: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
    skip_records_with_error: true,
    on_skip: (error) => {
      if (error && !failure) failure = { error, recordsBefore: parser.info.records };
      return undefined;
    },
  });
  input.once("error", (error) => parser.destroy(error));
  input.pipe(parser);
  let yielded = 0;
  let lastLine = 0;
  const raiseIfFailedHere = () => {
    if (failure && failure.recordsBefore <= yielded) throw malformed(failure.error, lastLine);
  };
  try {
    for await (const chunk of parser) {
      raiseIfFailedHere();
      const { record, info } = recordOf(chunk);
      if (progress) progress.bytesRead = info.bytes;
      // `lines` is where the record ends; a quoted value can span lines.
      const breaks = record.reduce((sum, field) => sum + countLineBreaks(field), 0);
      lastLine = info.lines;
      yield { line: info.lines - breaks, fields: record };
      yielded += 1;
    }
    raiseIfFailedHere();
  } finally {
    input.unpipe(parser);
    parser.destroy();
  }
}

function malformed(error: CsvError, lastGoodLine: number): MalformedCsvError {
  // An unclosed quote is only noticed at the end of the file; it opened after the last good record.
  const line = error.code === "CSV_QUOTE_NOT_CLOSED" || typeof error.lines !== "number" ? lastGoodLine + 1 : error.lines;
  return new MalformedCsvError(line, describe(error));
}

function recordOf(chunk: unknown): { record: string[]; info: { lines: number; bytes: number } } {
  // csv-parse with `info: true` emits { record, info }; checked rather than cast.
  if (typeof chunk === "object" && chunk !== null && "record" in chunk && "info" in chunk) {
    const { record, info } = chunk;
    if (
      Array.isArray(record) &&
      record.every((field) => typeof field === "string") &&
      typeof info === "object" &&
      info !== null &&
      "lines" in info &&
      typeof info.lines === "number" &&
      "bytes" in info &&
      typeof info.bytes === "number"
    ) {
      return { record, info: { lines: info.lines, bytes: info.bytes } };
    }
  }
  throw new Error("csv-parse emitted an unexpected record shape");
}

function countLineBreaks(text: string): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) count += 1;
  return count;
}

function describe(error: CsvError): string {
  switch (error.code) {
    case "CSV_QUOTE_NOT_CLOSED":
      return "a double quote that opens on this line (or in a value right after it) is never closed, so the rest of the file cannot be read";
    case "CSV_MAX_RECORD_SIZE":
      return "a row here is longer than 256 KB (probably an unclosed double quote)";
    default:
      return `the file is not valid CSV here: ${error.message}`;
  }
}
