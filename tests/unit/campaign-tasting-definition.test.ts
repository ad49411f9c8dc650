import { describe, expect, it } from "vitest";
import { formToInput } from "../../app/campaigns/authoring.server";
import { CampaignDefinitionError, parseCampaignDefinition } from "../../app/campaigns/definition";

/** A tasting offer that names its new item and sizes its audience (issue 9): what the definition accepts and refuses. */

const base = {
  name: "Fig tart tasting",
  kind: "broadcast",
  segmentId: "weekday-regulars",
  startsAt: "2026-03-12T08:00:00Z",
  variants: [{ id: "a", title: "A fig tart for you", body: "Taste our new fig tart this week." }],
  offer: { type: "tasting", link: "/products/fig-tart" },
};

function issues(input: unknown): string[] {
  try {
    parseCampaignDefinition(input);
  } catch (error) {
    if (error instanceof CampaignDefinitionError) return error.issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    throw error;
  }
  return [];
}

describe("tasting offers", () => {
  it("reads the item, its category, like items (once each), audience size and threshold", () => {
    const parsed = parseCampaignDefinition({
      ...base,
      offer: { ...base.offer, item: " FIG-TART ", category: "pastry", similarTo: ["CROISSANT", "CROISSANT", "4402"], audienceSize: 120, minScore: 0.25 },
    });
    expect(parsed.offer?.tasting).toEqual({ item: "FIG-TART", category: "pastry", similarTo: ["CROISSANT", "4402"], audienceSize: 120, minScore: 0.25 });
  });

  it("leaves a tasting without an item, and every other offer, as it was", () => {
    expect(parseCampaignDefinition(base).offer).toEqual({ type: "tasting", link: "/products/fig-tart", discount: null });
    expect(parseCampaignDefinition(base).offer).not.toHaveProperty("tasting");
    expect(parseCampaignDefinition({ ...base, offer: { type: "new-item", link: "/products/fig-tart" } }).offer).not.toHaveProperty("tasting");
  });

  it("refuses tasting fields on other offers, and audience fields without an item", () => {
    expect(issues({ ...base, offer: { type: "new-item", link: "/products/fig-tart", item: "FIG-TART", audienceSize: 10 } })).toEqual([
      "offer.item: only a tasting offer has item",
      "offer.audienceSize: only a tasting offer has audienceSize",
    ]);
    expect(issues({ ...base, offer: { ...base.offer, audienceSize: 10, minScore: 0.5 } })).toEqual([
      "offer.audienceSize: audienceSize shapes a tasting's audience: give the new item too (offer.item, a SKU or variant id)",
      "offer.minScore: minScore shapes a tasting's audience: give the new item too (offer.item, a SKU or variant id)",
    ]);
  });

  it("takes a tasting audience from a segment only", () => {
    const winBack = { ...base, kind: "win-back", segmentId: undefined, startsAt: undefined, offer: { ...base.offer, item: "FIG-TART" } };
    expect(issues(winBack)).toEqual(["offer.item: a win-back campaign chooses its members itself; a tasting audience is taken from a segment (segment-entry or broadcast)"]);
    expect(issues({ ...base, kind: "segment-entry", startsAt: undefined, offer: { ...base.offer, item: "FIG-TART" } })).toEqual([]);
  });

  it("names out-of-range sizes and thresholds", () => {
    expect(issues({ ...base, offer: { ...base.offer, item: "FIG-TART", audienceSize: 0 } })).toEqual(["offer.audienceSize: audienceSize must be between 1 and 100000"]);
    expect(issues({ ...base, offer: { ...base.offer, item: "FIG-TART", audienceSize: 2.5 } })).toEqual(["offer.audienceSize: audienceSize must be a whole number"]);
    expect(issues({ ...base, offer: { ...base.offer, item: "FIG-TART", minScore: 0 } })).toEqual(["offer.minScore: minScore must be above 0 and at most 1 (a share of visits × P(still a regular))"]);
    expect(issues({ ...base, offer: { ...base.offer, item: "FIG-TART", minScore: 1.5 } })).toEqual(["offer.minScore: minScore must be above 0 and at most 1 (a share of visits × P(still a regular))"]);
    expect(issues({ ...base, offer: { ...base.offer, item: "" } })).toEqual(["offer.item: item must not be empty"]);
    expect(issues({ ...base, offer: { ...base.offer, item: "FIG-TART", colour: "red" } })).toEqual([
      "offer: unknown field colour (an offer has type, link, discount; a tasting also item, category, similarTo, audienceSize, minScore)",
    ]);
  });

  it("the admin form sends the tasting fields only for a segment's tasting", () => {
    const form = {
      name: "Fig",
      kind: "broadcast",
      segmentId: "weekday-regulars",
      startsAt: "2026-03-12T08:00",
      "variants[0].title": "T",
      "variants[0].body": "B",
      "offer.type": "tasting",
      "offer.link": "/products/fig-tart",
      "offer.item": "4401",
      "offer.audienceSize": "120",
      "offer.minScore": "0.2",
      "offer.category": "",
    };
    expect(formToInput(form, "Europe/London").input.offer).toEqual({ type: "tasting", link: "/products/fig-tart", discount: null, item: "4401", audienceSize: 120, minScore: 0.2 });
    expect(formToInput({ ...form, "offer.type": "new-item" }, "Europe/London").input.offer).toEqual({ type: "new-item", link: "/products/fig-tart", discount: null });
    expect(formToInput({ ...form, kind: "win-back" }, "Europe/London").input.offer).toEqual({ type: "tasting", link: "/products/fig-tart", discount: null });
  });
});
