import { describe, expect, it } from "vitest";
import type { RecipientDecision } from "../../app/campaigns/decision";
import { CampaignDefinitionError, parseCampaignDefinition } from "../../app/campaigns/definition";
import { chooseSlot, linkWithSlot, peakLocationOf, placeDecisions, placementValues, visitAfter, type OrderAheadBook, type PickupPlace, type SlotOption } from "../../app/campaigns/order-ahead";

const at = (iso: string) => new Date(iso);
const slot = (time: string, orders = 0, open = true): SlotOption => ({ start: at(`2026-03-10T${time}:00Z`), label: time, open, orders, items: 0 });

function place(slots: SlotOption[], overrides: Partial<PickupPlace> = {}): PickupPlace {
  return { locationId: "1001", name: "High Street", leadMinutes: 10, capacityOrders: 5, capacityItems: null, peakHours: [8], days: new Map([["2026-03-10", slots]]), ...overrides };
}

describe("peak visitors", () => {
  const places = new Map([
    ["1001", { peakHours: [8] }],
    ["1002", { peakHours: [12, 13] }],
  ]);
  const visits = (locationKey: string, minutes: number[]) => minutes.map((localMinute) => ({ locationKey, localMinute }));

  it.each([
    ["three morning visits at the main location", visits("1001", [480, 500, 530]), { ok: true, locationId: "1001", peakMinutes: [480, 500, 530] }],
    ["two of them only", visits("1001", [480, 500]), { ok: false, reason: "not-peak-visitor" }],
    ["three of seven", visits("1001", [480, 500, 530, 600, 610, 620, 630]), { ok: false, reason: "not-peak-visitor" }],
    ["three of six (half)", visits("1001", [480, 500, 530, 600, 610, 620]), { ok: true, locationId: "1001", peakMinutes: [480, 500, 530] }],
    ["lunch regulars at the other location", [...visits("1002", [720, 750, 790, 800]), ...visits("1001", [480])], { ok: true, locationId: "1002", peakMinutes: [720, 750, 790, 800] }],
    ["visits only online or without pickup", [...visits("online", [480, 490, 500]), ...visits("1003", [480, 490, 500])], { ok: false, reason: "no-pickup-location" }],
    ["no visits", [], { ok: false, reason: "no-pickup-location" }],
  ])("%s", (_name, memberVisits, expected) => {
    expect(peakLocationOf(memberVisits, places)).toEqual(expected);
  });
});

describe("slot choice", () => {
  const target = at("2026-03-10T08:40:00Z");
  const earliest = at("2026-03-10T07:25:00Z");

  it("takes the usual time's slot when it is quiet", () => {
    expect(chooseSlot(place([slot("08:30"), slot("08:40"), slot("08:50")]), target, earliest)?.label).toBe("08:40");
  });

  it("passes over a full slot to the nearest quiet one, a busy one last", () => {
    const slots = [slot("08:30", 3), slot("08:40", 5, false), slot("08:50", 1), slot("09:00")];
    expect(chooseSlot(place(slots), target, earliest)?.label).toBe("08:50");
    // With every quiet slot gone, the busy one with room.
    expect(chooseSlot(place([slot("08:30", 3), slot("08:40", 5, false), slot("08:50", 4)]), target, earliest)?.label).toBe("08:30");
  });

  it("breaks ties between equally near quiet slots by use, then the earlier", () => {
    expect(chooseSlot(place([slot("08:30", 1), slot("08:50", 0)]), target, earliest)?.label).toBe("08:50");
    expect(chooseSlot(place([slot("08:30"), slot("08:50")]), target, earliest)?.label).toBe("08:30");
  });

  it("keeps to the window and to slots still orderable when the invitation arrives", () => {
    expect(chooseSlot(place([slot("08:00"), slot("09:20")]), target, earliest)).toBeNull();
    expect(chooseSlot(place([slot("08:10"), slot("09:10")]), target, earliest)?.label).toBe("08:10");
    expect(chooseSlot(place([slot("08:10"), slot("09:10")]), target, at("2026-03-10T08:15:00Z"))?.label).toBe("09:10");
    expect(chooseSlot(place([slot("08:40", 0, false)]), target, earliest)).toBeNull();
  });

  it("counts invitations already pointed at a slot when judging it quiet", () => {
    const slots = [slot("08:40", 1), slot("08:50")];
    expect(chooseSlot(place(slots), target, earliest, new Map([["1001|" + at("2026-03-10T08:40:00Z").getTime(), 2]]))?.label).toBe("08:50");
  });

  it("reads drink capacity too, and treats a location without limits as always quiet", () => {
    const slots = [{ ...slot("08:40"), items: 9 }, slot("08:50")];
    expect(chooseSlot(place(slots, { capacityItems: 12 }), target, earliest)?.label).toBe("08:50");
    expect(chooseSlot(place([slot("08:30", 40), slot("08:40", 90)], { capacityOrders: null }), target, earliest)?.label).toBe("08:40");
  });
});

