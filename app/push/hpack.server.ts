/**
 * HPACK (RFC 7541), the header compression of HTTP/2, for the push client's
 * HTTP/2 connections: a request's header block out, an answer's header
 * blocks in.
 *
 * Requests are encoded without the dynamic table: every field a
 * literal "without indexing", its name a static-table index where Appendix A
 * has it, no Huffman coding. Indexing would save a few hundred bytes on a
 * repeated Authorization, but it is state that must stay in step with the
 * service's decoder; a push request is small next to its encrypted body, and
 * the encoder stays one allocation and one pass per request.
 *
 * Answers are decoded in full, because a service's encoder may use any
 * representation: the dynamic table is kept per connection (`HpackDecoder`),
 * and Huffman-coded strings are decoded four bits at a time through a state
 * table built once at module load from the code of Appendix B. Anything that
 * does not decode is an `HpackError`, which HTTP/2 makes a connection error
 * (COMPRESSION_ERROR, RFC 9113 §4.3): the table is then out of step with the
 * service's and the connection cannot be used further.
 */

/** A header block that does not decode (RFC 7541); for HTTP/2 a connection error of type COMPRESSION_ERROR. */
export class HpackError extends Error {
  readonly code = "EPUSHHPACK";
  constructor(message: string) {
    super(message);
    this.name = "HpackError";
  }
}

/** The static table (RFC 7541 Appendix A); index 1 is the first entry. */
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [":authority", ""], [":method", "GET"], [":method", "POST"], [":path", "/"], [":path", "/index.html"], [":scheme", "http"], [":scheme", "https"],
  [":status", "200"], [":status", "204"], [":status", "206"], [":status", "304"], [":status", "400"], [":status", "404"], [":status", "500"],
  ["accept-charset", ""], ["accept-encoding", "gzip, deflate"], ["accept-language", ""], ["accept-ranges", ""], ["accept", ""],
  ["access-control-allow-origin", ""], ["age", ""], ["allow", ""], ["authorization", ""], ["cache-control", ""], ["content-disposition", ""],
  ["content-encoding", ""], ["content-language", ""], ["content-length", ""], ["content-location", ""], ["content-range", ""], ["content-type", ""],
  ["cookie", ""], ["date", ""], ["etag", ""], ["expect", ""], ["expires", ""], ["from", ""], ["host", ""], ["if-match", ""], ["if-modified-since", ""],
  ["if-none-match", ""], ["if-range", ""], ["if-unmodified-since", ""], ["last-modified", ""], ["link", ""], ["location", ""], ["max-forwards", ""],
  ["proxy-authenticate", ""], ["proxy-authorization", ""], ["range", ""], ["referer", ""], ["refresh", ""], ["retry-after", ""], ["server", ""],
  ["set-cookie", ""], ["strict-transport-security", ""], ["transfer-encoding", ""], ["user-agent", ""], ["vary", ""], ["via", ""], ["www-authenticate", ""],
];

/**
 * The Huffman code (RFC 7541 Appendix B), one entry per symbol (the octets
 * 0–255, then EOS as 256): the code, aligned to the least significant bit,
 * and its length in bits. The tests check it is the canonical, complete,
 * prefix-free code the RFC prints, with EOS thirty ones.
 */
