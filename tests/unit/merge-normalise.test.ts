import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aliasesOf } from "../../app/merges/aliases.server";
import { countryOfPhones, countryOfZone, maskEmail, maskPhone, normaliseEmail, normalisePhone } from "../../app/merges/normalise";
import { compareSurvivors } from "../../app/merges/propose.server";

describe("normaliseEmail", () => {
  it.each([
    ["Jane.Doe@Example.com", "jane.doe@example.com"],
    ["  jane.doe@example.com ", "jane.doe@example.com"],
    ["jane.doe+cafe@example.com", "jane.doe@example.com"],
    ["Jane.Doe+a+b@EXAMPLE.COM", "jane.doe@example.com"],
    // Dots are kept: outside Gmail, jane.doe@ and janedoe@ may be two people.
    ["janedoe@example.com", "janedoe@example.com"],
    ["jane.doe@gmail.com", "janedoe@gmail.com"],
    ["J.a.n.e.Doe+x@GoogleMail.com", "janedoe@gmail.com"],
    ["", null],
    ["   ", null],
    ["no-at-sign", null],
    ["@example.com", null],
    ["jane@", null],
    ["jane@localhost", null],
    ["+tag@example.com", null],
    ["a@b@example.com", null],
    ["jane doe@example.com", null],
  ])("%j → %j", (raw, expected) => {
    expect(normaliseEmail(raw)).toBe(expected);
  });

  it("ignores case, surrounding space and tags, and is idempotent", () => {
    const local = fc.stringMatching(/^[a-z][a-z0-9._-]{0,15}$/);
    const domain = fc.constantFrom("example.com", "cafe.co.uk", "mail.example.org", "gmail.com");
    fc.assert(
      fc.property(local, domain, fc.stringMatching(/^[a-z0-9]{1,8}$/), fc.constantFrom("", " ", "\t"), (name, host, tag, space) => {
        const plain = normaliseEmail(`${name}@${host}`);
        expect(normaliseEmail(`${space}${name.toUpperCase()}+${tag}@${host.toUpperCase()}${space}`)).toBe(plain);
        if (plain !== null) expect(normaliseEmail(plain)).toBe(plain);
      }),
    );
  });

  it("never joins two addresses that differ by a dot outside Gmail", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,8}$/), fc.stringMatching(/^[a-z]{1,8}$/), (a, b) => {
        expect(normaliseEmail(`${a}.${b}@example.com`)).not.toBe(normaliseEmail(`${a}${b}@example.com`));
        expect(normaliseEmail(`${a}.${b}@gmail.com`)).toBe(normaliseEmail(`${a}${b}@gmail.com`));
      }),
    );
  });
});

describe("normalisePhone", () => {
  it.each([
    ["+447700900123", "GB", "+447700900123"],
    ["+44 7700 900123", null, "+447700900123"],
    ["+44 (0) 7700 900123", null, "+447700900123"],
    ["0044 7700 900123", null, "+447700900123"],
    ["07700900123", "GB", "+447700900123"],
    ["07700 900-123", "GB", "+447700900123"],
    ["07700900123", null, null],
    ["7700900123", "GB", null],
    ["(415) 555-0134", "US", "+14155550134"],
    ["1-415-555-0134", "US", "+14155550134"],
    ["415-555-0134 ext. 12", "US", "+14155550134"],
    ["06 12 34 56 78", "FR", "+33612345678"],
    ["612 345 678", "ES", "+34612345678"],
    ["06 1234 5678", "IT", "+390612345678"],
    ["+1 415 555 0134", "GB", "+14155550134"],
    ["", "GB", null],
    ["call me", "GB", null],
    ["+12", null, null],
    ["+1234567890123456", null, null],
  ])("%j in %s → %j", (raw, country, expected) => {
    expect(normalisePhone(raw, country)).toBe(expected);
  });

  it("reads a UK mobile the same however it is written", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 999_999 }), fc.constantFrom(" ", "-", "", "."), (n, sep) => {
        const subscriber = String(n).padStart(6, "0");
        const e164 = `+447700${subscriber}`;
        expect(normalisePhone(e164, "US")).toBe(e164);
        expect(normalisePhone(`07700${sep}${subscriber}`, "GB")).toBe(e164);
        expect(normalisePhone(`+44${sep}7700${sep}${subscriber}`, null)).toBe(e164);
        expect(normalisePhone(`00 44 7700 ${subscriber}`, null)).toBe(e164);
        expect(normalisePhone(normalisePhone(e164, null), null)).toBe(e164);
      }),
    );
  });

  it("gives E.164 or nothing, for any text", () => {
    fc.assert(
      fc.property(fc.string(), fc.constantFrom(null, "GB", "US", "FR", "IT"), (raw, country) => {
        const phone = normalisePhone(raw, country);
        if (phone !== null) expect(phone).toMatch(/^\+[1-9]\d{7,14}$/);
      }),
    );
  });
});

describe("the shop's dialling country", () => {
  it("comes from the zone where the zone names one country", () => {
    expect(countryOfZone("Europe/London")).toBe("GB");
    expect(countryOfZone("America/New_York")).toBe("US");
    expect(countryOfZone("America/Toronto")).toBe("CA");
    expect(countryOfZone("Australia/Sydney")).toBe("AU");
    expect(countryOfZone("UTC")).toBeNull();
  });

  it("else from the calling code most of the shop's international numbers carry", () => {
    expect(countryOfPhones(["+447700900123", "+44 7700 900124", "+33612345678", "07700900125"])).toBe("GB");
    expect(countryOfPhones(["+14155550134", "+33612345678", "+447700900123"])).toBeNull();
    expect(countryOfPhones([])).toBeNull();
  });
});

describe("masking and survivors", () => {
  it("masks contact details for the owner's screen", () => {
    expect(maskEmail("jane.doe@example.com")).toBe("ja…@example.com");
    expect(maskEmail("j@example.com")).toBe("j…@example.com");
    expect(maskPhone("+447700900123")).toBe("+44…123");
  });

  it("keeps the record with more visits, then the older one, then the smaller id", () => {
    const at = (day: number) => new Date(Date.UTC(2025, 0, day));
    expect(compareSurvivors({ id: "2", visits: 5, created: at(9) }, { id: "1", visits: 3, created: at(1) })).toBeLessThan(0);
    expect(compareSurvivors({ id: "2", visits: 3, created: at(1) }, { id: "1", visits: 3, created: at(9) })).toBeLessThan(0);
    expect(compareSurvivors({ id: "2", visits: 3, created: at(1) }, { id: "1", visits: 3, created: at(1) })).toBeGreaterThan(0);
  });

  it("flattens chains of confirmed merges to their last survivor", () => {
    const aliases = aliasesOf([
      { id: "m1", survivorId: "b", mergedId: "c" },
      { id: "m2", survivorId: "a", mergedId: "b" },
      { id: "m3", survivorId: "x", mergedId: "y" },
    ]);
    expect(Object.fromEntries([...aliases].map(([id, alias]) => [id, alias.survivorId]))).toEqual({ c: "a", b: "a", y: "x" });
  });
});
