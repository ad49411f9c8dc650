import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "bullmq";
import { joinMembership, leaveMembership, findMember } from "../../app/membership/membership.server";
import { joinAndSync, leaveAndSync } from "../../app/membership/service.server";
import { MEMBER_TAG } from "../../app/membership/shopify-fields";
import { syncMembershipToShopify } from "../../app/membership/shopify-sync.server";
import { offlineAdminApi, type AdminApi } from "../../app/shopify/admin-api.server";
import { registerInstall } from "../../app/shops/shops.server";
import type { JobWorker } from "../../jobs/backend.server";
import { startWorkers, stopWorkers } from "../../jobs/workers.server";
import { createShopifyStandin, legacyId, type ShopifyStandin } from "../../standin/index.ts";
import { waitFor } from "../support/app-process";
import { stackKinds, startTestStack, type TestStack } from "../support/stacks";

/** Membership written back to Shopify (the stand-in): tag + metafield, idempotent, through the real worker. */

const SHOP = "north-cafe.myshopify.com";
const CONSENT = "Join North Cafe Regulars.";
const NAMESPACE = "$app:regulars";

describe.each(stackKinds())("membership sync on $name", (kind) => {
  let standin: ShopifyStandin;
  let stack: TestStack;
  let workers: JobWorker[] = [];

  beforeAll(async () => {
    standin = await createShopifyStandin({ apiKey: "sync-key", apiSecret: "sync-secret" });
    standin.store.addShop({ domain: SHOP });
    const token = standin.store.issueAccessToken(SHOP, { scope: "read_customers,write_customers" });
    stack = await startTestStack(kind, { SHOPIFY_API_ORIGIN_OVERRIDE: standin.url });
    await registerInstall(stack.runtime.db, { domain: SHOP });
    await stack.runtime.db.session.create({
      data: { id: `offline_${SHOP}`, shop: SHOP, state: "", isOnline: false, accessToken: token.token, scope: token.scope },
    });
  });
  afterAll(async () => {
    await stopWorkers(workers, 5_000);
    await stack?.stop();
    await standin?.close();
  });

  /** A Shopify customer, and the id the app knows them by (the numeric legacy id). */
  function shopifyCustomer(tags: string[] = []) {
    const customer = standin.store.addCustomer(SHOP, { tags });
    return { gid: customer.id, id: String(legacyId(customer.id)) };
  }
  const shopifyState = (gid: string) => {
    const raw = standin.store.metafield(SHOP, gid, NAMESPACE, "membership")?.value;
    return { tags: standin.store.customer(SHOP, gid).tags, metafield: raw === undefined ? null : JSON.parse(raw) };
  };
  const sync = async (customerId: string, api?: AdminApi) =>
    syncMembershipToShopify(stack.runtime.db, api ?? (await offlineAdminApi(stack.runtime, SHOP)), { shop: SHOP, customerId, now: () => new Date() });

  it("writes the tag and metafield for a new member, and a second run changes nothing", async () => {
    const customer = shopifyCustomer(["vip"]);
    await joinMembership(stack.runtime.db, { shop: SHOP, customerId: customer.id, via: "storefront", consentText: CONSENT, at: new Date("2026-03-02T08:15:00Z") });

    const first = await sync(customer.id);
    expect(first).toMatchObject({ status: "active", writes: ["tagsAdd", "metafieldsSet"], passes: 1 });
    const after = shopifyState(customer.gid);
    expect(after).toEqual({
      tags: ["vip", MEMBER_TAG],
      metafield: { status: "active", joinedAt: "2026-03-02T08:15:00.000Z", joinedVia: "storefront", leftAt: null },
    });
    const stored = standin.store.metafield(SHOP, customer.gid, NAMESPACE, "membership");
    expect(stored?.type).toBe("json");
    expect(stored?.namespace).toMatch(/^app--\d+--regulars$/);
    const member = await findMember(stack.runtime.db, SHOP, customer.id);
    expect(member?.syncedToShopifyAt).not.toBeNull();
    expect(member && member.syncedToShopifyAt && member.syncedToShopifyAt >= member.updatedAt).toBe(true);

    const updatedAt = standin.store.customer(SHOP, customer.gid).updatedAt;
    const second = await sync(customer.id);
    expect(second.writes).toEqual([]);
    expect(shopifyState(customer.gid)).toEqual(after);
    expect(standin.store.customer(SHOP, customer.gid).updatedAt).toBe(updatedAt);
  });

  it("after leaving: removes the tag, keeps the other tags, records the leave in the metafield", async () => {
    const customer = shopifyCustomer(["vip"]);
    const db = stack.runtime.db;
    await joinMembership(db, { shop: SHOP, customerId: customer.id, via: "pos", consentText: CONSENT, at: new Date("2026-03-02T08:15:00Z") });
    await sync(customer.id);
    await leaveMembership(db, { shop: SHOP, customerId: customer.id, via: "storefront", at: new Date("2026-04-01T12:00:00Z") });

    expect((await sync(customer.id)).writes).toEqual(["tagsRemove", "metafieldsSet"]);
    expect(shopifyState(customer.gid)).toEqual({
      tags: ["vip"],
      metafield: { status: "left", joinedAt: "2026-03-02T08:15:00.000Z", joinedVia: "pos", leftAt: "2026-04-01T12:00:00.000Z" },
    });
    expect((await sync(customer.id)).writes).toEqual([]);
  });

  it("clears a customer who has no membership (tag and metafield removed)", async () => {
    const customer = shopifyCustomer([MEMBER_TAG]);
    standin.store.setMetafields(SHOP, [{ ownerId: customer.gid, namespace: NAMESPACE, key: "membership", type: "json", value: '{"status":"active"}' }]);
    expect(await sync(customer.id)).toMatchObject({ status: "none", writes: ["tagsRemove", "metafieldsDelete"] });
    expect(shopifyState(customer.gid)).toEqual({ tags: [], metafield: null });
  });

  it("writes again when the membership changes while it is being written", async () => {
    const customer = shopifyCustomer();
    const db = stack.runtime.db;
    await joinMembership(db, { shop: SHOP, customerId: customer.id, via: "storefront", consentText: CONSENT, at: new Date("2026-03-02T08:15:00Z") });
    const real = await offlineAdminApi(stack.runtime, SHOP);
    let interrupted = false;
    const racing: AdminApi = {
      shop: SHOP,
      async graphql(query, variables) {
        const data = await real.graphql(query, variables);
        // The customer leaves on another device just after the first write lands.
        if (!interrupted && query.includes("mutation")) {
          interrupted = true;
          await leaveMembership(db, { shop: SHOP, customerId: customer.id, via: "storefront", at: new Date("2026-03-02T08:16:00Z") });
        }
        return data;
      },
    };
    const outcome = await sync(customer.id, racing);
    expect(outcome).toMatchObject({ status: "left", passes: 2 });
    expect(shopifyState(customer.gid)).toMatchObject({ tags: [], metafield: { status: "left" } });
  });

  describe("through the worker", () => {
    beforeAll(() => {
      workers = startWorkers({ runtime: stack.runtime, db: stack.runtime.db, jobs: stack.runtime.jobs, concurrency: 2 });
    });

    const syncedAfter = (customerId: string, since: Date) =>
      waitFor(`membership ${customerId} synced`, async () => {
        const member = await findMember(stack.runtime.db, SHOP, customerId);
        return member?.syncedToShopifyAt && member.syncedToShopifyAt >= member.updatedAt && member.updatedAt >= since ? member : undefined;
      });

    it("join and leave reach Shopify through membership-sync jobs", async () => {
      const customer = shopifyCustomer();
      const deps = { db: stack.runtime.db, jobs: stack.runtime.jobs };
      const joinedAt = new Date();
      await joinAndSync(deps, { shop: SHOP, customerId: customer.id, via: "storefront", consentText: CONSENT, at: joinedAt });
      await syncedAfter(customer.id, joinedAt);
      await waitFor("tag in Shopify", async () => (shopifyState(customer.gid).tags.includes(MEMBER_TAG) ? true : undefined));
      expect(shopifyState(customer.gid).metafield).toMatchObject({ status: "active", joinedAt: joinedAt.toISOString() });

      const leftAt = new Date(joinedAt.getTime() + 1000);
      await leaveAndSync(deps, { shop: SHOP, customerId: customer.id, via: "storefront", at: leftAt });
      await syncedAfter(customer.id, leftAt);
      // The join's job may still be running and land its (stale) write after the leave's job
      // finished; it then finds the row changed and writes again, so Shopify ends at the latest state.
      await waitFor("leave in Shopify", async () => (shopifyState(customer.gid).tags.includes(MEMBER_TAG) ? undefined : true));
      expect(shopifyState(customer.gid)).toMatchObject({ tags: [], metafield: { status: "left", leftAt: leftAt.toISOString() } });
    });

    it("fails without retrying when Shopify no longer has the customer", async () => {
      const customer = shopifyCustomer();
      await joinMembership(stack.runtime.db, { shop: SHOP, customerId: customer.id, via: "pos", consentText: CONSENT, at: new Date() });
      standin.store.deleteCustomer(SHOP, customer.gid);
      const queue = stack.runtime.jobs.queue("maintenance");
      const added = await queue.add("membership-sync", { shop: SHOP, customerId: customer.id });
      const job = await waitFor("the job to fail", async () => {
        const current: Job | undefined = added.id ? await queue.getJob(added.id) : undefined;
        return current?.finishedOn !== undefined ? current : undefined;
      });
      expect(job.failedReason).toMatch(/has no customer/);
      expect(job.attemptsMade).toBe(1);
      expect((await findMember(stack.runtime.db, SHOP, customer.id))?.syncedToShopifyAt).toBeNull();
    });
  });
});