export const HUFFMAN_CODE: ReadonlyArray<readonly [code: number, bits: number]> = [
  [0x1ff8, 13], [0x7fffd8, 23], [0xfffffe2, 28], [0xfffffe3, 28], [0xfffffe4, 28], [0xfffffe5, 28], [0xfffffe6, 28], [0xfffffe7, 28],
  [0xfffffe8, 28], [0xffffea, 24], [0x3ffffffc, 30], [0xfffffe9, 28], [0xfffffea, 28], [0x3ffffffd, 30], [0xfffffeb, 28], [0xfffffec, 28],
  [0xfffffed, 28], [0xfffffee, 28], [0xfffffef, 28], [0xffffff0, 28], [0xffffff1, 28], [0xffffff2, 28], [0x3ffffffe, 30], [0xffffff3, 28],
  [0xffffff4, 28], [0xffffff5, 28], [0xffffff6, 28], [0xffffff7, 28], [0xffffff8, 28], [0xffffff9, 28], [0xffffffa, 28], [0xffffffb, 28],
  [0x14, 6], [0x3f8, 10], [0x3f9, 10], [0xffa, 12], [0x1ff9, 13], [0x15, 6], [0xf8, 8], [0x7fa, 11],
  [0x3fa, 10], [0x3fb, 10], [0xf9, 8], [0x7fb, 11], [0xfa, 8], [0x16, 6], [0x17, 6], [0x18, 6],
  [0x0, 5], [0x1, 5], [0x2, 5], [0x19, 6], [0x1a, 6], [0x1b, 6], [0x1c, 6], [0x1d, 6],
  [0x1e, 6], [0x1f, 6], [0x5c, 7], [0xfb, 8], [0x7ffc, 15], [0x20, 6], [0xffb, 12], [0x3fc, 10],
  [0x1ffa, 13], [0x21, 6], [0x5d, 7], [0x5e, 7], [0x5f, 7], [0x60, 7], [0x61, 7], [0x62, 7],
  [0x63, 7], [0x64, 7], [0x65, 7], [0x66, 7], [0x67, 7], [0x68, 7], [0x69, 7], [0x6a, 7],
  [0x6b, 7], [0x6c, 7], [0x6d, 7], [0x6e, 7], [0x6f, 7], [0x70, 7], [0x71, 7], [0x72, 7],
  [0xfc, 8], [0x73, 7], [0xfd, 8], [0x1ffb, 13], [0x7fff0, 19], [0x1ffc, 13], [0x3ffc, 14], [0x22, 6],
  [0x7ffd, 15], [0x3, 5], [0x23, 6], [0x4, 5], [0x24, 6], [0x5, 5], [0x25, 6], [0x26, 6],
  [0x27, 6], [0x6, 5], [0x74, 7], [0x75, 7], [0x28, 6], [0x29, 6], [0x2a, 6], [0x7, 5],
  [0x2b, 6], [0x76, 7], [0x2c, 6], [0x8, 5], [0x9, 5], [0x2d, 6], [0x77, 7], [0x78, 7],
  [0x79, 7], [0x7a, 7], [0x7b, 7], [0x7ffe, 15], [0x7fc, 11], [0x3ffd, 14], [0x1ffd, 13], [0xffffffc, 28],
  [0xfffe6, 20], [0x3fffd2, 22], [0xfffe7, 20], [0xfffe8, 20], [0x3fffd3, 22], [0x3fffd4, 22], [0x3fffd5, 22], [0x7fffd9, 23],
  [0x3fffd6, 22], [0x7fffda, 23], [0x7fffdb, 23], [0x7fffdc, 23], [0x7fffdd, 23], [0x7fffde, 23], [0xffffeb, 24], [0x7fffdf, 23],
  [0xffffec, 24], [0xffffed, 24], [0x3fffd7, 22], [0x7fffe0, 23], [0xffffee, 24], [0x7fffe1, 23], [0x7fffe2, 23], [0x7fffe3, 23],
  [0x7fffe4, 23], [0x1fffdc, 21], [0x3fffd8, 22], [0x7fffe5, 23], [0x3fffd9, 22], [0x7fffe6, 23], [0x7fffe7, 23], [0xffffef, 24],
  [0x3fffda, 22], [0x1fffdd, 21], [0xfffe9, 20], [0x3fffdb, 22], [0x3fffdc, 22], [0x7fffe8, 23], [0x7fffe9, 23], [0x1fffde, 21],
  [0x7fffea, 23], [0x3fffdd, 22], [0x3fffde, 22], [0xfffff0, 24], [0x1fffdf, 21], [0x3fffdf, 22], [0x7fffeb, 23], [0x7fffec, 23],
  [0x1fffe0, 21], [0x1fffe1, 21], [0x3fffe0, 22], [0x1fffe2, 21], [0x7fffed, 23], [0x3fffe1, 22], [0x7fffee, 23], [0x7fffef, 23],
  [0xfffea, 20], [0x3fffe2, 22], [0x3fffe3, 22], [0x3fffe4, 22], [0x7ffff0, 23], [0x3fffe5, 22], [0x3fffe6, 22], [0x7ffff1, 23],
  [0x3ffffe0, 26], [0x3ffffe1, 26], [0xfffeb, 20], [0x7fff1, 19], [0x3fffe7, 22], [0x7ffff2, 23], [0x3fffe8, 22], [0x1ffffec, 25],
  [0x3ffffe2, 26], [0x3ffffe3, 26], [0x3ffffe4, 26], [0x7ffffde, 27], [0x7ffffdf, 27], [0x3ffffe5, 26], [0xfffff1, 24], [0x1ffffed, 25],
  [0x7fff2, 19], [0x1fffe3, 21], [0x3ffffe6, 26], [0x7ffffe0, 27], [0x7ffffe1, 27], [0x3ffffe7, 26], [0x7ffffe2, 27], [0xfffff2, 24],
  [0x1fffe4, 21], [0x1fffe5, 21], [0x3ffffe8, 26], [0x3ffffe9, 26], [0xffffffd, 28], [0x7ffffe3, 27], [0x7ffffe4, 27], [0x7ffffe5, 27],
  [0xfffec, 20], [0xfffff3, 24], [0xfffed, 20], [0x1fffe6, 21], [0x3fffe9, 22], [0x1fffe7, 21], [0x1fffe8, 21], [0x7ffff3, 23],
  [0x3fffea, 22], [0x3fffeb, 22], [0x1ffffee, 25], [0x1ffffef, 25], [0xfffff4, 24], [0xfffff5, 24], [0x3ffffea, 26], [0x7ffff4, 23],
  [0x3ffffeb, 26], [0x7ffffe6, 27], [0x3ffffec, 26], [0x3ffffed, 26], [0x7ffffe7, 27], [0x7ffffe8, 27], [0x7ffffe9, 27], [0x7ffffea, 27],
  [0x7ffffeb, 27], [0xffffffe, 28], [0x7ffffec, 27], [0x7ffffed, 27], [0x7ffffee, 27], [0x7ffffef, 27], [0x7fffff0, 27], [0x3ffffee, 26],
  [0x3fffffff, 30],
];

