import { describe, expect, it } from "vitest";
import { checkedConsentText, InvalidConsentTextError, MAX_CONSENT_TEXT_LENGTH } from "../../app/membership/consent";
import {
  desiredShopifyMembership,
  hasWrites,
  MEMBER_TAG,
  planShopifyWrites,
  type DesiredShopifyMembership,
} from "../../app/membership/shopify-fields";
import { joinRequestSchema } from "../../app/membership/storefront";
import { membershipView, needsShopifySync, type MemberRecord } from "../../app/membership/types";

const joined = new Date("2026-03-02T08:15:00.000Z");
const left = new Date("2026-04-10T17:00:00.000Z");

function member(overrides: Partial<MemberRecord> = {}): MemberRecord {
  return {
    shop: "north-cafe.myshopify.com",
    customerId: "6800000000001",
    status: "active",
    joinedVia: "storefront",
    joinedAt: joined,
    leftAt: null,
    updatedAt: joined,
    syncedToShopifyAt: null,
    ...overrides,
  };
}

const activeValue = JSON.stringify({ status: "active", joinedAt: joined.toISOString(), joinedVia: "storefront", leftAt: null });

describe("what Shopify should show", () => {
  it("tags an active member and describes them in the metafield", () => {
    expect(desiredShopifyMembership(member())).toEqual({
      tagged: true,
      metafield: { status: "active", joinedAt: joined.toISOString(), joinedVia: "storefront", leftAt: null },
    });
  });

  it("untags a member who left but keeps the history in the metafield", () => {
    expect(desiredShopifyMembership(member({ status: "left", leftAt: left }))).toEqual({
      tagged: false,
      metafield: { status: "left", joinedAt: joined.toISOString(), joinedVia: "storefront", leftAt: left.toISOString() },
    });
  });

  it("shows nothing for a customer who is not a member", () => {
    expect(desiredShopifyMembership(null)).toEqual({ tagged: false, metafield: null });
  });
});

describe("planning the Shopify writes", () => {
  const active: DesiredShopifyMembership = desiredShopifyMembership(member());
  const gone: DesiredShopifyMembership = desiredShopifyMembership(member({ status: "left", leftAt: left }));

  const cases = [
    { name: "a new member: tag and metafield", tags: ["vip"], value: null, desired: active, expected: { addTag: true, removeTag: false, setMetafield: activeValue, deleteMetafield: false } },
    { name: "already in step: nothing", tags: ["vip", MEMBER_TAG], value: activeValue, desired: active, expected: { addTag: false, removeTag: false, setMetafield: null, deleteMetafield: false } },
    { name: "tag in another case counts as present", tags: ["Regulars-Member"], value: activeValue, desired: active, expected: { addTag: false, removeTag: false, setMetafield: null, deleteMetafield: false } },
    { name: "reformatted JSON with the same content: nothing", tags: [MEMBER_TAG], value: JSON.stringify(JSON.parse(activeValue), null, 2), desired: active, expected: { addTag: false, removeTag: false, setMetafield: null, deleteMetafield: false } },
    { name: "garbage in the metafield is overwritten", tags: [MEMBER_TAG], value: "not json", desired: active, expected: { addTag: false, removeTag: false, setMetafield: activeValue, deleteMetafield: false } },
    { name: "left: untag and update the metafield", tags: [MEMBER_TAG, "vip"], value: activeValue, desired: gone, expected: { addTag: false, removeTag: true, setMetafield: JSON.stringify(gone.metafield), deleteMetafield: false } },
    { name: "no membership: remove both", tags: [MEMBER_TAG], value: activeValue, desired: { tagged: false, metafield: null }, expected: { addTag: false, removeTag: true, setMetafield: null, deleteMetafield: true } },
    { name: "no membership and nothing held: nothing", tags: [], value: null, desired: { tagged: false, metafield: null }, expected: { addTag: false, removeTag: false, setMetafield: null, deleteMetafield: false } },
  ];

  it.each(cases)("$name", ({ tags, value, desired, expected }) => {
    const writes = planShopifyWrites({ tags, metafieldValue: value }, desired);
    expect(writes).toEqual(expected);
    expect(hasWrites(writes)).toBe(Object.values(expected).some((v) => v !== false && v !== null));
  });
});

describe("membership view and sync state", () => {
  it("shows status and dates, never internals", () => {
    expect(membershipView(null)).toEqual({ status: "none", joinedAt: null, leftAt: null });
    expect(membershipView(member({ status: "left", leftAt: left }))).toEqual({
      status: "left",
      joinedAt: joined.toISOString(),
      leftAt: left.toISOString(),
    });
  });

  it("needs a sync until Shopify has seen the latest version", () => {
    expect(needsShopifySync(member())).toBe(true);
    expect(needsShopifySync(member({ syncedToShopifyAt: joined }))).toBe(false);
    expect(needsShopifySync(member({ syncedToShopifyAt: joined, updatedAt: left }))).toBe(true);
  });
});

describe("consent text", () => {
  it("keeps the words, normalising only line endings and outer blanks", () => {
    expect(checkedConsentText("  I agree\r\nto offers.  ")).toBe("I agree\nto offers.");
  });

  it("refuses an empty or over-long text", () => {
    expect(() => checkedConsentText("   ")).toThrow(InvalidConsentTextError);
    expect(() => checkedConsentText("x".repeat(MAX_CONSENT_TEXT_LENGTH + 1))).toThrow(/longer than/);
  });

  it("the storefront must send the text and accepted=true", () => {
    expect(joinRequestSchema.safeParse({ consentText: "I agree", accepted: true }).success).toBe(true);
    const refused = joinRequestSchema.safeParse({ consentText: "I agree", accepted: false });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toMatch(/accepted must be true/);
    expect(joinRequestSchema.safeParse({ consentText: "   ", accepted: true }).error?.issues[0]?.message).toMatch(/must not be empty/);
    expect(joinRequestSchema.safeParse({ accepted: true }).error?.issues[0]?.message).toMatch(/consentText is required/);
  });
});
