import http2 from "node:http2";
import net, { type AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { encodeHeaderBlock, HpackDecoder, HpackEncoder, HpackError, HUFFMAN_CODE } from "../../app/push/hpack.server";
import { rawFrame } from "../support/http2-frames";

/**
 * The push client's HPACK codec: the Huffman code's table itself, the
 * examples of RFC 7541 Appendix C, malformed blocks, and a conversation with
 * Node's HTTP/2 server (nghttp2) over a bare socket, so that a real peer
 * reads what the encoder writes and the decoder reads what a real peer
 * writes, Huffman coding and dynamic table included.
 */

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

function decodeError(block: Buffer, decoder = new HpackDecoder()): unknown {
  try {
    decoder.decode(block);
  } catch (error) {
    return error;
  }
  return null;
}

/** Huffman-codes latin1 text with the table under test, the last octet padded with `padding` (ones, as RFC 7541 §5.2 wants). */
function huffman(text: string, padding = "1111111"): Buffer {
  let bits = "";
  for (const char of text) {
    const [code, length] = HUFFMAN_CODE[char.charCodeAt(0)] ?? [0, 0];
    bits += code.toString(2).padStart(length, "0");
  }
  bits += padding.slice(0, (8 - (bits.length % 8)) % 8);
  const octets = bits.match(/.{8}/g) ?? [];
  return Buffer.from(octets.map((octet) => parseInt(octet, 2)));
}

/** An integer with an N-bit prefix (RFC 7541 §5.1), the first octet's higher bits `flags`. */
function integer(value: number, prefixBits: number, flags: number): Buffer {
  const limit = 2 ** prefixBits - 1;
  if (value < limit) return Buffer.from([flags | value]);
  const octets = [flags | limit];
  let rest = value - limit;
  for (; rest >= 128; rest = Math.floor(rest / 128)) octets.push((rest % 128) | 0x80);
  octets.push(rest);
  return Buffer.from(octets);
}

/** A string literal, not Huffman-coded. */
function literal(text: string): Buffer {
  return Buffer.concat([integer(text.length, 7, 0x00), Buffer.from(text, "latin1")]);
}

/** A literal field without indexing, a literal name "a" and a Huffman-coded value given as its coded octets. */
function huffmanValueField(coded: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0x00, 0x01, 0x61]), integer(coded.length, 7, 0x80), coded]);
}

describe("the Huffman code table (RFC 7541 Appendix B)", () => {
  it("has 257 symbols, EOS the last, thirty ones", () => {
    expect(HUFFMAN_CODE).toHaveLength(257);
    expect(HUFFMAN_CODE[256]).toEqual([0x3fffffff, 30]);
  });

  it("is complete: the Kraft sum is exactly 1", () => {
    // Lengths are at most 30 bits, so the sum is exact in units of 2^-30.
    const units = HUFFMAN_CODE.reduce((sum, [, bits]) => sum + 2 ** (30 - bits), 0);
    expect(units).toBe(2 ** 30);
  });

  it("is prefix-free, every code fits its length, and none is shorter than five bits", () => {
    const codes = HUFFMAN_CODE.map(([code, bits]) => code.toString(2).padStart(bits, "0"));
    HUFFMAN_CODE.forEach(([code, bits]) => {
      expect(code).toBeLessThan(2 ** bits);
      expect(bits).toBeGreaterThanOrEqual(5); // the decoder's state table emits at most one symbol per four bits
    });
    const sorted = [...codes].sort();
    for (let index = 1; index < sorted.length; index += 1) expect(sorted[index]?.startsWith(sorted[index - 1] ?? "")).toBe(false);
  });

  it("is canonical: codes counted up in order of length, then symbol", () => {
    const order = HUFFMAN_CODE.map(([code, bits], symbol) => ({ code, bits, symbol })).sort((a, b) => a.bits - b.bits || a.symbol - b.symbol);
    let expected = 0;
    order.forEach((entry, index) => {
      const previous = order[index - 1];
      if (previous) expected = (expected + 1) * 2 ** (entry.bits - previous.bits);
      expect(entry.code, `symbol ${entry.symbol}`).toBe(expected);
    });
  });

  it("decodes every octet value, with and without padding", () => {
    const all = Array.from({ length: 256 }, (_, octet) => String.fromCharCode(octet)).join("");
    for (const text of [all, `${all}a`, `${all}ab`, "", "0", "\u00ff\u0000"]) {
      expect(new HpackDecoder().decode(huffmanValueField(huffman(text)))).toEqual([["a", text]]);
    }
  });
});