const EOS = 256;
/** Integers above this are refused (RFC 7541 §5.1 leaves the limit to the implementation). */
const MAX_INTEGER = 2 ** 31 - 1;
/** Each dynamic table entry costs its name and value in octets plus this (RFC 7541 §4.1). */
const ENTRY_OVERHEAD = 32;

/*
 * The Huffman decoder's state table: a state is an inner node of the code's
 * tree (256 of them, the root 0), and the entry for (state, next four bits)
 * says which node those bits lead to, the symbol completed on the way if any
 * (at most one: no code is shorter than five bits), and whether the string
 * may end there. It may end at the root or after up to seven ones, a prefix
 * of EOS (RFC 7541 §5.2); reaching EOS itself is an error.
 */
const HUFFMAN_NEXT = 0xff;
const HUFFMAN_SYMBOL_SHIFT = 8;
const HUFFMAN_EMIT = 1 << 16;
const HUFFMAN_FAIL = 1 << 17;
const HUFFMAN_ACCEPT = 1 << 18;
const HUFFMAN_STATES = buildHuffmanStates();

function buildHuffmanStates(): Uint32Array {
  // The tree: children of inner node n at 2n (bit 0) and 2n+1 (bit 1); a child is an inner node's number, or -1 - symbol for a leaf, or 0 while unset.
  const children: number[] = [0, 0];
  // How many ones lead from the root to each inner node, or -1 when a zero does.
  const ones: number[] = [0];
  HUFFMAN_CODE.forEach(([code, bits], symbol) => {
    let node = 0;
    for (let bit = bits - 1; bit > 0; bit -= 1) {
      const one = (code >>> bit) & 1;
      const branch = 2 * node + one;
      let next = children[branch] ?? 0;
      if (next === 0) {
        next = ones.length;
        const run = ones[node] ?? -1;
        ones.push(one === 1 && run >= 0 ? run + 1 : -1);
        children.push(0, 0);
        children[branch] = next;
      }
      node = next;
    }
    children[2 * node + (code & 1)] = -1 - symbol;
  });
  const accepts = (node: number) => {
    const run = ones[node] ?? -1;
    return run >= 0 && run <= 7;
  };
  const states = new Uint32Array(ones.length * 16);
  for (let state = 0; state < ones.length; state += 1) {
    for (let nibble = 0; nibble < 16; nibble += 1) {
      let node = state;
      let entry = 0;
      for (let bit = 3; bit >= 0 && entry !== HUFFMAN_FAIL; bit -= 1) {
        const child = children[2 * node + ((nibble >>> bit) & 1)] ?? 0;
        if (child > 0) node = child;
        else if (-1 - child === EOS) entry = HUFFMAN_FAIL;
        else {
          entry = HUFFMAN_EMIT | ((-1 - child) << HUFFMAN_SYMBOL_SHIFT);
          node = 0;
        }
      }
      states[state * 16 + nibble] = entry === HUFFMAN_FAIL ? entry : entry | node | (accepts(node) ? HUFFMAN_ACCEPT : 0);
    }
  }
  return states;
}

