import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { cardSealKey } from "../../app/cards/cards.server";
import { resolveCardCode } from "../../app/cards/code.server";
import { base32, checkDigits, formatCardCode, hotp, parseCardCode, stepAt, totpAt } from "../../app/cards/totp.server";
import type { Database } from "../../app/db/prisma.server";
import type { LogLevel } from "../../app/config.server";
import { captureLogs, log, setLogLevel } from "../../app/lib/log.server";
import { sealSecret } from "../../app/lib/secret-box.server";

/**
 * Member card codes: HOTP/TOTP against the RFCs' own test vectors, the
 * accepted clock drift, "expired" told apart from "invalid", and resolution
 * against a shop's cards, where changing any character of a code is refused.
 */

const ascii = (text: string) => Buffer.from(text, "ascii");

describe("HOTP and TOTP", () => {
  it("match RFC 4226 Appendix D (HMAC-SHA-1, 6 digits)", () => {
    const expected = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"];
    expect(expected.map((_, counter) => hotp(ascii("12345678901234567890"), counter, 6, "sha1"))).toEqual(expected);
  });

  it.each([
    [59, "94287082", "46119246"],
    [1111111109, "07081804", "68084774"],
    [1111111111, "14050471", "67062674"],
    [1234567890, "89005924", "91819424"],
    [2000000000, "69279037", "90698825"],
    [20000000000, "65353130", "77737706"],
  ])("match RFC 6238 Appendix B at T = %i s (30 s step, 8 digits)", (seconds, sha1, sha256) => {
    const at = new Date(seconds * 1000);
    expect(totpAt(ascii("12345678901234567890"), at, { stepSeconds: 30, digits: 8, algorithm: "sha1" })).toBe(sha1);
    expect(totpAt(ascii("12345678901234567890123456789012"), at, { stepSeconds: 30, digits: 8, algorithm: "sha256" })).toBe(sha256);
    // The card's 6 digits are the same truncation modulo 10^6: the vectors' last six digits.
    expect(totpAt(ascii("12345678901234567890123456789012"), at, { stepSeconds: 30, digits: 6 })).toBe(sha256.slice(2));
  });

  it("uses 60-second steps for cards", () => {
    expect(stepAt(new Date(59_999))).toBe(0);
    expect(stepAt(new Date(60_000))).toBe(1);
    expect(totpAt(ascii("12345678901234567890123456789012"), new Date(119_000))).toBe(hotp(ascii("12345678901234567890123456789012"), 1));
  });
});

describe("card code text", () => {
  it.each([
    ["", ""],
    ["f", "MY"],
    ["fo", "MZXQ"],
    ["foo", "MZXW6"],
    ["foob", "MZXW6YQ"],
    ["fooba", "MZXW6YTB"],
    ["foobar", "MZXW6YTBOI"],
  ])("base32(%j) is RFC 4648's %j", (input, output) => {
    expect(base32(ascii(input))).toBe(output);
  });

  it.each([
    ["ABCD2345-123456", { ref: "ABCD2345", digits: "123456" }],
    ["abcd2345-123456", { ref: "ABCD2345", digits: "123456" }],
    [" ABCD 2345 - 123 456 ", { ref: "ABCD2345", digits: "123456" }],
    ["ABCD2345123456", { ref: "ABCD2345", digits: "123456" }],
    ["ABCD2341-123456", null],
    ["ABCD234-123456", null],
    ["ABCD2345-12345", null],
    ["ABCD2345-1234567", null],
    ["ABCD2345_123456", null],
    ["", null],
    ["x".repeat(100), null],
  ])("parses %j", (text, parsed) => {
    expect(parseCardCode(text)).toEqual(parsed);
  });
});

describe("checking digits", () => {
  const secret = randomBytes(32);
  const now = new Date("2026-11-28T09:30:20Z");
  const digitsAt = (stepsFromNow: number) => hotp(secret, stepAt(now) + stepsFromNow);

  it("accepts the codes of two steps either side of now (clock drift)", () => {
    for (const steps of [-2, -1, 0, 1, 2]) expect(checkDigits(secret, digitsAt(steps), now)).toBe("current");
  });

  it("calls a code from further back expired, one from further ahead or a wrong one invalid", () => {
    expect(checkDigits(secret, digitsAt(-3), now)).toBe("expired");
    expect(checkDigits(secret, digitsAt(-300), now)).toBe("expired");
    expect(checkDigits(secret, digitsAt(3), now)).toBe("invalid");
    const wrong = String((Number(digitsAt(0)) + 1) % 1_000_000).padStart(6, "0");
    expect(checkDigits(secret, wrong, now)).not.toBe("current");
    expect(checkDigits(randomBytes(32), digitsAt(0), now)).not.toBe("current");
  });
});

