import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMember, isActiveMember, joinMembership, leaveMembership } from "../../app/membership/membership.server";
import { LEAVE_MEMBERSHIP_TEXT, WITHDRAW_PUSH_ON_LEAVE_TEXT } from "../../app/membership/consent";
import { joinAndSync, leaveAndSync } from "../../app/membership/service.server";
import { registerInstall } from "../../app/shops/shops.server";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/** Join, leave, re-join: Member and ConsentEvent rows, idempotency, races and tenant isolation. */

const NORTH = "north-cafe.myshopify.com";
const SOUTH = "south-cafe.myshopify.com";
const CONSENT = "Join North Cafe Regulars: we remember your usual and send you member offers. Leave any time.";
const t = (iso: string) => new Date(iso);

describe.each(stackKinds().filter((k) => k.queue === "postgres"))("membership on $name", (kind) => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack(kind);
    await registerInstall(stack.runtime.db, { domain: NORTH });
    await registerInstall(stack.runtime.db, { domain: SOUTH });
  });
  afterAll(async () => stack?.stop());

  const events = (shop: string, customerId: string) =>
    stack.runtime.db.consentEvent.findMany({ where: { shop, customerId }, orderBy: [{ at: "asc" }, { kind: "asc" }] });

  it("joins with the consent text, once however often it is asked", async () => {
    const db = stack.runtime.db;
    const first = await joinMembership(db, { shop: NORTH, customerId: "101", via: "storefront", consentText: `  ${CONSENT}\r\n`, at: t("2026-03-02T08:15:00Z") });
    expect(first.changed).toBe(true);
    expect(first.member).toMatchObject({ status: "active", joinedVia: "storefront", joinedAt: t("2026-03-02T08:15:00Z"), leftAt: null });

    const again = await joinMembership(db, { shop: NORTH, customerId: "101", via: "pos", consentText: "other words", at: t("2026-03-02T08:15:01Z") });
    expect(again.changed).toBe(false);
    expect(again.member).toMatchObject({ status: "active", joinedVia: "storefront", joinedAt: t("2026-03-02T08:15:00Z") });

    const recorded = await events(NORTH, "101");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({ kind: "membership", action: "granted", via: "storefront", text: CONSENT, at: t("2026-03-02T08:15:00Z") });
    expect(await isActiveMember(db, NORTH, "101")).toBe(true);
  });

  it("records one join when a double tap sends two requests at once", async () => {
    const db = stack.runtime.db;
    const taps = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        joinMembership(db, { shop: NORTH, customerId: "102", via: "storefront", consentText: CONSENT, at: t(`2026-03-03T09:00:0${i}Z`) }),
      ),
    );
    expect(taps.filter((tap) => tap.changed)).toHaveLength(1);
    expect(await events(NORTH, "102")).toHaveLength(1);
    expect(await db.member.count({ where: { shop: NORTH, customerId: "102" } })).toBe(1);
  });

  it("leaving withdraws membership and push consent, even if push was never given; leaving twice records nothing more", async () => {
    const db = stack.runtime.db;
    await joinMembership(db, { shop: NORTH, customerId: "103", via: "pos", consentText: CONSENT, at: t("2026-03-04T07:30:00Z") });
    const left = await leaveMembership(db, { shop: NORTH, customerId: "103", via: "storefront", at: t("2026-04-01T12:00:00Z") });
    expect(left.changed).toBe(true);
    expect(left.member).toMatchObject({ status: "left", leftAt: t("2026-04-01T12:00:00Z"), joinedVia: "pos" });
    expect(await isActiveMember(db, NORTH, "103")).toBe(false);

    const again = await leaveMembership(db, { shop: NORTH, customerId: "103", via: "storefront", at: t("2026-04-01T12:00:05Z") });
    expect(again.changed).toBe(false);

    const recorded = (await events(NORTH, "103")).map((e) => ({ kind: e.kind, action: e.action, via: e.via, text: e.text }));
    expect(recorded).toEqual([
      { kind: "membership", action: "granted", via: "pos", text: CONSENT },
      { kind: "membership", action: "withdrawn", via: "storefront", text: LEAVE_MEMBERSHIP_TEXT },
      { kind: "push", action: "withdrawn", via: "storefront", text: WITHDRAW_PUSH_ON_LEAVE_TEXT },
    ]);
  });

  it("re-joins after leaving with new consent and a new join date", async () => {
    const db = stack.runtime.db;
    await joinMembership(db, { shop: NORTH, customerId: "104", via: "storefront", consentText: "v1 words", at: t("2026-01-10T10:00:00Z") });
    await leaveMembership(db, { shop: NORTH, customerId: "104", via: "storefront", at: t("2026-02-10T10:00:00Z") });
    const back = await joinMembership(db, { shop: NORTH, customerId: "104", via: "pos", consentText: "v2 words", at: t("2026-03-10T10:00:00Z") });
    expect(back.changed).toBe(true);
    expect(back.member).toMatchObject({ status: "active", joinedVia: "pos", joinedAt: t("2026-03-10T10:00:00Z"), leftAt: null });
    const grants = (await events(NORTH, "104")).filter((e) => e.kind === "membership" && e.action === "granted");
    expect(grants.map((e) => e.text)).toEqual(["v1 words", "v2 words"]);
    expect(await isActiveMember(db, NORTH, "104")).toBe(true);
  });

  it("the version (updatedAt) only moves forward, even when the clock goes back", async () => {
    const db = stack.runtime.db;
    const joined = await joinMembership(db, { shop: NORTH, customerId: "105", via: "admin", consentText: CONSENT, at: t("2026-05-01T10:00:00Z") });
    const left = await leaveMembership(db, { shop: NORTH, customerId: "105", via: "admin", at: t("2026-04-01T10:00:00Z") });
    expect(left.member?.updatedAt.getTime()).toBeGreaterThan(joined.member?.updatedAt.getTime() ?? Infinity);
  });

  it("leaving when never a member records nothing", async () => {
    const db = stack.runtime.db;
    const outcome = await leaveMembership(db, { shop: NORTH, customerId: "199", via: "storefront", at: t("2026-03-01T00:00:00Z") });
    expect(outcome).toEqual({ changed: false, member: null });
    expect(await events(NORTH, "199")).toEqual([]);
    expect(await isActiveMember(db, NORTH, "199")).toBe(false);
  });

  it("keeps shops apart: the same customer id in two shops are two people", async () => {
    const db = stack.runtime.db;
    await joinMembership(db, { shop: SOUTH, customerId: "300", via: "storefront", consentText: "South words", at: t("2026-03-01T08:00:00Z") });
    await joinMembership(db, { shop: NORTH, customerId: "300", via: "storefront", consentText: "North words", at: t("2026-03-01T09:00:00Z") });
    await leaveMembership(db, { shop: NORTH, customerId: "300", via: "storefront", at: t("2026-03-02T09:00:00Z") });
    expect(await isActiveMember(db, NORTH, "300")).toBe(false);
    expect(await isActiveMember(db, SOUTH, "300")).toBe(true);
    expect((await events(SOUTH, "300")).map((e) => e.text)).toEqual(["South words"]);
    expect((await findMember(db, SOUTH, "300"))?.leftAt).toBeNull();
  });

  it("enqueues a Shopify sync for each change, and again on a repeat while Shopify is behind", async () => {
    const deps = { db: stack.runtime.db, jobs: stack.runtime.jobs };
    // Only this test adds jobs to this stack's private queue.
    const queue = stack.runtime.jobs.queue("maintenance");
    const syncJobs = async () => {
      const counts = await queue.getJobCounts("waiting", "delayed", "prioritized");
      return Object.values(counts).reduce((sum, n) => sum + n, 0);
    };
    await joinAndSync(deps, { shop: NORTH, customerId: "401", via: "storefront", consentText: CONSENT, at: t("2026-03-05T08:00:00Z") });
    expect(await syncJobs()).toBe(1);
    // Not yet synced: a repeat tap asks again (no new consent), healing a lost enqueue.
    await joinAndSync(deps, { shop: NORTH, customerId: "401", via: "storefront", consentText: CONSENT, at: t("2026-03-05T08:00:01Z") });
    expect(await syncJobs()).toBe(2);
    await stack.runtime.db.member.update({ where: { shop_customerId: { shop: NORTH, customerId: "401" } }, data: { syncedToShopifyAt: t("2099-01-01T00:00:00Z") } });
    await joinAndSync(deps, { shop: NORTH, customerId: "401", via: "storefront", consentText: CONSENT, at: t("2026-03-05T08:00:02Z") });
    expect(await syncJobs()).toBe(2);
    await leaveAndSync(deps, { shop: NORTH, customerId: "401", via: "storefront", at: t("2026-03-06T08:00:00Z") });
    expect(await syncJobs()).toBe(3);
    expect(await events(NORTH, "401")).toHaveLength(3);
  });
});