/** Decoded octets of Huffman strings, reused: a string is at most 8/5 of its coded length. */
let huffmanScratch = Buffer.allocUnsafe(1024);

function decodeHuffman(block: Buffer, start: number, end: number): string {
  const most = Math.ceil(((end - start) * 8) / 5);
  if (huffmanScratch.length < most) huffmanScratch = Buffer.allocUnsafe(Math.max(most, 2 * huffmanScratch.length));
  const out = huffmanScratch;
  let length = 0;
  let entry = HUFFMAN_ACCEPT; // the root: an empty string is a string
  for (let at = start; at < end; at += 1) {
    const octet = block[at] ?? 0;
    entry = HUFFMAN_STATES[((entry & HUFFMAN_NEXT) << 4) | (octet >>> 4)] ?? HUFFMAN_FAIL;
    if ((entry & HUFFMAN_FAIL) !== 0) throw new HpackError("a Huffman-coded string holds EOS");
    if ((entry & HUFFMAN_EMIT) !== 0) out[length++] = (entry >>> HUFFMAN_SYMBOL_SHIFT) & 0xff;
    entry = HUFFMAN_STATES[((entry & HUFFMAN_NEXT) << 4) | (octet & 0x0f)] ?? HUFFMAN_FAIL;
    if ((entry & HUFFMAN_FAIL) !== 0) throw new HpackError("a Huffman-coded string holds EOS");
    if ((entry & HUFFMAN_EMIT) !== 0) out[length++] = (entry >>> HUFFMAN_SYMBOL_SHIFT) & 0xff;
  }
  if ((entry & HUFFMAN_ACCEPT) === 0) throw new HpackError("a Huffman-coded string ends in padding that is not up to seven ones");
  return out.toString("latin1", 0, length);
}

/**
 * The dynamic table (RFC 7541 §2.3.2, §4): newest entry first, held in a
 * ring that grows as needed (most connections hold a handful of entries);
 * entries are evicted from the oldest end to keep the size within the
 * maximum.
 */
class DynamicTable {
  private names: string[] = new Array<string>(8).fill("");
  private values: string[] = new Array<string>(8).fill("");
  /** The slot of the newest entry. */
  private newest = 0;
  length = 0;
  private size = 0;

  constructor(public maxSize: number) {}

  name(index: number): string {
    return this.names[(this.newest + index) % this.names.length] ?? "";
  }

  value(index: number): string {
    return this.values[(this.newest + index) % this.values.length] ?? "";
  }

  /** Adds an entry, evicting as needed; an entry larger than the table empties it and is not added (RFC 7541 §4.4). */
  add(name: string, value: string): void {
    const size = name.length + value.length + ENTRY_OVERHEAD;
    this.evictTo(this.maxSize - size);
    if (size > this.maxSize) return;
    if (this.length === this.names.length) this.grow();
    this.newest = (this.newest + this.names.length - 1) % this.names.length;
    this.names[this.newest] = name;
    this.values[this.newest] = value;
    this.length += 1;
    this.size += size;
  }

  resize(maxSize: number): void {
    this.maxSize = maxSize;
    this.evictTo(maxSize);
  }

  private evictTo(size: number): void {
    while (this.length > 0 && this.size > size) {
      const oldest = (this.newest + this.length - 1) % this.names.length;
      this.size -= (this.names[oldest] ?? "").length + (this.values[oldest] ?? "").length + ENTRY_OVERHEAD;
      this.names[oldest] = "";
      this.values[oldest] = "";
      this.length -= 1;
    }
  }

  private grow(): void {
    const names = new Array<string>(2 * this.names.length).fill("");
    const values = new Array<string>(2 * this.names.length).fill("");
    for (let index = 0; index < this.length; index += 1) {
      names[index] = this.name(index);
      values[index] = this.value(index);
    }
    this.names = names;
    this.values = values;
    this.newest = 0;
  }
}