describe("RFC 7541 Appendix C", () => {
  it("C.2.1 literal header field with indexing", () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))).toEqual([["custom-key", "custom-header"]]);
    expect(decoder.decode(hex("be"))).toEqual([["custom-key", "custom-header"]]);
  });

  it("C.2.2 literal header field without indexing", () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex("040c 2f73 616d 706c 652f 7061 7468"))).toEqual([[":path", "/sample/path"]]);
    expect(decodeError(hex("be"), decoder)).toBeInstanceOf(HpackError); // nothing was added
  });

  it("C.2.3 literal header field never indexed", () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74"))).toEqual([["password", "secret"]]);
    expect(decodeError(hex("be"), decoder)).toBeInstanceOf(HpackError);
  });

  it("C.2.4 indexed header field", () => {
    expect(new HpackDecoder().decode(hex("82"))).toEqual([[":method", "GET"]]);
  });

  const requests: Array<Array<[string, string]>> = [
    [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
    ],
    [
      [":method", "GET"],
      [":scheme", "http"],
      [":path", "/"],
      [":authority", "www.example.com"],
      ["cache-control", "no-cache"],
    ],
    [
      [":method", "GET"],
      [":scheme", "https"],
      [":path", "/index.html"],
      [":authority", "www.example.com"],
      ["custom-key", "custom-value"],
    ],
  ];

  it("C.3 requests without Huffman coding, one dynamic table", () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"))).toEqual(requests[0]);
    expect(decoder.decode(hex("8286 84be 5808 6e6f 2d63 6163 6865"))).toEqual(requests[1]);
    expect(decoder.decode(hex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"))).toEqual(requests[2]);
    // The table now holds custom-key, cache-control, :authority (62–64), nothing more.
    expect(decoder.decode(hex("bebfc0"))).toEqual([
      ["custom-key", "custom-value"],
      ["cache-control", "no-cache"],
      [":authority", "www.example.com"],
    ]);
    expect(decodeError(hex("c1"), decoder)).toBeInstanceOf(HpackError);
  });

  it("C.4 requests with Huffman coding, one dynamic table", () => {
    const decoder = new HpackDecoder();
    expect(decoder.decode(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"))).toEqual(requests[0]);
    expect(decoder.decode(hex("8286 84be 5886 a8eb 1064 9cbf"))).toEqual(requests[1]);
    expect(decoder.decode(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"))).toEqual(requests[2]);
    expect(decoder.decode(hex("be"))).toEqual([["custom-key", "custom-value"]]);
  });

  const responses: Array<Array<[string, string]>> = [
    [
      [":status", "302"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["location", "https://www.example.com"],
    ],
    [
      [":status", "307"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["location", "https://www.example.com"],
    ],
    [
      [":status", "200"],
      ["cache-control", "private"],
      ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
      ["location", "https://www.example.com"],
      ["content-encoding", "gzip"],
      ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
    ],
  ];

  /** After C.5.3 / C.6.3 the 256-octet table holds set-cookie, content-encoding and the new date, the rest evicted. */
  function expectTableAfterThirdResponse(decoder: HpackDecoder): void {
    expect(decoder.decode(hex("bebfc0"))).toEqual([
      ["set-cookie", "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"],
      ["content-encoding", "gzip"],
      ["date", "Mon, 21 Oct 2013 20:13:22 GMT"],
    ]);
    expect(decodeError(hex("c1"), decoder)).toBeInstanceOf(HpackError);
  }

  it("C.5 responses without Huffman coding, a 256-octet table with evictions", () => {
    const decoder = new HpackDecoder(256);
    expect(
      decoder.decode(
        hex(`4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
             2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
             6c65 2e63 6f6d`),
      ),
    ).toEqual(responses[0]);
    expect(decoder.decode(hex("4803 3330 37c1 c0bf"))).toEqual(responses[1]);
    expect(
      decoder.decode(
        hex(`88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
             54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
             5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
             3d31`),
      ),
    ).toEqual(responses[2]);
    expectTableAfterThirdResponse(decoder);
  });

  it("C.6 responses with Huffman coding, a 256-octet table with evictions", () => {
    const decoder = new HpackDecoder(256);
    expect(
      decoder.decode(
        hex(`4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
             2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`),
      ),
    ).toEqual(responses[0]);
    expect(decoder.decode(hex("4883 640e ffc1 c0bf"))).toEqual(responses[1]);
    expect(
      decoder.decode(
        hex(`88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
             77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
             9587 3160 65c0 03ed 4ee5 b106 3d50 07`),
      ),
    ).toEqual(responses[2]);
    expectTableAfterThirdResponse(decoder);
  });
});

describe("malformed header blocks", () => {
  const cases: Array<[string, Buffer]> = [
    ["index 0", hex("80")],
    ["an index past the static table with an empty dynamic table", hex("be")],
    ["a literal's name index past the tables", hex("7f 00 01 61")],
    ["a string running past the block", hex("00 03 61")],
    ["a field ending before its value", hex("04")],
    ["a truncated integer", hex("ff")],
    ["an integer whose continuation is cut", hex("ff 80")],
    ["an integer above 2^31-1", hex("ff ff ff ff ff 0f")],
    ["an integer of six continuation octets", hex("3f 80 80 80 80 80 00")], // a table size update to 31, but too long
    ["a string length above 2^31-1", hex("00 7f ff ff ff ff 0f")],
    ["a Huffman string holding EOS", huffmanValueField(hex("ff ff ff ff"))],
    ["a Huffman string holding EOS after a symbol", huffmanValueField(Buffer.concat([huffman("a"), hex("ff ff ff ff")]))],
    ["Huffman padding of eight bits", huffmanValueField(Buffer.concat([huffman("00000000"), hex("ff")]))], // eight five-bit codes fill five octets
    ["Huffman padding of eleven bits", huffmanValueField(hex("1f ff"))],
    ["Huffman padding that is not ones", huffmanValueField(huffman("a", "000"))],
    ["Huffman padding ending in a zero", huffmanValueField(huffman("a", "110"))],
    ["a table size update above the maximum", hex("3f e2 1f")],
    ["a table size update after a field", hex("82 20")],
  ];

  for (const [what, block] of cases) {
    it(`refuses ${what}`, () => {
      const error = decodeError(block);
      expect(error).toBeInstanceOf(HpackError);
      expect(error).toMatchObject({ code: "EPUSHHPACK", name: "HpackError" });
    });
  }

  it("accepts what those cases stop short of", () => {
    // Table size updates to 4096 (the maximum) and to 0 at the start of the block, then a field.
    expect(new HpackDecoder().decode(hex("3f e1 1f 20 82"))).toEqual([[":method", "GET"]]);
    // An integer of five continuation octets (a table size update to 31).
    expect(new HpackDecoder().decode(hex("3f 80 80 80 80 00 82"))).toEqual([[":method", "GET"]]);
    // Huffman padding of seven ones, and of none.
    expect(new HpackDecoder().decode(huffmanValueField(huffman("ab")))).toEqual([["a", "ab"]]);
    expect(new HpackDecoder().decode(huffmanValueField(huffman("0a0")))).toEqual([["a", "0a0"]]);
    expect(new HpackDecoder().decode(hex(""))).toEqual([]);
  });

  it("a table of size 0 holds nothing, and a size update evicts", () => {
    const none = new HpackDecoder(0);
    expect(none.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))).toEqual([["custom-key", "custom-header"]]);
    expect(decodeError(hex("be"), none)).toBeInstanceOf(HpackError);
    const shrunk = new HpackDecoder();
    shrunk.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"));
    expect(shrunk.decode(hex("be"))).toEqual([["custom-key", "custom-header"]]);
    expect(shrunk.decode(hex("3f 19"))).toEqual([]); // 56: the entry (55) stays
    expect(shrunk.decode(hex("be"))).toEqual([["custom-key", "custom-header"]]);
    expect(shrunk.decode(hex("3f 17"))).toEqual([]); // 54: it goes
    expect(decodeError(hex("be"), shrunk)).toBeInstanceOf(HpackError);
  });

  it("keeps the same entries as a plain list through additions, evictions, size updates and growth", () => {
    const decoder = new HpackDecoder(1024);
    const model: Array<[string, string]> = [];
    let maxSize = 1024;
    const evict = () => {
      while (model.reduce((sum, [name, value]) => sum + name.length + value.length + 32, 0) > maxSize) model.pop();
    };
    let seed = 7;
    const random = (below: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % below;
    };
    for (let step = 0; step < 600; step += 1) {
      if (random(20) === 0) {
        maxSize = random(1025);
        expect(decoder.decode(integer(maxSize, 5, 0x20))).toEqual([]);
      } else {
        const field: [string, string] = [`n${random(10)}`, "v".repeat(random(300))];
        expect(decoder.decode(Buffer.concat([Buffer.from([0x40]), literal(field[0]), literal(field[1])]))).toEqual([field]);
        model.unshift(field);
      }
      evict();
      expect(decoder.decode(Buffer.concat(model.map((_, index) => integer(62 + index, 7, 0x80))))).toEqual(model);
      expect(decodeError(integer(62 + model.length, 7, 0x80), decoder)).toBeInstanceOf(HpackError);
    }
  });
});

describe("encodeHeaderBlock", () => {
  it("writes literals without indexing, static names by index, no Huffman", () => {
    expect(encodeHeaderBlock([[":method", "GET"]])).toEqual(hex("02 03 474554"));
    expect(encodeHeaderBlock([["content-type", "a"]])).toEqual(hex("0f 10 01 61")); // index 31: 15 + 16
    expect(encodeHeaderBlock([["ttl", "60"]])).toEqual(hex("00 03 74746c 02 3630"));
    expect(encodeHeaderBlock([["x-a", "x".repeat(200)]])).toEqual(Buffer.concat([hex("00 03 782d61 7f 49"), Buffer.from("x".repeat(200))]));
    expect(encodeHeaderBlock([])).toEqual(Buffer.alloc(0));
  });

  it("round-trips through the decoder, empty and long values, latin1 included", () => {
    const fields: Array<[string, string]> = [
      [":method", "POST"],
      [":scheme", "https"],
      [":authority", "fcm.googleapis.com"],
      [":path", "/fcm/send/abc:def"],
      ["ttl", "2419200"],
      ["urgency", "normal"],
      ["content-encoding", "aes128gcm"],
      ["content-length", "0"],
      ["x-empty", ""],
      ["topic", ""],
      ["authorization", `vapid t=${"e".repeat(400)}, k=${"B".repeat(87)}`],
      [`x-${"n".repeat(150)}`, "long name"],
      ["x-latin1", "caf\u00e9 \u00ff\u0080"],
      ["x-latin1-long", "cr\u00e8me br\u00fbl\u00e9e, ".repeat(5)],
    ];
    const decoded = new HpackDecoder().decode(encodeHeaderBlock(fields));
    expect(decoded).toEqual(fields);
  });

  it("refuses names that are empty or not lowercase, and characters above U+00FF", () => {
    expect(() => encodeHeaderBlock([["TTL", "60"]])).toThrow(TypeError);
    expect(() => encodeHeaderBlock([["Content-Type", "a"]])).toThrow(TypeError);
    expect(() => encodeHeaderBlock([["", "a"]])).toThrow(TypeError);
    expect(() => encodeHeaderBlock([["x-euro", "\u20ac"]])).toThrow(TypeError);
    expect(() => encodeHeaderBlock([["x-\u0100", "a"]])).toThrow(TypeError);
    expect(() => encodeHeaderBlock([["x-emoji", "\u{1f600}"]])).toThrow(TypeError);
    expect(() => encodeHeaderBlock([["x-long", `${"a".repeat(40)}\u20ac`]])).toThrow(TypeError);
    expect(() => encodeHeaderBlock([[`x-${"a".repeat(40)}Z`, "a"]])).toThrow(TypeError);
    expect(() => encodeHeaderBlock([["ttl", "60"], ["Urgency", "high"]])).toThrow(/not a lowercase latin1 header name: "Urgency"/);
  });
});

describe("HpackEncoder", () => {
  const vapid = (jwt: string) => `vapid t=${jwt}, k=${"B".repeat(87)}`;

  it("sends a repeated field once as a literal with indexing, then as its index", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    const [first, second] = [vapid("a".repeat(300)), vapid("b".repeat(300))];
    // Each field decoded as it is made, as the service's decoder would: the two tables stay the same.
    const sent = (name: string, value: string) => {
      const field = encoder.field(name, value);
      expect(decoder.decode(field)).toEqual([[name, value]]);
      return field;
    };
    // 01 and the static name "authorization" (23), then the value's length (7-bit prefix, no Huffman: 0x7f, and 399 - 127 = 272 as 0x90 0x02).
    expect(sent("authorization", first).subarray(0, 4)).toEqual(hex("57 7f 90 02"));
    expect(sent("authorization", first)).toEqual(hex("be")); // 62: the newest dynamic entry
    expect(sent("authorization", second)[0]).toBe(0x57);
    expect(sent("authorization", first)).toEqual(hex("bf"));
    expect(sent("authorization", second)).toEqual(hex("be"));
    // A name the static table lacks: 01, then the name as a literal.
    expect(sent("x-custom", "one")).toEqual(hex("40 08 782d637573746f6d 03 6f6e65"));
    expect(sent("x-custom", "one")).toEqual(hex("be"));
    expect(sent("authorization", first)).toEqual(hex("c0"));
    expect(encoder.sizeUpdates()).toHaveLength(0);
  });

  it("keeps its table the decoder's through evictions, over many blocks", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    // Twelve values of 150 to 700 octets: more than a 4096-octet table holds, so entries are evicted as the blocks go.
    const values = Array.from({ length: 12 }, (_, i) => vapid(String.fromCharCode(97 + i).repeat(150 + 50 * i)));
    let indexed = 0;
    let seed = 7;
    for (let round = 0; round < 400; round += 1) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const value = values[seed % values.length] ?? "";
      const field = encoder.field("authorization", value);
      if (field.length <= 2) indexed += 1;
      const block = Buffer.concat([encodeHeaderBlock([[":path", `/push/${round}`]]), field]);
      expect(decoder.decode(block)).toEqual([
        [":path", `/push/${round}`],
        ["authorization", value],
      ]);
    }
    expect(indexed).toBeGreaterThan(100);
    expect(indexed).toBeLessThan(400);
  });

  it("signals the service's smaller table at the start of the next block, lowest then final", () => {
    const encoder = new HpackEncoder();
    const decoder = new HpackDecoder();
    const value = vapid("a".repeat(300));
    decoder.decode(encoder.field("authorization", value));
    encoder.setLimit(4096);
    expect(encoder.sizeUpdates()).toHaveLength(0);
    encoder.setLimit(500);
    // 001 and 500 (31 + 469: 0xd5 0x03); the entry (13 + 399 + 32 = 444 octets) still fits.
    const updates = encoder.sizeUpdates();
    expect(updates).toEqual(hex("3f d5 03"));
    expect(encoder.sizeUpdates()).toHaveLength(0);
    expect(decoder.decode(Buffer.concat([updates, encoder.field("authorization", value)]))).toEqual([["authorization", value]]);
    // A value that cannot fit goes as a literal without indexing (0000 and index 23: 0x0f 0x08), and the table keeps what it had.
    const big = vapid("z".repeat(600));
    expect(encoder.field("authorization", big).subarray(0, 2)).toEqual(hex("0f 08"));
    // Down to 0 and back up before the next block: both sizes are signalled, and the table is empty after.
    encoder.setLimit(0);
    encoder.setLimit(8192);
    const both = encoder.sizeUpdates();
    expect(both).toEqual(hex("20 3f e1 1f")); // 0, then 4096 (this side uses no more than 4096)
    const again = encoder.field("authorization", value);
    expect(again[0]).toBe(0x57);
    expect(decoder.decode(Buffer.concat([both, again, encoder.field("authorization", value)]))).toEqual([
      ["authorization", value],
      ["authorization", value],
    ]);
    // A table of 0 indexes nothing.
    encoder.setLimit(0);
    expect(decoder.decode(Buffer.concat([encoder.sizeUpdates(), encoder.field("authorization", value), encoder.field("authorization", value)]))).toHaveLength(2);
    expect(encoder.field("authorization", value)[0]).toBe(0x0f);
  });

  it("refuses what encodeHeaderBlock refuses", () => {
    const encoder = new HpackEncoder();
    expect(() => encoder.field("Authorization", "x")).toThrow(TypeError);
    expect(() => encoder.field("authorization", "\u20ac")).toThrow(TypeError);
    expect(() => new HpackEncoder(-1)).toThrow(RangeError);
  });
});

