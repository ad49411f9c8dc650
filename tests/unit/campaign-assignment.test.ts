import { describe, expect, it } from "vitest";
import { campaignArm, hashUnit, inProgramHoldout, pickVariant, quarterOf } from "../../app/campaigns/assignment";
import { decideRecipient } from "../../app/campaigns/decision";
import type { MemberFacts, MessagingRules } from "../../app/campaigns/eligibility";

/**
 * Assignment by hash: shares close to what was asked over many members
 * (within four standard errors, so a correct hash fails about once in
 * 30,000 runs and never here, since it is deterministic), the same answer
 * every time, and independent splits for holdout, variant and program.
 */

const SHOP = "north-cafe.myshopify.com";
const members = Array.from({ length: 20_000 }, (_, i) => String(7_000_000_000_000 + i * 7));
const withinFourSigma = (count: number, n: number, p: number) => Math.abs(count / n - p) <= 4 * Math.sqrt((p * (1 - p)) / n);

describe("campaign holdout", () => {
  it("holds out about 10 % by default share, deterministically", () => {
    const arms = members.map((id) => campaignArm(SHOP, "tasting-thursday", id, 10));
    const held = arms.filter((arm) => arm === "holdout").length;
    expect(withinFourSigma(held, members.length, 0.1)).toBe(true);
    expect(held).toBeGreaterThan(0);
    expect(members.map((id) => campaignArm(SHOP, "tasting-thursday", id, 10))).toEqual(arms);
  });

  it("draws a fresh holdout for each campaign", () => {
    const a = members.map((id) => campaignArm(SHOP, "campaign-a", id, 10));
    const b = members.map((id) => campaignArm(SHOP, "campaign-b", id, 10));
    const both = a.filter((arm, i) => arm === "holdout" && b[i] === "holdout").length;
    // Independent draws overlap on about 10 % × 10 % = 1 %.
    expect(withinFourSigma(both, members.length, 0.01)).toBe(true);
  });

  it("holds nobody out at 0 % and everybody at 100 %; refuses a share outside 0–100", () => {
    expect(members.slice(0, 500).every((id) => campaignArm(SHOP, "c", id, 0) === "treatment")).toBe(true);
    expect(members.slice(0, 500).every((id) => campaignArm(SHOP, "c", id, 100) === "holdout")).toBe(true);
    expect(() => campaignArm(SHOP, "c", "1", 101)).toThrow(RangeError);
  });

  it("hashes parts unambiguously", () => {
    expect(hashUnit(["a|b", "c"])).not.toBe(hashUnit(["a", "b|c"]));
    expect(hashUnit(["x"])).toBeGreaterThanOrEqual(0);
    expect(hashUnit(["x"])).toBeLessThan(1);
  });
});

describe("variants", () => {
  const variants = [
    { id: "a", weight: 3 },
    { id: "b", weight: 1 },
  ];

  it("splits by weight (3:1), the same member always getting the same variant", () => {
    const picked = members.map((id) => pickVariant(SHOP, "c", id, variants).id);
    expect(withinFourSigma(picked.filter((v) => v === "a").length, members.length, 0.75)).toBe(true);
    expect(members.map((id) => pickVariant(SHOP, "c", id, variants).id)).toEqual(picked);
  });

  it("is independent of the holdout split", () => {
    const heldWithB = members.filter((id) => campaignArm(SHOP, "c", id, 10) === "holdout" && pickVariant(SHOP, "c", id, variants).id === "b").length;
    expect(withinFourSigma(heldWithB, members.length, 0.1 * 0.25)).toBe(true);
  });

  it("needs a positive weight", () => {
    expect(() => pickVariant(SHOP, "c", "1", [])).toThrow(RangeError);
  });
});

describe("program holdout", () => {
  it("leaves out about the given share each quarter and redraws it the next", () => {
    const q1 = members.filter((id) => inProgramHoldout(SHOP, id, "2026-Q1", 5));
    const q2 = members.filter((id) => inProgramHoldout(SHOP, id, "2026-Q2", 5));
    expect(withinFourSigma(q1.length, members.length, 0.05)).toBe(true);
    expect(withinFourSigma(q2.length, members.length, 0.05)).toBe(true);
    const again = new Set(q2);
    expect(withinFourSigma(q1.filter((id) => again.has(id)).length, members.length, 0.0025)).toBe(true);
  });

  it("names quarters from the shop-local date", () => {
    expect(quarterOf(new Date("2026-03-31T00:00:00Z"))).toBe("2026-Q1");
    expect(quarterOf(new Date("2026-04-01T00:00:00Z"))).toBe("2026-Q2");
    expect(quarterOf(new Date("2026-12-31T00:00:00Z"))).toBe("2026-Q4");
  });
});

describe("a member's decision", () => {
  const rules: MessagingRules = { timezone: "Europe/London", quiet: { startMinute: 1260, endMinute: 420 }, capCount: 1, capDays: 3 };
  const facts: MemberFacts = { membership: "active", pushConsent: "granted", activeSubscriptions: 1, marketingPushTimes: [], alreadyRecipient: false, programHoldout: false, usualMinute: 510 };
  const campaign = {
    shop: SHOP,
    id: "due-invite",
    kind: "segment-entry" as const,
    variants: [
      { id: "a", title: "A", body: "a", url: "/a", weight: 1 },
      { id: "b", title: "B", body: "b", url: "/b", weight: 1 },
    ],
    holdoutPercent: 10,
    leadMinutes: 45,
    startsAt: null,
    endsAt: null,
  };
  const now = new Date("2026-03-10T06:00:00Z");
  const decide = (id: string, overrides: Partial<MemberFacts> = {}) => decideRecipient(campaign, { customerId: id, dueFrom: null, dueUntil: null }, { ...facts, ...overrides }, rules, now);

  it("gives the held-out member the send time they would have had, and no variant", () => {
    const heldId = members.find((id) => campaignArm(SHOP, campaign.id, id, 10) === "holdout") ?? "";
    const treatedId = members.find((id) => campaignArm(SHOP, campaign.id, id, 10) === "treatment") ?? "";
    expect(decide(heldId)).toEqual({ customerId: heldId, arm: "holdout", variantId: null, status: "skipped", skipReason: "holdout", scheduledFor: new Date("2026-03-10T07:45:00Z"), deferredByQuietHours: false });
    expect(decide(treatedId)).toMatchObject({ arm: "treatment", status: "scheduled", skipReason: null, scheduledFor: new Date("2026-03-10T07:45:00Z"), variantId: expect.stringMatching(/^[ab]$/) });
  });

  it("draws the holdout among eligible members only: an ineligible member keeps the reason and no send time", () => {
    const heldId = members.find((id) => campaignArm(SHOP, campaign.id, id, 10) === "holdout") ?? "";
    expect(decide(heldId, { activeSubscriptions: 0 })).toMatchObject({ arm: "holdout", status: "skipped", skipReason: "no-subscription", scheduledFor: null });
  });
});
