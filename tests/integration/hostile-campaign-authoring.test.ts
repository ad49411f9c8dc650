import { randomUUID } from "node:crypto";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorCampaign, measureVariants, type CampaignForm } from "../../app/campaigns/authoring.server";
import { getCampaign } from "../../app/campaigns/campaigns.server";
import { MAX_PUSH_PLAINTEXT_BYTES } from "../../app/campaigns/notification";
import type { Database } from "../../app/db/prisma.server";
import { createSegment, createShop } from "../support/campaign-fixtures";
import { assertPrototypeClean, databaseState, nastyKey, nastyString } from "../support/hostile-arbitraries";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/**
 * Campaign authoring against forms nobody should submit (issue 8): any field
 * with any text, unknown and prototype-polluting field names, numbers out of
 * range, messages past what one Web Push message carries. The answer is field
 * errors (and nothing stored) or a valid draft, stored once however often the
 * form is sent.
 */

const SHOP = "north-cafe.myshopify.com";
const OTHER = "south-cafe.myshopify.com";

/** Plausible values per field, so many forms get past the first check. */
const FIELD_VALUES: Record<string, readonly string[]> = {
  name: ["Oat latte tasting", "", " "],
  kind: ["segment-entry", "broadcast", "second-visit", "win-back", "transactional", "SEGMENT-ENTRY"],
  segmentId: ["due-to-return", "south-only", "", "../due-to-return"],
  variantCount: ["1", "2", "3", "-1", ""],
  "variants[0].title": ["Taste our new oat latte", ""],
  "variants[0].body": ["Show {code} at the counter for {percentOff} % off.", "Come and try it.", "{unknownPlaceholder}"],
  "variants[0].url": ["", "/products/oat-latte", "javascript:alert(1)", "//evil.example", "https://evil.example"],
  "variants[0].weight": ["1", "0", "1001", "1e3", "-5"],
  "variants[1].title": ["A new latte is waiting", ""],
  "variants[1].body": ["Come and try it before 11."],
  "variants[1].url": ["", "/pages/tasting"],
  "variants[1].weight": ["1", "3"],
  "offer.type": ["tasting", "new-item", "order-ahead", "", "free-money"],
  "offer.link": ["/pages/tasting", "", "http://evil.example", "/pages/x y"],
  "offer.discount.percentOff": ["", "15", "0", "100", "101", "12.5", "NaN"],
  holdoutPercent: ["", "20", "51", "-1", "0"],
  attributionHours: ["", "48", "721", "0"],
  leadMinutes: ["", "30", "721"],
  startsAt: ["", "2027-07-01T08:00", "2027-02-30T08:00", "2027-07-01 08:00", "2027-07-01T24:00", "9999-12-31T23:59"],
  endsAt: ["", "2027-07-31T20:00", "2026-01-01T00:00"],
};
const FIELDS = Object.keys(FIELD_VALUES);

/** Text the push layer must measure: multi-byte characters, and sizes either side of 4 KB. */
const longText = fc
  .tuple(fc.constantFrom("a", "é", "☕", "𝓬", "{code}"), fc.integer({ min: 500, max: 3_000 }))
  .map(([unit, times]) => unit.repeat(times));

const fieldValue = (name: string) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...(FIELD_VALUES[name] ?? [""])) },
    { weight: 2, arbitrary: nastyString },
    { weight: name.endsWith(".body") || name.endsWith(".title") ? 2 : 0, arbitrary: longText },
  );

/** A complete, valid segment-entry form: the starting point most generated forms spoil in a few fields. */
const VALID_FORM: Record<string, string> = {
  name: "Oat latte tasting",
  kind: "segment-entry",
  segmentId: "due-to-return",
  variantCount: "2",
  "variants[0].title": "Taste our new oat latte",
  "variants[0].body": "Show {code} at the counter for {percentOff} % off.",
  "variants[0].weight": "3",
  "variants[1].title": "A new latte is waiting",
  "variants[1].body": "Come and try it before 11.",
  "variants[1].weight": "1",
  "offer.type": "tasting",
  "offer.link": "/pages/tasting",
  "offer.discount.percentOff": "15",
  startsAt: "2027-07-01T08:00",
};

/** A submitted form: a valid one with a few fields changed, or any fields at all, plus stray and prototype-polluting keys. */
const hostileForm: fc.Arbitrary<CampaignForm> = fc
  .tuple(
    fc.oneof(
      fc.constant(VALID_FORM),
      fc.constant({}),
      fc.constantFrom(...(FIELD_VALUES.kind ?? [])).map((kind) => ({ ...VALID_FORM, kind, variantCount: "1" })),
    ),
    fc.oneof(
      fc.constantFrom(...FIELDS).chain((name) => fieldValue(name).map((value) => ({ [name]: value }))),
      fc.record(Object.fromEntries(FIELDS.map((name) => [name, fieldValue(name)])), { requiredKeys: [] }),
    ),
    fc.dictionary(nastyKey, nastyString, { maxKeys: 2 }),
  )
  .map(([base, changes, stray]) => {
    const form: Record<string, string> = {};
    for (const [key, value] of [...Object.entries(stray), ...Object.entries(base), ...Object.entries(changes)]) {
      // As a body parser would hand them over: own properties, `__proto__` included.
      if (typeof value === "string") Object.defineProperty(form, key, { value, enumerable: true, writable: true, configurable: true });
    }
    return form;
  });

