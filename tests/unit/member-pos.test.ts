import { describe, expect, it } from "vitest";
import { detailLines, discountLine, headline, newRedeemRequestId, perkLine, posCustomerId, readMemberAnswer, readRedeemAnswer, readScanAnswer, type PerkStatus } from "../../extensions/member-pos/src/member";
import { redeemInputSchema } from "../../app/perks/perks.server";

/** The POS member extension's pure part: reading the app's answers, the barista's lines, where a perk's discount goes. */

const summary = {
  customerId: "7001",
  name: "Ada Lovelace",
  memberStatus: "active",
  visits: 12,
  firstVisitOn: "2026-09-01",
  lastVisitOn: "2026-11-20",
  pattern: "weekday-morning",
  rhythm: "weekday mornings, every 9 days",
  usualOrder: [{ item: "FW", title: "Flat white", score: 0.8, becauseOf: null, becauseOfTitle: null }],
  suggestions: [],
  perks: [
    { programId: "p1", kind: "every_nth_visit", name: "Every 8th visit", reward: "a drink on us", ready: 1, variantIds: [], progress: { visitsCounted: 8, everyVisits: 8, visitsToNext: 4 } },
    { programId: "p2", kind: "new_item_tasting", name: "Tasting", reward: "a taste of the oat latte", ready: 0, variantIds: ["55"], progress: null },
    { programId: 3, name: "broken" },
  ],
  openPickup: { orderId: "5001", name: "#1001", slotStart: "2026-11-28T09:00:00Z", status: "ready" },
  pushEnabled: true,
};

describe("reading the app's answers", () => {
  it("reads a resolved scan with its member, leaving malformed perks out", () => {
    const answer = readScanAnswer(200, { ok: true, customerId: "7001", cardRef: "ABCDEFGH", member: summary });
    expect(answer.ok && answer.member?.perks.map((perk) => perk.programId)).toEqual(["p1", "p2"]);
    expect(answer.ok && answer.member?.openPickup).toEqual({ orderId: "5001", name: "#1001", slotStart: "2026-11-28T09:00:00Z", status: "ready" });
  });

  it("makes redeem request ids the app accepts, different for each tap, with or without crypto.randomUUID", () => {
    const ids = Array.from({ length: 200 }, () => newRedeemRequestId());
    expect(new Set(ids).size).toBe(200);
    const randomUUID = globalThis.crypto.randomUUID;
    try {
      Object.defineProperty(globalThis.crypto, "randomUUID", { value: undefined, configurable: true });
      const fallback = Array.from({ length: 200 }, () => newRedeemRequestId());
      expect(new Set(fallback).size).toBe(200);
      ids.push(...fallback);
    } finally {
      Object.defineProperty(globalThis.crypto, "randomUUID", { value: randomUUID, configurable: true });
    }
    for (const id of ids) {
      expect(redeemInputSchema.safeParse({ programId: "p1", customerId: "101", mode: "recorded", requestId: id }).success, id).toBe(true);
    }
  });

  it("passes a refusal's reason and message on, and words an answer without one", () => {
    expect(readScanAnswer(410, { ok: false, reason: "expired", message: "This code has expired." })).toEqual({ ok: false, reason: "expired", message: "This code has expired." });
    expect(readScanAnswer(502, "<html>")).toEqual({ ok: false, reason: null, message: "The app answered 502." });
    expect(readMemberAnswer(404, { ok: false, message: "Customer 9 is not known" })).toEqual({ ok: false, message: "Customer 9 is not known" });
    expect(readMemberAnswer(200, { ok: true, member: { name: "no id" } })).toMatchObject({ ok: false });
    expect(readRedeemAnswer(200, { ok: true, redemptionId: "r1" })).toEqual({ ok: true });
    expect(readRedeemAnswer(409, { ok: false, message: "Already redeemed at another register." })).toEqual({ ok: false, message: "Already redeemed at another register.", unanswered: false });
    // A gateway's 502 may hide a redemption made: the register keeps the tap's request id for the retry.
    expect(readRedeemAnswer(502, "<html>")).toEqual({ ok: false, message: "The app answered 502.", unanswered: true });
  });
});

describe("what the barista reads", () => {
  const member = readMemberAnswer(200, { ok: true, member: summary });
  if (!member.ok) throw new Error("summary not read");

  it("says who, how often, what they usually have and what is waiting", () => {
    expect(headline(member.member)).toBe("Ada Lovelace · 12 visits");
    expect(detailLines(member.member)).toEqual(["Usually weekday mornings, every 9 days", "Usual: Flat white", "Last visit 2026-11-20", "Pickup order #1001: ready"]);
    expect(member.member.perks.map(perkLine)).toEqual(["Every 8th visit: a drink on us — ready", "Tasting: a taste of the oat latte"]);
    expect(headline({ ...member.member, name: null, visits: 1, memberStatus: "left" })).toBe("Customer 7001 · 1 visit");
  });
});

describe("where a perk's discount goes", () => {
  const perk = (variantIds: string[]): PerkStatus => ({ programId: "p", kind: "new_item_tasting", name: "Tasting", reward: "a taste", ready: 1, variantIds, progress: null });
  const lines = [{ uuid: "a", variantId: 11, title: "Croissant" }, { uuid: "b", variantId: 55, title: "Oat latte" }, { uuid: "c", title: "Custom sale" }];

  it("picks the first line the perk covers, any line for a perk naming no variant, none when nothing fits", () => {
    expect(discountLine(perk(["55"]), lines)?.uuid).toBe("b");
    expect(discountLine(perk([]), lines)?.uuid).toBe("a");
    expect(discountLine(perk(["99"]), lines)).toBeNull();
    expect(discountLine(perk([]), [{ uuid: "c", title: "Custom sale" }])).toBeNull();
  });

  it("hands the POS numeric customer ids only", () => {
    expect(posCustomerId("7001")).toBe(7001);
    expect(posCustomerId("gid://shopify/Customer/7001")).toBeNull();
    expect(posCustomerId("0")).toBeNull();
  });
});
