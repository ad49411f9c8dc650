import { setTimeout as sleep } from "node:timers/promises";
import { legacyId } from "../../app/sync/types";
import { advanceBackfill, type AdvanceOptions } from "../../app/sync/backfill/advance.server";
import type { BackfillRunView } from "../../app/sync/backfill/types";
import type { Database } from "../../app/db/prisma.server";
import type { Runtime } from "../../app/runtime.server";
import { createShopifyStandin, type ShopifyStandin, type StandinStore } from "../../standin/index.ts";
import { startTestStack, type StackKind, type TestStack } from "../support/stacks";
import { withLineItems } from "../support/line-items";

/** Shared set-up of the backfill tests: a seeded stand-in, a fresh stack pointed at it, an offline session. */
export const API_KEY = "backfill-test-key";
export const API_SECRET = "backfill-test-secret";
export const UNTIL = "2026-10-31T18:00:00Z";

export interface BackfillWorld {
  standin: ShopifyStandin;
  stack: TestStack;
  runtime: Runtime;
  stop(): Promise<void>;
}

export async function startBackfillWorld(kind: StackKind, options: { bulkDelayMs?: number } = {}): Promise<BackfillWorld> {
  const standin = await createShopifyStandin({ apiKey: API_KEY, apiSecret: API_SECRET, bulkDelayMs: options.bulkDelayMs ?? 30 });
  const stack = await startTestStack(kind, { SHOPIFY_API_ORIGIN_OVERRIDE: standin.url });
  return {
    standin,
    stack,
    runtime: stack.runtime,
    async stop() {
      await stack.stop();
      await standin.close();
    },
  };
}

/** A cafe in the stand-in and, in the app, the offline session a real install would have stored. */
export async function seedShop(world: BackfillWorld, shop: string, options: { customers: number; days: number; seed: string }): Promise<void> {
  world.standin.store.seedCafe(shop, { ...options, until: UNTIL });
  const token = world.standin.store.issueAccessToken(shop, { scope: "read_orders,read_all_orders,read_customers" });
  await world.runtime.db.session.create({
    data: { id: `offline_${shop}`, shop, state: "", isOnline: false, accessToken: token.token, scope: token.scope },
  });
}

export const FAST_POLL = { minMs: 20, maxMs: 100 };

/** Advances a run until it is done, sleeping out each wait (what the job does with moveToDelayed). */
export async function driveRun(runtime: Runtime, shop: string, runId: string, options: AdvanceOptions = {}): Promise<BackfillRunView> {
  for (let step = 0; step < 500; step++) {
    const outcome = await advanceBackfill(runtime, shop, runId, { poll: FAST_POLL, ...options });
    if (outcome.kind === "done") return outcome.run;
    await sleep(outcome.delayMs);
  }
  throw new Error(`run ${runId} did not finish`);
}

const money = (value: string | { toString(): string } | null) => (value === null ? null : Number(value.toString()).toFixed(2));

export interface OrderSnapshot {
  id: string;
  name: string | null;
  customerId: string | null;
  locationId: string | null;
  channel: string;
  currency: string;
  totalPrice: string | null;
  refundedAmount: string | null;
  financialStatus: string | null;
  cancelledAt: string | null;
  processedAt: string;
  shopifyUpdatedAt: string;
  noteAttributes: unknown;
  lineItems: { id: string; sku: string | null; title: string; quantity: number; price: string | null; productId: string | null; variantId: string | null }[];
}

const byId = <T extends { id: string }>(a: T, b: T) => a.id.localeCompare(b.id);
const iso = (value: string | Date | null) => (value === null ? null : new Date(value).toISOString());

