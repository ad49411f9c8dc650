/**
 * Splits a byte stream of JSON Lines into lines without ever holding more than
 * one network chunk and one partial line: a bulk file can be gigabytes.
 * Lines come in groups (one per chunk) so a file of millions of lines costs
 * thousands of awaits, not millions. Each line's size in bytes, newline
 * included, comes with it, so a reader can record exactly where it stopped.
 */
export interface JsonlChunk {
  lines: string[];
  /** Bytes of each line in `lines`, its newline included. */
  bytes: number[];
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export async function* jsonlChunks(source: AsyncIterable<Uint8Array>): AsyncGenerator<JsonlChunk> {
  let carry: Buffer | null = null;
  for await (const piece of source) {
    const buffer: Buffer = carry === null ? Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength) : Buffer.concat([carry, piece]);
    const lines: string[] = [];
    const bytes: number[] = [];
    let start = 0;
    for (let end = buffer.indexOf(NEWLINE, start); end !== -1; end = buffer.indexOf(NEWLINE, start)) {
      const textEnd = end > start && buffer[end - 1] === CARRIAGE_RETURN ? end - 1 : end;
      lines.push(buffer.toString("utf8", start, textEnd));
      bytes.push(end + 1 - start);
      start = end + 1;
    }
    // Copied, so the chunk it came from can be collected.
    carry = start < buffer.length ? Buffer.from(buffer.subarray(start)) : null;
    if (lines.length > 0) yield { lines, bytes };
  }
  if (carry !== null && carry.length > 0) {
    const textEnd = carry[carry.length - 1] === CARRIAGE_RETURN ? carry.length - 1 : carry.length;
    yield { lines: [carry.toString("utf8", 0, textEnd)], bytes: [carry.length] };
  }
}
