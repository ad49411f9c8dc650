import { describe, expect, it } from "vitest";
import { CampaignDefinitionError, parseCampaignDefinition } from "../../app/campaigns/definition";
import { checkNotificationSize, CLICK_TOKEN_MAX_CHARS, MAX_PUSH_PLAINTEXT_BYTES, renderNotification } from "../../app/campaigns/notification";
import { checkPushRequest } from "../../app/push/enqueue.server";

/** Authoring: what a campaign must say, the defaults it gets, and the 4 KB rule checked before anything is sent. */

const base = {
  name: "Due to return",
  kind: "segment-entry",
  segmentId: "due-to-return",
  variants: [{ id: "a", title: "Your usual?", body: "Taste our new oat latte.", url: "/products/oat-latte" }],
  offer: { type: "tasting", link: "/pages/tasting" },
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

describe("campaign definitions", () => {
  it("fills in the defaults: 10 % holdout, 72 h attribution, 45 min lead, weight 1", () => {
    expect(parseCampaignDefinition(base)).toEqual({
      name: "Due to return",
      kind: "segment-entry",
      segmentId: "due-to-return",
      template: null,
      variants: [{ id: "a", title: "Your usual?", body: "Taste our new oat latte.", url: "/products/oat-latte", weight: 1 }],
      offer: { type: "tasting", link: "/pages/tasting", discount: null },
      holdoutPercent: 10,
      attributionHours: 72,
      leadMinutes: 45,
      startsAt: null,
      endsAt: null,
    });
  });

  it("a variant without a link uses the offer's; a discount is valid for the attribution window unless told", () => {
    const parsed = parseCampaignDefinition({ ...base, attributionHours: 48, variants: [{ id: "a", title: "T", body: "B" }], offer: { ...base.offer, discount: { percentOff: 15 } } });
    expect(parsed.variants[0]?.url).toBe("/pages/tasting");
    expect(parsed.offer?.discount).toEqual({ percentOff: 15, validHours: 48 });
  });

  it("names every problem by its path", () => {
    expect(
      issues({
        ...base,
        kind: "broadcast",
        holdoutPercent: 60,
        variants: [
          { id: "a", title: "", body: "x", url: "https://evil.example/" },
          { id: "a", title: "t", body: "x", weight: 0 },
        ],
        colour: "red",
      }),
    ).toEqual([
      "variants[0].title: title must not be empty",
      "variants[0].url: must be a storefront path such as /products/oat-latte (starting with one /, no spaces)",
      "variants[1].weight: weight must be between 1 and 1000",
      "holdoutPercent: holdoutPercent must be between 0 and 50",
      "unknown field colour (a campaign has name, kind, segmentId, template, variants, offer, holdoutPercent, attributionHours, leadMinutes, startsAt, endsAt)",
    ]);
  });

  it("checks what each kind needs", () => {
    expect(issues({ ...base, segmentId: undefined })).toEqual(["segmentId: a segment-entry campaign needs the segment it targets"]);
    expect(issues({ ...base, kind: "broadcast" })).toEqual(["startsAt: a broadcast needs the time to send it"]);
    expect(issues({ ...base, kind: "win-back" })).toEqual(["segmentId: a win-back campaign chooses its members itself; remove segmentId"]);
    expect(issues({ ...base, offer: undefined })).toEqual(["offer: an invitation needs an offer: { type, link, discount? }"]);
    expect(issues({ ...base, startsAt: "2026-03-05T07:00:00Z", endsAt: "2026-03-05T06:00:00+00:00" })).toEqual(["endsAt: must be after startsAt"]);
    expect(issues({ ...base, startsAt: "next thursday" })).toEqual(["startsAt: startsAt must be an ISO 8601 time with an offset, e.g. 2026-03-05T07:00:00Z"]);
    expect(issues({ ...base, variants: [base.variants[0], { ...base.variants[0], id: "a" }] })).toEqual(['variants[1].id: "a" is used twice']);
  });

  it("a transactional campaign words a template: no offer, no holdout, its own placeholders", () => {
    const wording = { name: "Order ready", kind: "transactional", template: "order-ready", variants: [{ id: "a", title: "Ready!", body: "{orderName} is at the counter." }] };
    expect(parseCampaignDefinition(wording)).toMatchObject({ template: "order-ready", holdoutPercent: 0, offer: null, variants: [{ url: "" }] });
    expect(issues({ ...wording, holdoutPercent: 10 })).toEqual(["holdoutPercent: a transactional message is never held out; leave it out or set 0"]);
    expect(issues({ ...wording, template: undefined })).toEqual(["template: a transactional campaign names the message it words: order-ready"]);
    expect(issues({ ...wording, variants: [{ id: "a", title: "Ready", body: "Use {code}" }] })).toEqual(["variants[0].body: {code} is not a placeholder here (available: {orderName})"]);
  });

  it("allows {code} and {percentOff} only with a discount", () => {
    const variants = [{ id: "a", title: "{percentOff} % off", body: "Your code: {code}" }];
    expect(issues({ ...base, variants })).toEqual([
      "variants[0].title: {percentOff} is not a placeholder here (this campaign has none)",
      "variants[0].body: {code} is not a placeholder here (this campaign has none)",
    ]);
    expect(issues({ ...base, variants, offer: { ...base.offer, discount: { percentOff: 20 } } })).toEqual([]);
  });
});

describe("the 4 KB rule", () => {
  it("refuses a notification that could not fit in one push, saying by how much", () => {
    const body = "☕".repeat(1_500); // 3 bytes each in UTF-8
    const found = issues({ ...base, variants: [{ id: "a", title: "Tasting", body }] });
    expect(found).toHaveLength(1);
    const [issue] = found;
    const bytes = Number(/takes up to ([\d,]+) bytes/.exec(issue ?? "")?.[1]?.replace(/,/g, ""));
    const over = Number(/at least ([\d,]+) bytes/.exec(issue ?? "")?.[1]?.replace(/,/g, ""));
    expect(issue).toMatch(/^variants\[0\]: the notification takes up to [\d,]+ bytes as sent .* but one Web Push message carries at most 3,993 \(4 KB encrypted\)/);
    expect(bytes - over).toBe(MAX_PUSH_PLAINTEXT_BYTES);
  });

  it("measures placeholders at their longest: a body that fits as written can fail with a long order name", () => {
    let most = 1_000;
    while (checkNotificationSize({ title: "Ready", body: "☕".repeat(most + 1), url: "" }, {}).ok) most++;
    // 60 bytes short of the limit as written; 40 four-byte characters in place of {orderName} are 160.
    const variant = { title: "Ready", body: `${"☕".repeat(most - 20)} {orderName}`, url: "" };
    expect(checkNotificationSize(variant, {}).ok).toBe(true);
    expect(checkNotificationSize(variant, { orderName: { maxChars: 40, ascii: false, description: "" } }).ok).toBe(false);
  });

  it("agrees with the push layer: what authoring accepts at the limit, the push layer accepts too", () => {
    // Grow a body until authoring refuses it; the largest accepted one must pass the push layer's own check.
    let size = 1_000;
    while (checkNotificationSize({ title: "T", body: "☕".repeat(size + 1), url: "/" }, {}).ok) size++;
    expect(size).toBeLessThan(1_300);
    const notification = renderNotification({ title: "T", body: "☕".repeat(size), url: "/pages/tasting" }, { values: {}, discountCode: null });
    const longestId = `cmp_${"f".repeat(32)}`;
    expect(() =>
      checkPushRequest({ shop: "north-cafe.myshopify.com", deliveryId: longestId, customerId: "1", kind: "campaign", campaignId: "c", payload: notification, scheduledFor: new Date(), ttlSeconds: 60 }),
    ).not.toThrow();
    expect(CLICK_TOKEN_MAX_CHARS).toBeGreaterThan(300);
  });

  it("puts the member's code in Shopify's discount link", () => {
    expect(renderNotification({ title: "{percentOff} % off", body: "Code {code}", url: "/products/oat-latte?size=large" }, { values: { code: "RG-ABC", percentOff: "20" }, discountCode: "RG-ABC" })).toEqual({
      title: "20 % off",
      body: "Code RG-ABC",
      url: "/discount/RG-ABC?redirect=%2Fproducts%2Foat-latte%3Fsize%3Dlarge",
    });
  });
});
