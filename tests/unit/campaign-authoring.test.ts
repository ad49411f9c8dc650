import { describe, expect, it } from "vitest";
import { formToInput, measureVariants, shopLocalInstant, shopLocalText } from "../../app/campaigns/authoring.server";
import { allowedChanges, CAMPAIGN_STATUSES } from "../../app/campaigns/campaigns.server";
import { CLICK_TOKEN_MAX_CHARS } from "../../app/campaigns/notification";

describe("shop-local date and time of the admin's form", () => {
  it.each([
    ["2026-03-12T08:00", "Europe/London", "2026-03-12T08:00:00.000Z"],
    ["2026-07-01T08:00", "Europe/London", "2026-07-01T07:00:00.000Z"],
    ["2026-07-01T08:00", "America/New_York", "2026-07-01T12:00:00.000Z"],
    // The hour skipped when clocks go forward moves forward by the gap.
    ["2026-03-29T01:30", "Europe/London", "2026-03-29T01:30:00.000Z"],
    // The hour repeated when clocks go back takes its first occurrence.
    ["2026-10-25T01:30", "Europe/London", "2026-10-25T00:30:00.000Z"],
  ])("%s in %s is %s", (text, zone, iso) => {
    expect(shopLocalInstant(text, zone)?.toISOString()).toBe(iso);
  });

  it.each(["", "2026-03-12", "2026-03-12 08:00", "2026-02-30T08:00", "2026-03-12T24:00", "2026-03-12T08:60", "12/03/2026 08:00", "2026-03-12T08:00Z"])("refuses %j", (text) => {
    expect(shopLocalInstant(text, "Europe/London")).toBeNull();
  });

  it("shows an instant as the field does, and reads it back", () => {
    const at = new Date("2026-07-01T07:00:00Z");
    expect(shopLocalText(at, "Europe/London")).toBe("2026-07-01T08:00");
    expect(shopLocalInstant(shopLocalText(at, "Asia/Tokyo"), "Asia/Tokyo")?.toISOString()).toBe(at.toISOString());
  });
});

describe("the form as the definition's input", () => {
  const base = {
    name: " Tasting ",
    kind: "broadcast",
    segmentId: "due-to-return",
    variantCount: "1",
    "variants[0].title": "Hi",
    "variants[0].body": "Come in",
    "variants[0].weight": "7",
    "variants[1].title": "ignored",
    "offer.type": "tasting",
    "offer.link": "/pages/tasting",
    "offer.discount.percentOff": "",
    holdoutPercent: "",
    attributionHours: "24",
    leadMinutes: "30",
    startsAt: "2026-12-03T09:30",
    endsAt: "2026-12-04T09:30",
  };

  it("keeps what the kind uses: a broadcast's time, one message, defaults for empty numbers", () => {
    expect(formToInput(base, "Europe/London")).toEqual({
      issues: [],
      input: {
        name: "Tasting",
        kind: "broadcast",
        segmentId: "due-to-return",
        variants: [{ id: "a", title: "Hi", body: "Come in" }],
        offer: { type: "tasting", link: "/pages/tasting", discount: null },
        attributionHours: 24,
        startsAt: new Date("2026-12-03T09:30:00Z"),
        endsAt: null,
      },
    });
  });

  it("drops the segment of a kind that chooses its members, keeps two weighted messages, and passes what is not a number on as NaN", () => {
    const { input, issues } = formToInput({ ...base, kind: "win-back", variantCount: "2", "variants[1].body": "Hello", "variants[1].url": "/b", "variants[1].weight": "", holdoutPercent: "1e3", "offer.discount.percentOff": "10" }, "Europe/London");
    expect(issues).toEqual([]);
    expect(input).toMatchObject({
      segmentId: null,
      variants: [
        { id: "a", title: "Hi", body: "Come in", weight: 7 },
        { id: "b", title: "ignored", body: "Hello", url: "/b" },
      ],
      offer: { discount: { percentOff: 10 } },
      holdoutPercent: Number.NaN,
      leadMinutes: 30,
      endsAt: new Date("2026-12-04T09:30:00Z"),
    });
  });

  it("names the form's own problems by field", () => {
    expect(formToInput({ ...base, kind: "transactional" }, "Europe/London").issues.map((i) => i.path)).toEqual(["kind"]);
    expect(formToInput({ ...base, segmentId: "", startsAt: "" }, "Europe/London").issues).toEqual([
      { path: "segmentId", message: "a broadcast campaign needs the segment it targets" },
      { path: "startsAt", message: "a broadcast needs the time to send it" },
    ]);
    expect(formToInput({ ...base, startsAt: "soon" }, "Europe/London").issues).toEqual([
      { path: "startsAt", message: "startsAt must be a date and time on the shop's clock (Europe/London), such as 2026-03-12T08:00" },
    ]);
  });

  it("measures each message with placeholders at their longest", () => {
    const plain = measureVariants(base);
    const withCode = measureVariants({ ...base, "offer.discount.percentOff": "10", "variants[0].body": "Come in with {code}" });
    expect(plain).toEqual([{ index: 0, bytes: expect.any(Number), limit: 3_993, problem: null }]);
    // "{code}" (6 characters) becomes a 20-character code, plus " with " in the body: 6 + 20 more bytes.
    expect((withCode[0]?.bytes ?? 0) - (plain[0]?.bytes ?? 0)).toBe(" with ".length + 20);
    expect(plain[0]?.bytes).toBe(JSON.stringify({ v: 1, title: "Hi", body: "Come in", click: "x".repeat(CLICK_TOKEN_MAX_CHARS) }).length);
    // The offer's kind decides the placeholders: an order-ahead invitation fills in its pickup slot, a tasting leaves the text as written.
    const slot = { ...base, "variants[0].body": "Pick up at {slotTime}" };
    expect(measureVariants({ ...slot, "offer.type": "order-ahead" })[0]?.bytes).not.toBe(measureVariants(slot)[0]?.bytes);
  });
});

describe("what an owner can do to a campaign", () => {
  it.each(CAMPAIGN_STATUSES.map((status) => [status]))("in status %s", (status) => {
    const expected = { draft: ["schedule"], scheduled: ["pause"], active: ["pause"], paused: ["resume"], completed: [] }[status];
    expect(allowedChanges(status)).toEqual(expected);
  });
});

it("the click token's length is the base64url length of its longest payload", () => {
  expect(CLICK_TOKEN_MAX_CHARS).toBe(Buffer.from(JSON.stringify({ d: "x".repeat(200), e: 99_999_999_999 })).toString("base64url").length + 1 + 22);
});