describe("against Node's HTTP/2 server (nghttp2)", () => {
  const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");
  const FRAME_HEADERS = 0x1;
  const FRAME_SETTINGS = 0x4;
  const FRAME_CONTINUATION = 0x9;
  const FLAG_END_STREAM = 0x1;
  const FLAG_ACK = 0x1;
  const FLAG_END_HEADERS = 0x4;
  const FLAG_PADDED = 0x8;
  const FLAG_PRIORITY = 0x20;
  /** Every printable ASCII and every upper latin1 octet; the space inside, as field values may not start or end with one. */
  const ALL_OCTETS = [...Array.from({ length: 0x7e - 0x21 + 1 }, (_, index) => 0x21 + index), 0x20, ...Array.from({ length: 0x80 }, (_, index) => 0x80 + index)]
    .map((octet) => String.fromCharCode(octet))
    .join("");
  const ANSWERS = 6;


  /** The answer the server gives to its `sequence`th request; what differs between answers is the status, the sequence and the echo. */
  function answerHeaders(sequence: number, echo: string): Array<[string, string]> {
    return [
      [":status", sequence % 2 === 0 ? "201" : "200"],
      ["content-type", "text/plain; charset=latin1"],
      ["date", "Mon, 21 Oct 2013 20:13:21 GMT"],
      ["x-all-octets", ALL_OCTETS],
      ["x-repeated", "the same words on every answer, so they are indexed"],
      ["x-sequence", String(sequence)],
      ["x-echo", echo],
      ["x-secret", "never to be indexed"],
    ];
  }

  it("reads our requests and answers with blocks we decode, Huffman and dynamic table included", async () => {
    const sessions = new Set<http2.ServerHttp2Session>();
    const server = http2.createServer();
    server.on("session", (session) => sessions.add(session));
    server.on("stream", (stream, headers) => {
      const sequence = Number(headers["x-sequence"]);
      const echo = JSON.stringify([headers[":method"], headers[":path"], headers[":authority"], headers["ttl"], headers["authorization"], headers["x-latin1"]]);
      // x-secret is sent as never indexed (RFC 7541 §6.2.3).
      stream.respond({ ...Object.fromEntries(answerHeaders(sequence, echo)), [http2.sensitiveHeaders]: ["x-secret"] }, { endStream: true });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const socket = net.connect(port, "127.0.0.1");
    try {
      const decoder = new HpackDecoder();
      const blocks: Buffer[] = [];
      const answers: Array<Array<[string, string]>> = [];
      const done = new Promise<void>((resolve, reject) => {
        let buffered = Buffer.alloc(0);
        let fragments: Buffer[] = [];
        socket.on("error", reject);
        socket.on("close", () => reject(new Error(`the server closed the connection after ${answers.length} answers`)));
        socket.on("data", (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk]);
          try {
            while (buffered.length >= 9) {
              const length = buffered.readUIntBE(0, 3);
              if (buffered.length < 9 + length) break;
              const type = buffered[3] ?? 0;
              const flags = buffered[4] ?? 0;
              let payload = buffered.subarray(9, 9 + length);
              buffered = buffered.subarray(9 + length);
              if (type === FRAME_SETTINGS && (flags & FLAG_ACK) === 0) socket.write(rawFrame(FRAME_SETTINGS, FLAG_ACK, 0, Buffer.alloc(0)));
              if (type !== FRAME_HEADERS && type !== FRAME_CONTINUATION) continue;
              if (type === FRAME_HEADERS) {
                if ((flags & FLAG_PADDED) !== 0) payload = payload.subarray(1, payload.length - (payload[0] ?? 0));
                if ((flags & FLAG_PRIORITY) !== 0) payload = payload.subarray(5);
                if ((flags & FLAG_END_STREAM) === 0) throw new Error("an answer with a body, when none was sent");
              }
              fragments.push(payload);
              if ((flags & FLAG_END_HEADERS) === 0) continue;
              const block = Buffer.concat(fragments);
              fragments = [];
              blocks.push(block);
              answers.push(decoder.decode(block));
              if (answers.length === ANSWERS) resolve();
            }
          } catch (error) {
            reject(error);
          }
        });
      });
      const authority = `127.0.0.1:${port}`;
      const requests = [PREFACE, rawFrame(FRAME_SETTINGS, 0, 0, Buffer.alloc(0))];
      const sent: Array<Array<[string, string]>> = [];
      for (let sequence = 1; sequence <= ANSWERS; sequence += 1) {
        const fields: Array<[string, string]> = [
          [":method", "GET"],
          [":scheme", "http"],
          [":authority", authority],
          [":path", "/x"],
          ["x-sequence", String(sequence)],
          ["ttl", String(60 * sequence)],
          ["authorization", `vapid t=${"t".repeat(100 * sequence)}, k=${"k".repeat(87)}`],
          ["x-latin1", "caf\u00e9 cr\u00e8me \u00ff"],
        ];
        sent.push(fields);
        requests.push(rawFrame(FRAME_HEADERS, FLAG_END_STREAM | FLAG_END_HEADERS, 2 * sequence - 1, encodeHeaderBlock(fields)));
      }
      socket.write(Buffer.concat(requests));
      await done;

      // Answers in the order of their requests (nghttp2 sends them so, but HPACK only needs them decoded in the order they came).
      const sequenceOf = (answer: Array<[string, string]>) => Number(answer.find(([name]) => name === "x-sequence")?.[1]);
      expect([...answers].sort((a, b) => sequenceOf(a) - sequenceOf(b))).toEqual(
        sent.map((fields, index) => {
          const value = (name: string) => fields.find(([field]) => field === name)?.[1];
          return answerHeaders(index + 1, JSON.stringify(["GET", "/x", authority, value("ttl"), value("authorization"), value("x-latin1")]));
        }),
      );
      // nghttp2 Huffman-coded some of the first answer: without it the block could not be shorter than its literal names and values.
      const [, ...literals] = answers[0] ?? [];
      const plainLength = literals.reduce((sum, [name, value]) => sum + value.length + (name.startsWith("x-") ? name.length : 0), 0);
      expect(blocks[0]?.length).toBeLessThan(plainLength);
      // And the later answers refer to entries the earlier ones added: without the table they do not decode.
      for (const block of blocks.slice(1)) {
        const error = decodeError(block);
        expect(error).toBeInstanceOf(HpackError);
        expect(error instanceof HpackError && error.message).toMatch(/refers to index \d+, past the \d+ in the tables/);
      }
    } finally {
      socket.destroy();
      for (const session of sessions) session.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