export class HpackDecoder {
  private readonly table: DynamicTable;
  /** Where `decode` is in the block it is reading. */
  private at = 0;

  /** `maxTableSize`: the SETTINGS_HEADER_TABLE_SIZE this side advertises (default 4096). */
  constructor(private readonly maxTableSize = 4096) {
    if (!Number.isInteger(maxTableSize) || maxTableSize < 0 || maxTableSize > MAX_INTEGER) throw new RangeError(`not a header table size: ${maxTableSize}`);
    this.table = new DynamicTable(maxTableSize);
  }

  /**
   * Decodes one complete header block (the HEADERS and CONTINUATION fragments joined) into
   * [name, value] pairs in order, names and values as latin1 strings. Maintains the dynamic table
   * across calls (the decoder is per connection). Throws HpackError on anything malformed: an index
   * of 0 or past the tables, an integer that overflows (cap at 2^31-1 or fewer bytes), a string
   * running past the block, invalid Huffman (EOS symbol in the string, padding longer than 7 bits
   * or not all ones), a dynamic table size update above the maximum or not at the start of the
   * block, and so on (RFC 7541 §4, §5, §6). After an error the decoder's table is not to be trusted:
   * the connection is closed.
   */
  decode(block: Buffer): Array<[string, string]> {
    const fields: Array<[string, string]> = [];
    this.at = 0;
    while (this.at < block.length) {
      const first = block[this.at] ?? 0;
      if ((first & 0x80) !== 0) {
        // Indexed header field (§6.1).
        const index = this.integer(block, 7);
        fields.push([this.name(index), this.value(index)]);
      } else if ((first & 0x40) !== 0) {
        // Literal with incremental indexing (§6.2.1): the name is read before the entry is added, whatever that evicts (§4.4).
        const nameIndex = this.integer(block, 6);
        const name = nameIndex === 0 ? this.string(block) : this.name(nameIndex);
        const value = this.string(block);
        this.table.add(name, value);
        fields.push([name, value]);
      } else if ((first & 0x20) !== 0) {
        // Dynamic table size update (§6.3), allowed only before the block's first field (§4.2).
        if (fields.length > 0) throw new HpackError("a dynamic table size update follows a header field");
        const size = this.integer(block, 5);
        if (size > this.maxTableSize) throw new HpackError(`a dynamic table size update to ${size} exceeds the ${this.maxTableSize} advertised`);
        this.table.resize(size);
      } else {
        // Literal without indexing (§6.2.2, 0000) or never indexed (§6.2.3, 0001): the same to a decoder that does not forward them.
        const nameIndex = this.integer(block, 4);
        const name = nameIndex === 0 ? this.string(block) : this.name(nameIndex);
        fields.push([name, this.string(block)]);
      }
    }
    return fields;
  }

  private name(index: number): string {
    if (index === 0) throw new HpackError("a header field refers to index 0");
    if (index <= STATIC_TABLE.length) return STATIC_TABLE[index - 1]?.[0] ?? "";
    if (index - STATIC_TABLE.length > this.table.length) throw new HpackError(`a header field refers to index ${index}, past the ${STATIC_TABLE.length + this.table.length} in the tables`);
    return this.table.name(index - STATIC_TABLE.length - 1);
  }

  /** The value at an index `name` has accepted. */
  private value(index: number): string {
    return index <= STATIC_TABLE.length ? (STATIC_TABLE[index - 1]?.[1] ?? "") : this.table.value(index - STATIC_TABLE.length - 1);
  }

  /** An integer with an N-bit prefix (§5.1), starting at the current octet. */
  private integer(block: Buffer, prefixBits: number): number {
    const limit = (1 << prefixBits) - 1;
    let value = (block[this.at] ?? 0) & limit;
    this.at += 1;
    if (value < limit) return value;
    // Five continuation octets carry 35 bits, enough for MAX_INTEGER; a sixth is refused however small its value.
    for (let scale = 1; scale <= 2 ** 28; scale *= 128) {
      if (this.at >= block.length) throw new HpackError("the block ends inside an integer");
      const octet = block[this.at] ?? 0;
      this.at += 1;
      value += (octet & 0x7f) * scale;
      if (value > MAX_INTEGER) throw new HpackError(`an integer exceeds ${MAX_INTEGER}`);
      if ((octet & 0x80) === 0) return value;
    }
    throw new HpackError("an integer runs to more than five continuation octets");
  }