describe("the visit an invitation is timed before", () => {
  it("is the first usual time after the send time, on the shop's wall clock across a clock change", () => {
    expect(visitAfter(at("2026-03-10T07:55:00Z"), 8 * 60 + 40, "Europe/London").toISOString()).toBe("2026-03-10T08:40:00.000Z");
    expect(visitAfter(at("2026-03-10T09:00:00Z"), 8 * 60 + 40, "Europe/London").toISOString()).toBe("2026-03-11T08:40:00.000Z");
    // Saturday 28 March on GMT, the visit on Sunday 29 March on BST.
    expect(visitAfter(at("2026-03-28T20:00:00Z"), 8 * 60, "Europe/London").toISOString()).toBe("2026-03-29T07:00:00.000Z");
  });
});

describe("the decision pass", () => {
  const book = (): OrderAheadBook => ({
    timezone: "Europe/London",
    places: new Map([["1001", place([slot("08:00"), slot("08:10")])]]),
    visits: new Map(["a", "b", "c"].map((id) => [id, [480, 482, 484].map((localMinute) => ({ locationKey: "1001", localMinute }))])),
    usualMinutes: new Map([["a", 480], ["b", 480], ["c", 600]]),
    invited: new Map(),
  });
  const decision = (customerId: string, fields: Partial<RecipientDecision>): RecipientDecision => ({
    customerId,
    arm: "treatment",
    variantId: "a",
    status: "scheduled",
    skipReason: null,
    scheduledFor: at("2026-03-10T07:15:00Z"),
    deferredByQuietHours: false,
    ...fields,
  });

  it("places both arms, keeps eligibility's reasons, and counts treatment invitations only", () => {
    const theBook = book();
    const placed = placeDecisions(theBook, [
      decision("a", {}),
      decision("b", { arm: "holdout", variantId: null, status: "skipped", skipReason: "holdout" }),
      decision("c", { scheduledFor: at("2026-03-10T09:15:00Z") }), // usual 10:00: no slot near it
      decision("d", { status: "skipped", skipReason: "frequency-cap", scheduledFor: null, variantId: null }),
    ]);
    expect(placed.map((d) => [d.customerId, d.status, d.skipReason])).toEqual([
      ["a", "scheduled", null],
      ["b", "skipped", "holdout"],
      ["c", "skipped", "no-pickup-capacity"],
      ["d", "skipped", "frequency-cap"],
    ]);
    expect(placed[2]).toMatchObject({ scheduledFor: null, variantId: null });
    expect([...theBook.invited.values()]).toEqual([1]);
  });
});

describe("the invitation's link and words", () => {
  const placement = { ok: true as const, locationId: "1001", locationName: "High Street", slotStart: at("2026-03-10T08:10:00Z"), slotLabel: "08:10" };
  it.each([
    ["/apps/regulars/pickup", "/apps/regulars/pickup?location=1001&slot=2026-03-10T08%3A10%3A00.000Z"],
    ["/pages/order?utm=push", "/pages/order?utm=push&location=1001&slot=2026-03-10T08%3A10%3A00.000Z"],
    ["/pages/order#menu", "/pages/order?location=1001&slot=2026-03-10T08%3A10%3A00.000Z#menu"],
  ])("%s", (path, expected) => {
    expect(linkWithSlot(path, placement)).toBe(expected);
  });

  it("fills the slot and location, a long name shortened to the measured length", () => {
    expect(placementValues(placement)).toEqual({ slotTime: "08:10", locationName: "High Street" });
    expect(placementValues({ ...placement, locationName: "x".repeat(80) }).locationName).toHaveLength(60);
  });
});

describe("authoring an order-ahead invitation", () => {
  const campaign = (type: string) => ({
    name: "Skip the queue",
    kind: "broadcast",
    segmentId: "peak-regulars",
    startsAt: "2026-03-10T07:00:00Z",
    variants: [{ id: "a", title: "Your {slotTime} coffee", body: "Ready at {locationName}.", weight: 1 }],
    offer: { type, link: "/apps/regulars/pickup" },
  });

  it("lets only an order-ahead offer name the slot and location", () => {
    expect(parseCampaignDefinition(campaign("order-ahead")).offer?.type).toBe("order-ahead");
    expect(() => parseCampaignDefinition(campaign("tasting"))).toThrow(CampaignDefinitionError);
    expect(() => parseCampaignDefinition(campaign("tasting"))).toThrow(/\{slotTime\} is not a placeholder here/);
  });
});