describe("resolving a code against the shop's cards", () => {
  const applicationKey = randomBytes(32);
  const SHOP = "corner-cafe.myshopify.com";
  const now = new Date("2026-11-28T09:30:20Z");
  const secret = randomBytes(32);
  const revokedSecret = randomBytes(32);
  const rows = new Map(
    [
      { ref: "ABCDEFGH", customerId: "1001", secret, revokedAt: null },
      { ref: "REVOKED2", customerId: "1002", secret: revokedSecret, revokedAt: new Date("2026-11-01T00:00:00Z") },
    ].map((card) => [
      card.ref,
      { shop: SHOP, ref: card.ref, customerId: card.customerId, revokedAt: card.revokedAt, secretSealed: sealSecret(cardSealKey(applicationKey), card.secret, `member-card:${SHOP}:${card.ref}`) },
    ]),
  );
  // What resolution asks of the database: a card by (shop, ref); the attempt counted (one row: the card is not
  // locked; the counting itself runs on real databases in tests/integration/member-card.test.ts); the count cleared.
  const countAttempt = () => Promise.resolve(1);
  const db = {
    memberCard: {
      findUnique: ({ where }: { where: { shop_ref: { shop: string; ref: string } } }) =>
        Promise.resolve(where.shop_ref.shop === SHOP ? (rows.get(where.shop_ref.ref) ?? null) : null),
      update: () => Promise.resolve({}),
    },
    $executeRaw: countAttempt,
  } as unknown as Database;
  const resolve = (code: string, shop = SHOP) => resolveCardCode(db, shop, code, now, applicationKey);
  const code = formatCardCode("ABCDEFGH", totpAt(secret, now));

  it("names the card's member for a current code, typed loosely or exactly", async () => {
    expect(await resolve(code)).toEqual({ ok: true, customerId: "1001", cardRef: "ABCDEFGH" });
    expect(await resolve(code.toLowerCase().replace("-", " "))).toEqual({ ok: true, customerId: "1001", cardRef: "ABCDEFGH" });
  });

  it("refuses malformed, unknown, another shop's, revoked, expired and wrong codes, each with its reason", async () => {
    expect(await resolve("hello")).toMatchObject({ ok: false, reason: "malformed" });
    expect(await resolve(formatCardCode("ZZZZZZZZ", totpAt(secret, now)))).toMatchObject({ ok: false, reason: "unknown" });
    expect(await resolve(code, "rival-cafe.myshopify.com")).toMatchObject({ ok: false, reason: "unknown" });
    expect(await resolve(formatCardCode("REVOKED2", totpAt(revokedSecret, now)))).toMatchObject({ ok: false, reason: "revoked" });
    expect(await resolve(formatCardCode("ABCDEFGH", hotp(secret, stepAt(now) - 10)))).toMatchObject({ ok: false, reason: "expired" });
    expect(await resolve(formatCardCode("ABCDEFGH", totpAt(randomBytes(32), now)))).toMatchObject({ ok: false, reason: expect.stringMatching(/^(invalid|expired)$/) });
  });

  it("cannot check a card whose sealed secret was copied from another row (bound to shop and ref): unknown", async () => {
    const copied = { ...rows.get("ABCDEFGH"), secretSealed: sealSecret(cardSealKey(applicationKey), secret, "member-card:rival-cafe.myshopify.com:ABCDEFGH") };
    const tamperedDb = { memberCard: { findUnique: () => Promise.resolve(copied) }, $executeRaw: countAttempt } as unknown as Database;
    const lines: string[] = [];
    const restore = captureLogs(
      new Writable({
        write(chunk: Buffer | string, _encoding, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    const level = log.level as LogLevel;
    setLogLevel("warn");
    try {
      expect(await resolveCardCode(tamperedDb, SHOP, code, now, applicationKey)).toMatchObject({ ok: false, reason: "unknown" });
    } finally {
      setLogLevel(level);
      restore();
    }
    expect(lines).toHaveLength(1);
    // pino writes levels as numbers: 40 is warn.
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({ level: 40, shop: SHOP, cardRef: "ABCDEFGH" });
  });

  it("refuses a code with any one character changed", async () => {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567890189-_ abcxyz";
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: code.length - 1 }), fc.constantFrom(...alphabet), async (index, replacement) => {
        const original = code[index] ?? "";
        // A change of case, or a space for the hyphen, is the same code as typed: not a tampering.
        fc.pre(replacement.toUpperCase() !== original.toUpperCase() && !(original === "-" && replacement === " "));
        const tampered = code.slice(0, index) + replacement + code.slice(index + 1);
        const outcome = await resolve(tampered);
        expect(outcome.ok).toBe(false);
      }),
      { seed: 9, numRuns: 400 },
    );
  });
});