  /** A string literal (§5.2), Huffman-coded or not. */
  private string(block: Buffer): string {
    if (this.at >= block.length) throw new HpackError("the block ends before a string");
    const huffman = ((block[this.at] ?? 0) & 0x80) !== 0;
    const length = this.integer(block, 7);
    const start = this.at;
    if (length > block.length - start) throw new HpackError(`a string of ${length} octets runs past the end of the block`);
    this.at = start + length;
    return huffman ? decodeHuffman(block, start, this.at) : block.toString("latin1", start, this.at);
  }
}

/** The static table's index for each name it holds, the first entry with the name (RFC 7541 Appendix A). */
const STATIC_NAME_INDEX = new Map<string, number>();
STATIC_TABLE.forEach(([name], index) => {
  if (!STATIC_NAME_INDEX.has(name)) STATIC_NAME_INDEX.set(name, index + 1);
});
const ABOVE_LATIN1 = /[\u0100-\uffff]/;
/** Strings shorter than this are written a character at a time: cheaper than a call into Buffer's native code. */
const SHORT_STRING = 24;

/**
 * Encodes a request's header block: every field as a literal without indexing (RFC 7541 §6.2.2),
 * with the name as a static-table index where the static table has that name, else as a literal name;
 * strings not Huffman-coded. Names must already be lowercase. Throws TypeError on a name that is not
 * lowercase or empty, or a name/value holding a character above U+00FF (strings are written as latin1).
 */
export function encodeHeaderBlock(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  // Sized from the strings' lengths, which are their octets once written as latin1; the characters are checked as they are written.
  let total = 0;
  for (const [name, value] of fields) total += literalLength(name, value, 4);
  const block = Buffer.allocUnsafe(total);
  let at = 0;
  for (const [name, value] of fields) at = writeLiteral(block, at, name, value, 0x00, 4); // 0000: without indexing
  return block;
}

/**
 * Octets of a literal field (§6.2) whose representation starts with a `prefixBits` index prefix:
 * the name as its static-table index where the table has it, else as a literal after index 0;
 * the value as a literal. Neither string Huffman-coded.
 */
function literalLength(name: string, value: string, prefixBits: number): number {
  if (name.length === 0) throw new TypeError("a header name is empty");
  const index = STATIC_NAME_INDEX.get(name);
  return (index === undefined ? 1 + integerLength(name.length, 7) + name.length : integerLength(index, prefixBits)) + integerLength(value.length, 7) + value.length;
}

/** Writes the literal field `literalLength` sized, its first octet's high bits `pattern`; returns the offset after it. */
function writeLiteral(block: Buffer, at: number, name: string, value: string, pattern: number, prefixBits: number): number {
  const index = STATIC_NAME_INDEX.get(name);
  if (index === undefined) {
    block[at++] = pattern; // index 0: a literal name follows
    at = writeInteger(block, at, name.length, 7); // the H bit clear: not Huffman-coded
    at = writeName(block, at, name);
  } else {
    at = writeInteger(block, at, index, prefixBits, pattern);
  }
  at = writeInteger(block, at, value.length, 7);
  return writeValue(block, at, name, value);
}

function writeName(block: Buffer, at: number, name: string): number {
  for (let index = 0; index < name.length; index += 1) {
    const char = name.charCodeAt(index);
    if ((char >= 0x41 && char <= 0x5a) || char > 0xff) throw new TypeError(`not a lowercase latin1 header name: ${JSON.stringify(name)}`);
    block[at++] = char;
  }
  return at;
}

function writeValue(block: Buffer, at: number, name: string, value: string): number {
  if (value.length >= SHORT_STRING) {
    checkEncodableValue(name, value);
    return at + block.write(value, at, "latin1");
  }
  for (let index = 0; index < value.length; index += 1) {
    const char = value.charCodeAt(index);
    if (char > 0xff) throw notLatin1(name);
    block[at++] = char;
  }
  return at;
}