/** What the app should hold after a backfill: the stand-in's orders, in the app's terms. */
export function expectedOrders(store: StandinStore, shop: string): OrderSnapshot[] {
  return [...store.shop(shop).orders.values()]
    .map((order) => ({
      id: legacyId(order.id),
      name: order.name,
      customerId: order.customerId ? legacyId(order.customerId) : null,
      locationId: order.locationId ? legacyId(order.locationId) : null,
      channel: order.sourceName === "pos" ? "pos" : "web",
      currency: order.currency,
      totalPrice: money(order.totalPrice),
      refundedAmount: money(order.refunds.reduce((sum, refund) => sum + Number(refund.amount), 0).toFixed(2)),
      financialStatus: order.financialStatus,
      cancelledAt: iso(order.cancelledAt),
      processedAt: new Date(order.processedAt).toISOString(),
      shopifyUpdatedAt: new Date(order.updatedAt).toISOString(),
      noteAttributes: order.noteAttributes.map((attribute) => ({ name: attribute.name, value: attribute.value })),
      lineItems: order.lineItems
        .map((item) => ({
          id: legacyId(item.id),
          sku: item.sku,
          title: item.title,
          quantity: item.quantity,
          price: money(item.price),
          productId: item.productId ? legacyId(item.productId) : null,
          variantId: item.variantId ? legacyId(item.variantId) : null,
        }))
        .sort(byId),
    }))
    .sort(byId);
}

export async function storedOrders(db: Database, shop: string): Promise<OrderSnapshot[]> {
  const rows = await withLineItems(db, await db.order.findMany({ where: { shop } }));
  return rows
    .map((row) => ({
      id: row.id,
      name: row.name,
      customerId: row.customerId,
      locationId: row.locationId,
      channel: row.channel,
      currency: row.currency,
      totalPrice: money(row.totalPrice),
      refundedAmount: money(row.refundedAmount),
      financialStatus: row.financialStatus,
      cancelledAt: iso(row.cancelledAt),
      processedAt: row.processedAt.toISOString(),
      shopifyUpdatedAt: row.shopifyUpdatedAt.toISOString(),
      noteAttributes: row.noteAttributes,
      lineItems: row.lineItems
        .map((item) => ({
          id: item.id,
          sku: item.sku,
          title: item.title,
          quantity: item.quantity,
          price: money(item.price),
          productId: item.productId,
          variantId: item.variantId,
        }))
        .sort(byId),
    }))
    .sort(byId);
}

export interface CustomerSnapshot {
  id: string;
  email: string | null;
  phone: string | null;
  firstName: string | null;
  lastName: string | null;
  emailMarketingState: string | null;
  smsMarketingState: string | null;
  tags: string[];
  shopifyUpdatedAt: string | null;
}

export function expectedCustomers(store: StandinStore, shop: string): CustomerSnapshot[] {
  return [...store.shop(shop).customers.values()]
    .map((customer) => ({
      id: legacyId(customer.id),
      email: customer.email,
      phone: customer.phone,
      firstName: customer.firstName,
      lastName: customer.lastName,
      // defaultEmailAddress exists only with an email; its state is the consent's, upper case as GraphQL spells it.
      emailMarketingState: customer.email === null ? null : (customer.emailMarketingConsent?.state ?? "not_subscribed").toUpperCase(),
      smsMarketingState: customer.phone === null ? null : (customer.smsMarketingConsent?.state ?? "not_subscribed").toUpperCase(),
      tags: customer.tags,
      shopifyUpdatedAt: new Date(customer.updatedAt).toISOString(),
    }))
    .sort(byId);
}

export async function storedCustomers(db: Database, shop: string): Promise<CustomerSnapshot[]> {
  const rows = await db.customer.findMany({ where: { shop } });
  return rows
    .map((row) => ({
      id: row.id,
      email: row.email,
      phone: row.phone,
      firstName: row.firstName,
      lastName: row.lastName,
      emailMarketingState: row.emailMarketingState,
      smsMarketingState: row.smsMarketingState,
      tags: row.tags,
      shopifyUpdatedAt: iso(row.shopifyUpdatedAt),
    }))
    .sort(byId);
}