describe.each(stackKinds().filter((kind) => kind.queue === "postgres"))("hostile campaign forms on $name", (kind) => {
  let stack: TestStack;
  let db: Database;

  beforeAll(async () => {
    stack = await startTestStack(kind);
    db = stack.runtime.db;
    await createShop(db, SHOP);
    await createShop(db, OTHER);
    await createSegment(db, SHOP, "due-to-return", "Due to return");
    await createSegment(db, OTHER, "south-only", "South only");
  });
  afterAll(async () => stack?.stop());

  it("any form gives field errors and stores nothing, or a valid draft stored once", async () => {
    const outcomes = { created: 0, refused: 0, oversized: 0 };
    await fc.assert(
      fc.asyncProperty(hostileForm, async (form) => {
        const id = randomUUID();
        const before = await databaseState(db);
        const result = await authorCampaign(db, SHOP, form, { id });
        const oversized = measureVariants(form).some((size) => size.problem !== null);
        assertPrototypeClean();
        if (!result.ok) {
          outcomes.refused += 1;
          if (oversized) outcomes.oversized += 1;
          expect(result.issues.length).toBeGreaterThan(0);
          for (const issue of result.issues) {
            expect(typeof issue.path).toBe("string");
            expect(issue.message.trim().length).toBeGreaterThan(0);
          }
          expect(await databaseState(db)).toEqual(before);
          return;
        }
        outcomes.created += 1;
        // A message over what one Web Push message carries is never accepted.
        expect(oversized).toBe(false);
        expect(result.created).toBe(true);
        const stored = await getCampaign(db, SHOP, id);
        expect(stored.segmentId === null || stored.segmentId === "due-to-return").toBe(true);
        for (const variant of stored.variants) {
          expect(Buffer.byteLength(JSON.stringify(variant))).toBeLessThan(MAX_PUSH_PLAINTEXT_BYTES * 2);
        }
        const after = await databaseState(db);
        expect(after.Campaign).toBe(Number(before.Campaign) + 1);
        // The same form again (a double click, a retry) stores nothing more.
        const again = await authorCampaign(db, SHOP, form, { id });
        expect(again.ok && again.created).toBe(false);
        expect(await databaseState(db)).toEqual(after);
      }),
      { numRuns: 100 },
    );
    expect(outcomes.created).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.oversized).toBeGreaterThan(0);
  }, 600_000);

  it("refuses a message over 4 KB by the field, whatever characters make it up", async () => {
    const base = {
      name: "Oat latte tasting",
      kind: "segment-entry",
      segmentId: "due-to-return",
      "variants[0].title": "Taste our new oat latte",
      "offer.type": "tasting",
      "offer.link": "/pages/tasting",
    };
    for (const unit of ["a", "é", "☕", "𝓬"]) {
      const body = unit.repeat(Math.ceil(4_200 / Buffer.byteLength(unit)));
      const before = await databaseState(db);
      const result = await authorCampaign(db, SHOP, { ...base, "variants[0].body": body.slice(0, 2_000) }, { id: randomUUID() });
      const sized = measureVariants({ ...base, "variants[0].body": body.slice(0, 2_000) })[0];
      if (sized && sized.bytes > MAX_PUSH_PLAINTEXT_BYTES) {
        expect(result.ok ? "stored" : result.issues.map((issue) => issue.path)).toContain("variants[0]");
        expect(await databaseState(db)).toEqual(before);
      }
    }
    // The body limit in characters is no way round the byte limit: 2,000 four-byte characters are 8 KB.
    const wide = await authorCampaign(db, SHOP, { ...base, "variants[0].body": "𝓬".repeat(1_000) }, { id: randomUUID() });
    expect(wide.ok ? "stored" : wide.issues.map((issue) => issue.path)).toEqual(expect.arrayContaining(["variants[0]"]));
  });

  it("refuses text PostgreSQL cannot store as written (NUL, half a UTF-16 pair) with a field error", async () => {
    for (const [field, value] of [["name", "Oat\u0000latte"], ["variants[0].title", "Taste \uD800"], ["variants[0].body", "a\u0000b"], ["offer.link", "/pages/\u0000"]] as const) {
      const before = await databaseState(db);
      const result = await authorCampaign(db, SHOP, { ...VALID_FORM, [field]: value }, { id: randomUUID() });
      expect([field, result.ok ? "stored" : result.issues.some((issue) => issue.path.startsWith(field.replace(/\.(title|body)$/, "")))]).toEqual([field, true]);
      expect(await databaseState(db)).toEqual(before);
    }
  });

  it("never targets another shop's segment", async () => {
    const form = { name: "Steal", kind: "segment-entry", segmentId: "south-only", "variants[0].title": "Hi", "variants[0].body": "Hello", "offer.type": "tasting", "offer.link": "/pages/tasting" };
    const before = await databaseState(db);
    const result = await authorCampaign(db, SHOP, form, { id: randomUUID() });
    expect(result.ok ? "stored" : result.issues).toEqual([{ path: "segmentId", message: 'there is no segment "south-only" in this shop; pick one of the list' }]);
    expect(await databaseState(db)).toEqual(before);
  });
});