/**
 * The encoding side's dynamic table, for the few header fields worth indexing: a value that
 * repeats on every request of a connection (the VAPID Authorization, some 350 octets, the same
 * for each push to one service while its JWT is valid) is sent once as a literal with incremental
 * indexing (RFC 7541 §6.2.1) and from then on as a one- or two-octet index (§6.1). Everything else
 * stays a literal without indexing (`encodeHeaderBlock`). One per connection, used in the order
 * the header blocks are written: the service's decoder sees the insertions in that order.
 */
export class HpackEncoder {
  private readonly table: DynamicTable;
  /** Table size updates to signal at the start of the next header block (§4.2): the lowest since the last block, then the final one. */
  private lowestLimit: number | null = null;

  /** `maxTableSize`: at most this much of the service's table is used, whatever it allows. */
  constructor(private readonly maxTableSize = 4096) {
    if (!Number.isInteger(maxTableSize) || maxTableSize < 0 || maxTableSize > MAX_INTEGER) throw new RangeError(`not a header table size: ${maxTableSize}`);
    this.table = new DynamicTable(maxTableSize);
  }

  /** The service's SETTINGS_HEADER_TABLE_SIZE (its decoder's limit; 4096 until it says otherwise). */
  setLimit(serviceTableSize: number): void {
    const limit = Math.min(serviceTableSize, this.maxTableSize);
    if (limit === this.table.maxSize && this.lowestLimit === null) return;
    this.lowestLimit = Math.min(this.lowestLimit ?? limit, limit);
    this.table.resize(limit);
  }

  /** The dynamic table size updates a header block must start with (an empty buffer when there are none), then none until the limit changes again. */
  sizeUpdates(): Buffer {
    if (this.lowestLimit === null) return EMPTY_BLOCK;
    const final = this.table.maxSize;
    const limits = this.lowestLimit < final ? [this.lowestLimit, final] : [final];
    this.lowestLimit = null;
    const block = Buffer.allocUnsafe(limits.reduce((total, limit) => total + integerLength(limit, 5), 0));
    let at = 0;
    for (const limit of limits) at = writeInteger(block, at, limit, 5, 0x20); // 001 and the new size
    return block;
  }

  /** One field: its index when the table holds it, else a literal added to the table (or, when it cannot fit, a literal without indexing). Same checks as `encodeHeaderBlock`. */
  field(name: string, value: string): Buffer {
    for (let index = 0; index < this.table.length; index += 1) {
      if (this.table.value(index) !== value || this.table.name(index) !== name) continue;
      const dynamicIndex = STATIC_TABLE.length + 1 + index;
      const block = Buffer.allocUnsafe(integerLength(dynamicIndex, 7));
      writeInteger(block, 0, dynamicIndex, 7, 0x80); // 1 and the index
      return block;
    }
    if (name.length + value.length + ENTRY_OVERHEAD > this.table.maxSize) return encodeHeaderBlock([[name, value]]);
    const block = Buffer.allocUnsafe(literalLength(name, value, 6));
    writeLiteral(block, 0, name, value, 0x40, 6); // 01: with incremental indexing
    this.table.add(name, value);
    return block;
  }
}

const EMPTY_BLOCK = Buffer.alloc(0);

/** Throws the TypeError `encodeHeaderBlock` and `HpackEncoder.field` throw for a value they cannot write (a character above U+00FF). */
export function checkEncodableValue(name: string, value: string): void {
  if (ABOVE_LATIN1.test(value)) throw notLatin1(name);
}

function notLatin1(name: string): TypeError {
  return new TypeError(`the ${JSON.stringify(name)} header holds a character above U+00FF`);
}

/** Octets taken by an integer with an N-bit prefix (§5.1). */
function integerLength(value: number, prefixBits: number): number {
  const limit = (1 << prefixBits) - 1;
  if (value < limit) return 1;
  let length = 2;
  for (let rest = value - limit; rest >= 128; rest = Math.floor(rest / 128)) length += 1;
  return length;
}

/** Writes an integer with an N-bit prefix, the first octet's higher bits `pattern`; returns the offset after it. */
function writeInteger(block: Buffer, at: number, value: number, prefixBits: number, pattern = 0): number {
  const limit = (1 << prefixBits) - 1;
  if (value < limit) {
    block[at] = pattern | value;
    return at + 1;
  }
  block[at++] = pattern | limit;
  let rest = value - limit;
  for (; rest >= 128; rest = Math.floor(rest / 128)) block[at++] = (rest % 128) | 0x80;
  block[at] = rest;
  return at + 1;
}
